import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { AccountContext } from "../account";
import { AwsServiceError } from "../errors";
import { base32, epochSeconds } from "../ids";
import { parseInput, type Service } from "../protocol";
import { type Sealed, Vault } from "./vault";

/** Staging labels the product relies on (rotation: AWSPENDING → AWSCURRENT, the old current becomes AWSPREVIOUS). */
const CURRENT = "AWSCURRENT";
const PREVIOUS = "AWSPREVIOUS";
const KIND = "secret";

type SecretVersion = { versionId: string; stages: string[]; created: number; sealed: Sealed };
type SecretRecord = {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  resourcePolicy?: string;
  created: number;
  lastChanged: number;
  versions: SecretVersion[];
};

const Name = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9/_+=.@-]+$/);
const Token = z.string().min(32).max(64);
const SecretString = z.string().max(65536);
const Stage = z.string().min(1).max(256);

/**
 * KmsKeyId names a key as KMS's KeyId does: a key id, a key ARN, an alias name or an alias ARN, at most 2048
 * characters (Secrets Manager API reference, CreateSecret, KmsKeyId: "The ARN, key ID, or alias of the KMS key";
 * KMS API reference, DescribeKey, KeyId). Which key it is does not matter locally: values are sealed by the vault.
 */
const KmsKeyId = z
  .string()
  .min(1)
  .max(2048)
  .regex(
    /^(?:(?:mrk-)?[0-9a-f-]{32,36}|alias\/[A-Za-z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key\/(?:mrk-)?[0-9a-f-]{32,36}|alias\/[A-Za-z0-9/_-]+))$/,
    "must be a KMS key id, key ARN, alias name or alias ARN",
  );
/** A resource policy is a JSON document of 1 to 20480 characters (API reference, PutResourcePolicy, ResourcePolicy). */
const ResourcePolicy = z
  .string()
  .min(1)
  .max(20480)
  .refine((text) => {
    try {
      const doc: unknown = JSON.parse(text);
      return doc !== null && typeof doc === "object" && !Array.isArray(doc);
    } catch {
      return false;
    }
  }, "must be a JSON policy document");

const CreateSecretInput = z.object({
  Name,
  ClientRequestToken: Token.optional(),
  Description: z.string().max(2048).optional(),
  SecretString: SecretString.optional(),
  KmsKeyId: KmsKeyId.optional(),
  Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).optional(),
});
const SecretIdInput = z.object({ SecretId: z.string().min(1).max(2048) });
const PutResourcePolicyInput = SecretIdInput.extend({ ResourcePolicy, BlockPublicPolicy: z.boolean().optional() });
const GetSecretValueInput = SecretIdInput.extend({
  VersionId: Token.optional(),
  VersionStage: Stage.optional(),
});
const PutSecretValueInput = SecretIdInput.extend({
  ClientRequestToken: Token.optional(),
  SecretString,
  VersionStages: z.array(Stage).min(1).max(20).optional(),
});
const MaxResults = z.number().int().min(1).max(100);
const NextToken = z.string().min(1).max(4096);
/**
 * ListSecrets filters (API_Filter): `name` matches the beginning of the name, case-sensitive; `description` the words of
 * the description, not case-sensitive; a value starting with `!` negates ("Find secrets in AWS Secrets Manager",
 * manage_search-secret.html). The other keys (tag-key, tag-value, owning-service, primary-region, all) need data the
 * local account does not keep, so they are refused rather than answered wrongly.
 */
const Filter = z.object({
  Key: z.enum(["name", "description"]),
  Values: z.array(z.string().min(1).max(512)).min(1).max(10),
});
const ListSecretsInput = z.object({
  MaxResults: MaxResults.optional(),
  NextToken: NextToken.optional(),
  Filters: z.array(Filter).max(10).optional(),
  SortOrder: z.enum(["asc", "desc"]).optional(),
  IncludePlannedDeletion: z.boolean().optional(),
});
const ListSecretVersionIdsInput = SecretIdInput.extend({
  MaxResults: MaxResults.optional(),
  NextToken: NextToken.optional(),
  IncludeDeprecated: z.boolean().optional(),
});
const UpdateSecretVersionStageInput = SecretIdInput.extend({
  VersionStage: Stage,
  MoveToVersionId: Token.optional(),
  RemoveFromVersionId: Token.optional(),
});

const notFound = (what = "Secrets Manager can't find the specified secret.") =>
  new AwsServiceError("ResourceNotFoundException", what);
const invalidParameter = (message: string) => new AwsServiceError("InvalidParameterException", message);

/**
 * Unlabeled versions are deprecated and kept; Secrets Manager "removes deprecated secret versions when there are more
 * than 100" and "doesn't remove versions created less than 24 hours ago" (User Guide, "What's in a Secrets Manager
 * secret?", getting-started.html#term_version; also reference_limits.html).
 */
const MAX_VERSIONS = 100;
const DEPRECATED_MIN_AGE_MS = 24 * 60 * 60 * 1000;

/** One page of `items` after the position NextToken names; positions (time, id) stay valid as items are added. */
function page<T>(items: T[], position: (item: T) => [number, string], maxResults = 100, nextToken?: string) {
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
const words = (text: string) =>
  text
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/([A-Za-z])([0-9])|([0-9])([A-Za-z])/g, "$1$3 $2$4")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

/**
 * Secrets Manager (`secretsmanager`, JSON 1.1): the subset the product and its tests use — CreateSecret, GetSecretValue,
 * PutSecretValue, DescribeSecret, UpdateSecretVersionStage, PutResourcePolicy, GetResourcePolicy, ListSecrets,
 * ListSecretVersionIds — with AWS's version and staging-label semantics: versions that lose their last label stay as
 * deprecated versions.
 * Values are sealed with AES-256-GCM under a key file in the data directory, never stored in clear, never logged and
 * never put in an error message or event.
 */
export function createSecretsManagerService(ctx: AccountContext): Service {
  const vault = new Vault(ctx.config.dataDir);
  const arnOf = (name: string) =>
    `arn:aws:secretsmanager:${ctx.config.region}:${ctx.config.accountId}:secret:${name}-${base32(6)}`;
  const find = (secretId: string): SecretRecord => {
    const all = ctx.store.list<SecretRecord>(KIND);
    const found = all.find((s) => s.name === secretId || s.arn === secretId);
    if (!found) throw notFound();
    return found;
  };
  const save = (secret: SecretRecord) => ctx.store.put(KIND, secret.name, secret);
  const aad = (secret: SecretRecord, versionId: string) => `${secret.arn}#${versionId}`;

  /** Moves `stage` to `target`; the version that held AWSCURRENT gets AWSPREVIOUS. */
  const moveStage = (secret: SecretRecord, stage: string, target: SecretVersion) => {
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
  const prune = (secret: SecretRecord) => {
    const removable = secret.versions
      .filter((v) => v.stages.length === 0 && ctx.clock.now() - v.created >= DEPRECATED_MIN_AGE_MS)
      .sort((a, b) => a.created - b.created);
    const excess = secret.versions.length - MAX_VERSIONS;
    if (excess <= 0) return;
    const gone = new Set(removable.slice(0, excess));
    secret.versions = secret.versions.filter((v) => !gone.has(v));
  };
  /** Versions with at least one staging label: DescribeSecret and ListSecrets show only these (API_DescribeSecret). */
  const labelled = (secret: SecretRecord) =>
    Object.fromEntries(secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.versionId, v.stages]));

  const addVersion = (secret: SecretRecord, value: string, token: string | undefined, stages: string[]) => {
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
    prune(secret);
    secret.lastChanged = ctx.clock.now();
    return version;
  };

  return {
    target: "secretsmanager",
    name: "secretsmanager",
    jsonVersion: "1.1",
    internalError: { code: "InternalServiceError", status: 500 },
    operations: {
      CreateSecret: (input) => {
        const req = parseInput(CreateSecretInput, input);
        if (ctx.store.get<SecretRecord>(KIND, req.Name)) {
          throw new AwsServiceError(
            "ResourceExistsException",
            `The operation failed because the secret ${req.Name} already exists.`,
          );
        }
        const now = ctx.clock.now();
        const secret: SecretRecord = {
          arn: arnOf(req.Name),
          name: req.Name,
          ...(req.Description !== undefined ? { description: req.Description } : {}),
          ...(req.KmsKeyId !== undefined ? { kmsKeyId: req.KmsKeyId } : {}),
          created: now,
          lastChanged: now,
          versions: [],
        };
        const version =
          req.SecretString !== undefined
            ? addVersion(secret, req.SecretString, req.ClientRequestToken, [CURRENT])
            : undefined;
        save(secret);
        return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.versionId } : {}) };
      },
      GetSecretValue: (input) => {
        const req = parseInput(GetSecretValueInput, input);
        const secret = find(req.SecretId);
        const stage = req.VersionStage ?? (req.VersionId ? undefined : CURRENT);
        const version = secret.versions.find(
          (v) => (!req.VersionId || v.versionId === req.VersionId) && (!stage || v.stages.includes(stage)),
        );
        if (!version) {
          throw notFound(
            req.VersionId
              ? `Secrets Manager can't find the specified secret value for VersionId: ${req.VersionId}`
              : `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
          );
        }
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.versionId,
          SecretString: vault.open(version.sealed, aad(secret, version.versionId)),
          VersionStages: version.stages,
          CreatedDate: epochSeconds(version.created),
        };
      },
      PutSecretValue: (input) => {
        const req = parseInput(PutSecretValueInput, input);
        const secret = find(req.SecretId);
        const version = addVersion(secret, req.SecretString, req.ClientRequestToken, req.VersionStages ?? [CURRENT]);
        save(secret);
        return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: version.stages };
      },
      UpdateSecretVersionStage: (input) => {
        const req = parseInput(UpdateSecretVersionStageInput, input);
        const secret = find(req.SecretId);
        const holder = secret.versions.find((v) => v.stages.includes(req.VersionStage));
        if (holder && holder.versionId !== req.MoveToVersionId && holder.versionId !== req.RemoveFromVersionId) {
          throw invalidParameter(
            `The staging label ${req.VersionStage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
          );
        }
        if (req.MoveToVersionId) {
          const target = secret.versions.find((v) => v.versionId === req.MoveToVersionId);
          if (!target)
            throw notFound(`Secrets Manager can't find the specified secret version: ${req.MoveToVersionId}`);
          moveStage(secret, req.VersionStage, target);
        } else if (holder) {
          holder.stages = holder.stages.filter((s) => s !== req.VersionStage);
        }
        prune(secret);
        secret.lastChanged = ctx.clock.now();
        save(secret);
        return { ARN: secret.arn, Name: secret.name };
      },
      // Stored and returned, not enforced: the local account checks no credentials, so there is no principal to
      // match a policy against (README, "The local account"). BlockPublicPolicy is accepted for the same reason.
      PutResourcePolicy: (input) => {
        const req = parseInput(PutResourcePolicyInput, input);
        const secret = find(req.SecretId);
        secret.resourcePolicy = req.ResourcePolicy;
        save(secret);
        return { ARN: secret.arn, Name: secret.name };
      },
      GetResourcePolicy: (input) => {
        const req = parseInput(SecretIdInput, input);
        const secret = find(req.SecretId);
        return {
          ARN: secret.arn,
          Name: secret.name,
          ...(secret.resourcePolicy !== undefined ? { ResourcePolicy: secret.resourcePolicy } : {}),
        };
      },
      DescribeSecret: (input) => {
        const req = parseInput(SecretIdInput, input);
        const secret = find(req.SecretId);
        return {
          ARN: secret.arn,
          Name: secret.name,
          ...(secret.description !== undefined ? { Description: secret.description } : {}),
          ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
          CreatedDate: epochSeconds(secret.created),
          LastChangedDate: epochSeconds(secret.lastChanged),
          VersionIdsToStages: labelled(secret),
        };
      },
      ListSecrets: (input) => {
        const req = parseInput(ListSecretsInput, input);
        const matches = (secret: SecretRecord) =>
          (req.Filters ?? []).every((filter) =>
            filter.Values.some((raw) => {
              const negated = raw.startsWith("!");
              const value = negated ? raw.slice(1) : raw;
              const hit =
                filter.Key === "name"
                  ? secret.name.startsWith(value)
                  : words(value).every((w) => words(secret.description ?? "").includes(w));
              return negated ? !hit : hit;
            }),
          );
        const sign = req.SortOrder === "desc" ? -1 : 1;
        const { items, NextToken } = page(
          ctx.store.list<SecretRecord>(KIND).filter(matches),
          (s) => [sign * s.created, s.name],
          req.MaxResults,
          req.NextToken,
        );
        return {
          SecretList: items.map((secret) => ({
            ARN: secret.arn,
            Name: secret.name,
            ...(secret.description !== undefined ? { Description: secret.description } : {}),
            ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
            LastChangedDate: epochSeconds(secret.lastChanged),
            SecretVersionsToStages: labelled(secret),
            CreatedDate: epochSeconds(secret.created),
          })),
          ...(NextToken ? { NextToken } : {}),
        };
      },
      ListSecretVersionIds: (input) => {
        const req = parseInput(ListSecretVersionIdsInput, input);
        const secret = find(req.SecretId);
        // Without IncludeDeprecated, versions without staging labels are left out (API_ListSecretVersionIds).
        const shown = req.IncludeDeprecated ? secret.versions : secret.versions.filter((v) => v.stages.length > 0);
        const { items, NextToken } = page(shown, (v) => [v.created, v.versionId], req.MaxResults, req.NextToken);
        return {
          Versions: items.map((v) => ({
            VersionId: v.versionId,
            ...(v.stages.length > 0 ? { VersionStages: v.stages } : {}),
            CreatedDate: epochSeconds(v.created),
          })),
          ...(NextToken ? { NextToken } : {}),
          ARN: secret.arn,
          Name: secret.name,
        };
      },
    },
  };
}
