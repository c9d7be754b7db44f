import { KMSClient } from "@aws-sdk/client-kms";
import { SFNClient } from "@aws-sdk/client-sfn";
import { LocalAccountNotRunningError, UsageError } from "./errors";

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
};
export type AwsTarget = { kind: "aws"; region?: string; profile?: string; stage: string };
export type Target = LocalTarget | AwsTarget;

/** The clients every command uses, created once per run for the target (the same SDK code for both). */
export type Clients = { kms: KMSClient; sfn: SFNClient };

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
export async function resolveTarget(options: TargetOptions): Promise<Target> {
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
  const health = await localHealth(endpoint);
  return {
    kind: "local",
    endpoint,
    region: health.region,
    accountId: health.accountId,
    now: health.now,
    stage: options.stage,
  };
}

/** GET /_local/health, or LocalAccountNotRunningError when the endpoint does not answer as the local account. */
export async function localHealth(endpoint: string): Promise<{ region: string; accountId: string; now: string }> {
  try {
    const res = await fetch(`${endpoint}/_local/health`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { ok?: boolean; region?: string; accountId?: string; now?: string };
    if (!res.ok || body.ok !== true || !body.region || !body.accountId || !body.now)
      throw new Error("not the local account");
    return { region: body.region, accountId: body.accountId, now: body.now };
  } catch {
    throw new LocalAccountNotRunningError(endpoint);
  }
}

/** Dummy credentials: the local account does not check signatures, but the SDK insists on signing. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/** KMS and Step Functions clients for the target: the local endpoint with dummy credentials, or the AWS chain. */
export function clientsFor(target: Target): Clients {
  // Adaptive retries absorb the request quotas (ThrottlingException) that AWS and the local account both enforce.
  const common = { maxAttempts: 8, retryMode: "adaptive" };
  const config =
    target.kind === "local"
      ? { ...common, endpoint: target.endpoint, region: target.region, credentials: LOCAL_CREDENTIALS }
      : {
          ...common,
          ...(target.region ? { region: target.region } : {}),
          ...(target.profile ? { profile: target.profile } : {}),
        };
  return { kms: new KMSClient(config), sfn: new SFNClient(config) };
}

/** One line saying where the CLI is talking to. */
export function describeTarget(target: Target): string {
  if (target.kind === "local") return `the local account at ${target.endpoint} (${target.region}, ${target.accountId})`;
  const parts = [target.profile ? `profile ${target.profile}` : "", target.region ? `region ${target.region}` : ""];
  const detail = parts.filter(Boolean).join(", ");
  return `AWS${detail ? ` (${detail})` : ""}`;
}
