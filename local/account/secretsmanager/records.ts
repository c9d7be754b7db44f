import { randomUUID } from "node:crypto";
import type { AccountContext } from "../account";
import { AwsServiceError } from "../errors";
import { base32 } from "../ids";
import type { Sealed, Vault } from "./vault";

/** What every Secrets Manager operation gets: the account and the vault that seals values. */
export type Deps = { ctx: AccountContext; vault: Vault };

/** Staging labels the product relies on (rotation: AWSPENDING → AWSCURRENT, the old current becomes AWSPREVIOUS). */
export const CURRENT = "AWSCURRENT";
const PREVIOUS = "AWSPREVIOUS";
export const KIND = "secret";

export type SecretVersion = { versionId: string; stages: string[]; created: number; sealed: Sealed };
export type SecretRecord = {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  resourcePolicy?: string;
  created: number;
  lastChanged: number;
  versions: SecretVersion[];
};

export const notFound = (what = "Secrets Manager can't find the specified secret.") =>
  new AwsServiceError("ResourceNotFoundException", what);
export const invalidParameter = (message: string) => new AwsServiceError("InvalidParameterException", message);

/**
 * Unlabeled versions are deprecated and kept; Secrets Manager "removes deprecated secret versions when there are more
 * than 100" and "doesn't remove versions created less than 24 hours ago" (User Guide, "What's in a Secrets Manager
 * secret?", getting-started.html#term_version; also reference_limits.html).
 */
const MAX_VERSIONS = 100;
const DEPRECATED_MIN_AGE_MS = 24 * 60 * 60 * 1000;

/** One page of `items` after the position NextToken names; positions (time, id) stay valid as items are added. */
export function page<T>(items: T[], position: (item: T) => [number, string], maxResults = 100, nextToken?: string) {
  const key = (item: T) => JSON.stringify(position(item));
  const sorted = [...items].sort((a, b) => compare(position(a), position(b)));
  let start = 0;
  if (nextToken !== undefined) {
    let after: [number, string];
    try {
      const value: unknown = JSON.parse(Buffer.from(nextToken, "base64url").toString("utf8"));
      if (!Array.isArray(value) || typeof value[0] !== "number" || typeof value[1] !== "string") throw new Error();
      after = [value[0], value[1]];
    } catch {
      throw new AwsServiceError("InvalidNextTokenException", "The NextToken value is invalid.");
    }
    start = sorted.findIndex((item) => compare(position(item), after) > 0);
    if (start < 0) start = sorted.length;
  }
  const pageItems = sorted.slice(start, start + maxResults);
  const last = pageItems.at(-1);
  const more = start + maxResults < sorted.length && last !== undefined;
  return { items: pageItems, ...(more ? { NextToken: Buffer.from(key(last), "utf8").toString("base64url") } : {}) };
}

function compare(a: [number, string], b: [number, string]): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** The words of a text: split at spaces, punctuation, and changes of case or from letters to digits. */
export const words = (text: string) =>
  text
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/([A-Za-z])([0-9])|([0-9])([A-Za-z])/g, "$1$3 $2$4")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

export const arnOf = (ctx: AccountContext, name: string) =>
  `arn:aws:secretsmanager:${ctx.config.region}:${ctx.config.accountId}:secret:${name}-${base32(6)}`;
export const find = (ctx: AccountContext, secretId: string): SecretRecord => {
  const all = ctx.store.list<SecretRecord>(KIND);
  const found = all.find((s) => s.name === secretId || s.arn === secretId);
  if (!found) throw notFound();
  return found;
};
export const save = (ctx: AccountContext, secret: SecretRecord) => ctx.store.put(KIND, secret.name, secret);
export const aad = (secret: SecretRecord, versionId: string) => `${secret.arn}#${versionId}`;

/** Moves `stage` to `target`; the version that held AWSCURRENT gets AWSPREVIOUS. */
export const moveStage = (secret: SecretRecord, stage: string, target: SecretVersion) => {
  const holder = secret.versions.find((v) => v.stages.includes(stage));
  if (holder === target) return;
  if (holder) {
    holder.stages = holder.stages.filter((s) => s !== stage);
    if (stage === CURRENT) {
      for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== PREVIOUS);
      holder.stages.push(PREVIOUS);
    }
  }
  target.stages.push(stage);
};
/** Past MAX_VERSIONS, drops the oldest deprecated versions that are at least a day old; labelled ones stay. */
export const prune = (ctx: AccountContext, secret: SecretRecord) => {
  const removable = secret.versions
    .filter((v) => v.stages.length === 0 && ctx.clock.now() - v.created >= DEPRECATED_MIN_AGE_MS)
    .sort((a, b) => a.created - b.created);
  const excess = secret.versions.length - MAX_VERSIONS;
  if (excess <= 0) return;
  const gone = new Set(removable.slice(0, excess));
  secret.versions = secret.versions.filter((v) => !gone.has(v));
};
/** Versions with at least one staging label: DescribeSecret and ListSecrets show only these (API_DescribeSecret). */
export const labelled = (secret: SecretRecord) =>
  Object.fromEntries(secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.versionId, v.stages]));

export const addVersion = (
  { ctx, vault }: Deps,
  secret: SecretRecord,
  value: string,
  token: string | undefined,
  stages: string[],
) => {
  const versionId = token ?? randomUUID();
  const existing = secret.versions.find((v) => v.versionId === versionId);
  if (existing) {
    // A retry of the same request: same value, nothing changes. Anything else would rewrite a version.
    if (vault.open(existing.sealed, aad(secret, versionId)) === value) return existing;
    throw new AwsServiceError(
      "ResourceExistsException",
      "You can't modify an existing version, you can only create a new version.",
    );
  }
  const version: SecretVersion = {
    versionId,
    stages: [],
    created: ctx.clock.now(),
    sealed: vault.seal(value, aad(secret, versionId)),
  };
  secret.versions.push(version);
  for (const stage of stages) moveStage(secret, stage, version);
  prune(ctx, secret);
  secret.lastChanged = ctx.clock.now();
  return version;
};
