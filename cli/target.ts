import { readFileSync } from "node:fs";
import { KMSClient } from "@aws-sdk/client-kms";
import { SFNClient } from "@aws-sdk/client-sfn";
import { STSClient } from "@aws-sdk/client-sts";
import { LocalAccountNotReadyError, LocalAccountNotRunningError, UsageError } from "./errors";

export const DEFAULT_LOCAL_ENDPOINT = "http://127.0.0.1:4599";

/** Where the CLI's calls go, chosen by the global options. */
export type TargetOptions = {
  aws?: boolean;
  profile?: string;
  region?: string;
  endpoint?: string;
  stage: string;
};

export type LocalTarget = {
  kind: "local";
  endpoint: string;
  region: string;
  accountId: string;
  /** The local account's simulated time when the CLI asked. */
  now: string;
  stage: string;
  /** The control routes' token (LOCAL_ACCOUNT_TOKEN, else the account's token file); unset when neither is there. */
  token?: string;
  /** Where the account wrote its token, as its health route says. */
  tokenFile?: string;
};
export type AwsTarget = { kind: "aws"; region?: string; profile?: string; stage: string };
export type Target = LocalTarget | AwsTarget;

/** The clients every command uses, created once per run for the target (the same SDK code for both). */
export type Clients = { kms: KMSClient; sfn: SFNClient; sts: STSClient };

/** AWS when --aws, --profile or --region is given; else the local account (LOCAL_ACCOUNT_ENDPOINT or :4599). */
export function wantsAws(options: TargetOptions): boolean {
  return Boolean(options.aws || options.profile || options.region);
}

/** The local account's endpoint: --endpoint, else LOCAL_ACCOUNT_ENDPOINT, else http://127.0.0.1:4599. */
export function localEndpoint(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): string {
  return (options.endpoint ?? env.LOCAL_ACCOUNT_ENDPOINT ?? DEFAULT_LOCAL_ENDPOINT).replace(/\/+$/, "");
}

/**
 * Resolves the target: for the local account, checks `/_local/health` (region, account id, simulated time) and fails
 * with a one-line hint when nothing answers; for AWS, nothing is called yet (the SDK's credential chain decides).
 */
export async function resolveTarget(options: TargetOptions, notify?: (line: string) => void): Promise<Target> {
  if (wantsAws(options)) {
    if (options.endpoint) throw new UsageError("--endpoint is the local account's address: drop it, or drop --aws");
    return {
      kind: "aws",
      stage: options.stage,
      ...(options.region ? { region: options.region } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
    };
  }
  const endpoint = localEndpoint(options);
  const health = await waitUntilReady(endpoint, notify);
  const token = controlToken(health);
  return {
    kind: "local",
    endpoint,
    region: health.region,
    accountId: health.accountId,
    now: health.now,
    stage: options.stage,
    ...(token ? { token } : {}),
    ...(health.tokenFile ? { tokenFile: health.tokenFile } : {}),
  };
}

/**
 * The token for `/_local/*`: LOCAL_ACCOUNT_TOKEN, else the file the account wrote at start (0600 in its data
 * directory: readable by the user who started it, by no one else on the machine).
 */
export function controlToken(health: Health, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.LOCAL_ACCOUNT_TOKEN) return env.LOCAL_ACCOUNT_TOKEN;
  if (!health.tokenFile) return undefined;
  try {
    return readFileSync(health.tokenFile, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

type Health = { region: string; accountId: string; now: string; ready: boolean; tokenFile?: string };

/** GET /_local/health, or LocalAccountNotRunningError when the endpoint does not answer as the local account. */
export async function localHealth(endpoint: string): Promise<Health> {
  try {
    const res = await fetch(`${endpoint}/_local/health`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as {
      ok?: boolean;
      ready?: boolean;
      region?: string;
      accountId?: string;
      now?: string;
      tokenFile?: string;
    };
    if (!res.ok || body.ok !== true || !body.region || !body.accountId || !body.now)
      throw new Error("not the local account");
    // An account without the field (started alone, older builds) serves every request at once.
    return {
      region: body.region,
      accountId: body.accountId,
      now: body.now,
      ready: body.ready !== false,
      ...(typeof body.tokenFile === "string" ? { tokenFile: body.tokenFile } : {}),
    };
  } catch {
    throw new LocalAccountNotRunningError(endpoint);
  }
}

/** How long the CLI waits for `npm start` to finish deploying before it gives up. */
export const READY_TIMEOUT_MS = 120_000;

/**
 * The local account's health once it is ready: while `npm start` is still deploying serverless.yml, says so once
 * through `notify` and polls, rather than failing on a state machine that is not there yet.
 */
export async function waitUntilReady(
  endpoint: string,
  notify: (line: string) => void = () => {},
  timeoutMs = READY_TIMEOUT_MS,
): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  let health = await localHealth(endpoint);
  if (!health.ready) notify(`Waiting for the local account at ${endpoint} to finish deploying serverless.yml...\n`);
  while (!health.ready) {
    if (Date.now() > deadline) {
      throw new LocalAccountNotReadyError(endpoint, timeoutMs);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    health = await localHealth(endpoint);
  }
  return health;
}

/** Dummy credentials: the local account does not check signatures, but the SDK insists on signing. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/** KMS, Step Functions and STS clients for the target: the local endpoint with dummy credentials, or the AWS chain. */
export function clientsFor(target: Target): Clients {
  const config = sdkConfig(target);
  return { kms: new KMSClient(config), sfn: new SFNClient(config), sts: new STSClient(config) };
}

/** The SDK client settings for the target, for any client a command needs beyond `Clients`. */
export function sdkConfig(target: Target) {
  // Adaptive retries absorb the request quotas (ThrottlingException) that AWS and the local account both enforce.
  const common = { maxAttempts: 8, retryMode: "adaptive" };
  return target.kind === "local"
    ? { ...common, endpoint: target.endpoint, region: target.region, credentials: LOCAL_CREDENTIALS }
    : {
        ...common,
        ...(target.region ? { region: target.region } : {}),
        ...(target.profile ? { profile: target.profile } : {}),
      };
}

/** One line saying where the CLI is talking to. */
export function describeTarget(target: Target): string {
  if (target.kind === "local") return `the local account at ${target.endpoint} (${target.region}, ${target.accountId})`;
  const parts = [target.profile ? `profile ${target.profile}` : "", target.region ? `region ${target.region}` : ""];
  const detail = parts.filter(Boolean).join(", ");
  return `AWS${detail ? ` (${detail})` : ""}`;
}

/** GET /_local/dynamodb: where `npm start` serves the orphan register; absent when the account runs alone. */
export async function localDynamoDbEndpoint(target: LocalTarget): Promise<string | undefined> {
  if (!target.token) return undefined;
  try {
    const res = await fetch(`${target.endpoint}/_local/dynamodb`, {
      headers: { "x-local-account-token": target.token },
      signal: AbortSignal.timeout(3000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { endpoint?: unknown };
    return typeof body.endpoint === "string" ? body.endpoint : undefined;
  } catch {
    return undefined;
  }
}
