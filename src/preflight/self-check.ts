import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { access, lstat, mkdir, readlink, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import * as z from "zod/mini";
import { findCluster } from "../clusters";
import type { ClusterHsm, Clusters } from "../ports/clusters";
import type { CallOutcome, ServiceProbes } from "../ports/service-probes";
import { ClusterIdSchema } from "../validation";

/** One finding of the self-check: what was checked, whether it holds, what was seen, and the fix when it does not. */
export type SelfCheckResult = { check: string; ok: boolean; detail: string; fix?: string };

export const SelfCheckInputSchema = z.strictObject({ clusterId: z.optional(ClusterIdSchema) });
export type SelfCheckInput = z.infer<typeof SelfCheckInputSchema>;

/** What one run of a program printed and how it ended (the CloudHSM CLI adapter's CliRun). */
export type ProgramRun = { stdout: string; exitCode: number | null; spawnError?: string };

export type SelfCheckDeps = {
  /** One read per service the CLI functions call. */
  probes: ServiceProbes;
  /** The clusters, to find the HSMs the CLI must reach. */
  clusters: Pick<Clusters, "get">;
  /** Runs a program of the layer (no shell) with argv. */
  runProgram: (path: string, argv: string[]) => Promise<ProgramRun>;
  /** Opens a TCP connection to host:port and closes it; rejects on refusal or after timeoutMs. */
  connect: (host: string, port: number, timeoutMs: number) => Promise<void>;
  /** The Hsm port's `user list` without a login, through the adapter the workflows use (configured at run time). */
  listUsers: (clusterId: string) => Promise<{ username: string; locked: boolean }[]>;
};

export type SelfCheckSettings = {
  region: string;
  /** The CloudHSM CLI as the CLI functions run it (CLOUDHSM_CLI_PATH). */
  cliPath: string;
  /** Where the functions may write: Lambda's /tmp. The layer's configuration directory must resolve under it. */
  writableRoot: string;
  /** The secret name holding a cluster's trust anchor (secret-names.ts). */
  trustAnchorSecret: (clusterId: string) => string;
  /** Resources the workflows use, read by the endpoint checks. */
  connectStateMachineArn: string;
  orphanTableName: string;
  alertBusName: string;
  /** Per call; the SDK's own connection and request timeouts (clients/http.ts) apply inside it. */
  callTimeoutMs?: number;
  hsmTimeoutMs?: number;
};

/** Ports the HSMs listen on for the client (CloudHSM User Guide, "Cluster security group", configure-sg: TCP 2223-2225). */
export const HSM_PORTS = [2223, 2224, 2225] as const;
const CALL_TIMEOUT_MS = 5_000;
const HSM_TIMEOUT_MS = 3_000;
/** configure-cli and user list together, well inside the function's 60 s. */
const HSM_PATH_TIMEOUT_MS = 25_000;

const LAYER_FIX =
  "rebuild the layer with scripts/build-cloudhsm-cli-layer.sh, publish it and deploy with --param='cloudhsmCliLayers=[\"<layer version ARN>\"]'";

/**
 * The CloudHSM CLI from the layer: the CLI and its configure tool are where the adapter runs them, and the CLI runs.
 * Lambda puts a layer's content under /opt (Lambda Developer Guide, "Packaging your layer content", packaging-layers).
 */
export async function checkCliBinary(
  deps: Pick<SelfCheckDeps, "runProgram">,
  cliPath: string,
): Promise<SelfCheckResult> {
  const check = "CLI layer: cloudhsm-cli";
  const configure = join(dirname(cliPath), "configure-cli");
  for (const path of [cliPath, configure]) {
    try {
      await access(path, constants.X_OK);
    } catch {
      return {
        check,
        ok: false,
        detail: `no executable at ${path}: the function has no CloudHSM CLI layer, or cloudhsmCliPath does not name its CLI`,
        fix: `attach the layer: ${LAYER_FIX}; keep cloudhsmCliPath at /opt/cloudhsm/bin/cloudhsm-cli`,
      };
    }
  }
  const run = await deps.runProgram(cliPath, ["--help"]);
  if (run.spawnError !== undefined || run.exitCode !== 0) {
    const how = run.spawnError ? `could not run (${run.spawnError})` : `exited ${run.exitCode}`;
    return {
      check,
      ok: false,
      detail: `${cliPath} --help ${how}: the binary does not run in this execution environment`,
      fix: `the layer must hold the package for Amazon Linux 2023 on arm64 (the functions' nodejs22.x, arm64): ${LAYER_FIX}`,
    };
  }
  return { check, ok: true, detail: `${cliPath} and configure-cli run (--help)` };
}

const under = (root: string, path: string) => {
  const rel = relative(resolve(root), resolve(path));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/**
 * The CLI's configuration directory, <layer>/etc beside bin: the CLI and configure-cli read and write it there
 * (CloudHSM User Guide, "AWS CloudHSM Client SDK 5 configuration parameters", configure-tool-params5, which names no
 * option that moves it). A layer is read-only, and a function may write only its /tmp (Security Overview of AWS
 * Lambda, "Lambda isolation technologies": each execution environment has "a writeable /tmp directory"; nothing
 * says /opt is writable, so it is taken as read-only). scripts/build-cloudhsm-cli-layer.sh therefore makes etc a link
 * into /tmp/cloudhsm/etc and ships the configuration as etc.dist, which the adapter copies in (cloudhsm-cli-config.ts).
 * This check follows the same path: the link resolves under /tmp, the template is there, and a file can be written.
 */
export async function checkCliConfigDir(
  cliPath: string,
  writableRoot: string,
  files: { writeFile: typeof writeFile; rm: typeof rm } = { writeFile, rm },
): Promise<SelfCheckResult> {
  const check = "CLI layer: configuration directory";
  const etc = join(dirname(cliPath), "..", "etc");
  let dir = etc;
  let linked = false;
  try {
    const stat = await lstat(etc);
    if (stat.isSymbolicLink()) {
      linked = true;
      dir = resolve(dirname(etc), await readlink(etc));
      if (!under(writableRoot, dir)) {
        return {
          check,
          ok: false,
          detail: `${etc} links to ${dir}, outside ${writableRoot}, the only place a function may write`,
          fix: LAYER_FIX,
        };
      }
      const template = join(dirname(cliPath), "..", "etc.dist", "cloudhsm-cli.cfg");
      try {
        await access(template, constants.R_OK);
      } catch {
        return {
          check,
          ok: false,
          detail: `${etc} links into ${writableRoot} but ${template} is missing: nothing to seed the configuration from`,
          fix: LAYER_FIX,
        };
      }
      // The adapter creates the link's target in each new instance before the first add-cluster.
      await mkdir(dir, { recursive: true });
    } else if (!stat.isDirectory()) {
      return { check, ok: false, detail: `${etc} is not a directory`, fix: LAYER_FIX };
    }
  } catch (error: unknown) {
    return {
      check,
      ok: false,
      detail: `${etc}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      fix: LAYER_FIX,
    };
  }
  const probe = join(dir, `.self-check-${randomUUID()}`);
  try {
    await files.writeFile(probe, "");
    await files.rm(probe, { force: true });
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    return {
      check,
      ok: false,
      detail: `${etc} is ${linked ? `a link to ${dir}, which` : "a directory of the layer and"} cannot be written (${code}): configure-cli add-cluster would fail (/opt is read-only in Lambda)`,
      fix: `${LAYER_FIX}: it links /opt/cloudhsm/etc and run into /tmp/cloudhsm`,
    };
  }
  return {
    check,
    ok: true,
    detail: linked ? `${etc} links to ${dir}, writable` : `${etc} is writable`,
  };
}

type Probe = {
  service: string;
  /** The interface endpoint's service name suffix (com.amazonaws.<region>.<suffix>), or the gateway endpoint's. */
  endpoint: string;
  gateway?: boolean;
  action: string;
  resource: string;
  call: (signal: AbortSignal) => Promise<CallOutcome>;
  /** Answers that still prove the service reachable and the call allowed, with what they mean. */
  expected?: Record<string, string>;
  /** Answers that prove it reachable and allowed but show something the workflows need is missing. */
  missing?: Record<string, { detail: string; fix: string }>;
};

/**
 * One cheap read-only call to a service the CLI functions use, through the product's own clients (their connection and
 * request timeouts, clients/http.ts) and bounded as a whole by an abort signal. Unreachable and denied are reported
 * apart: the first is the network (VPC endpoint or NAT, security group egress), the second the role. The endpoints
 * are those of README "Deploy to AWS": interface endpoints com.amazonaws.<region>.<service> with private DNS, DynamoDB
 * through a gateway endpoint (Amazon VPC User Guide, "Access AWS services through AWS PrivateLink" and "Gateway
 * endpoints").
 */
async function probe(p: Probe, region: string, timeoutMs: number): Promise<SelfCheckResult> {
  const check = `endpoint: ${p.service}`;
  const ended = await p.call(AbortSignal.timeout(timeoutMs));
  if (ended.outcome === "ok") return { check, ok: true, detail: `${p.action} answered` };
  const { name, message } = ended;
  if (ended.outcome === "denied") {
    return {
      check,
      ok: false,
      detail: `${p.action} on ${p.resource} was denied: ${name}`,
      fix: `allow ${p.action} on ${p.resource} to the function's role (serverless.yml iamRoleStatements); the CLI functions' roles need the same`,
    };
  }
  if (ended.outcome === "unreachable") {
    const endpoint = `com.amazonaws.${region}.${p.endpoint}`;
    return {
      check,
      ok: false,
      detail: `${p.service} did not answer ${p.action} within ${timeoutMs / 1000} s (${name}${message ? `: ${message}` : ""})`,
      fix: p.gateway
        ? `add a gateway VPC endpoint ${endpoint} to the route tables of cliSubnetIds, or a NAT gateway`
        : `add an interface VPC endpoint ${endpoint} with private DNS in cliSubnetIds whose security group admits HTTPS (443) from CliSecurityGroup, or a NAT gateway; and let CliSecurityGroup send HTTPS there (param cliHttpsEgressCidr)`,
    };
  }
  const meaning = p.expected?.[name];
  if (meaning !== undefined) return { check, ok: true, detail: `${p.action} answered ${name}: ${meaning}` };
  const missing = p.missing?.[name];
  if (missing !== undefined) return { check, ok: false, ...missing };
  return {
    check,
    ok: false,
    detail: `${p.action} answered ${name}: ${message}`.trim(),
    fix: `reachable and allowed, but the call failed: see the detail (${p.resource})`,
  };
}

/** The services the CLI functions call, one read each, on the resources the workflows use where IAM can scope it. */
function probes(deps: SelfCheckDeps, settings: SelfCheckSettings, input: SelfCheckInput): Probe[] {
  const { probes } = deps;
  const secretId = settings.trustAnchorSecret(input.clusterId ?? "cluster-selfcheck00");
  return [
    {
      service: "Secrets Manager",
      endpoint: "secretsmanager",
      action: "secretsmanager:DescribeSecret",
      resource: secretId,
      call: (signal) => probes.describeSecret(secretId, signal),
      // Without a cluster the name is a probe: not finding it still proves the call reached Secrets Manager and was
      // allowed (Secrets Manager API Reference, DescribeSecret: ResourceNotFoundException).
      ...(input.clusterId
        ? {
            missing: {
              ResourceNotFoundException: {
                detail: `reachable and allowed, but ${secretId} does not exist: the CLI cannot be configured for ${input.clusterId} without its trust anchor`,
                fix: `provision-key-store stores it; for a cluster it did not create, store the PEM the cluster was initialized with as the secret ${secretId}`,
              },
            },
          }
        : { expected: { ResourceNotFoundException: "reachable and allowed (probe name)" } }),
    },
    {
      service: "KMS",
      endpoint: "kms",
      action: "kms:DescribeCustomKeyStores",
      resource: "*",
      call: (signal) => probes.describeCustomKeyStores(signal),
    },
    {
      service: "CloudHSM",
      endpoint: "cloudhsmv2",
      action: "cloudhsm:DescribeClusters",
      resource: "*",
      call: (signal) => probes.describeClusters(signal),
    },
    {
      service: "EventBridge",
      endpoint: "events",
      action: "events:DescribeEventBus",
      resource: `event-bus/${settings.alertBusName}`,
      call: (signal) => probes.describeEventBus(settings.alertBusName, signal),
    },
    {
      service: "Step Functions",
      endpoint: "states",
      action: "states:DescribeStateMachine",
      resource: settings.connectStateMachineArn,
      call: (signal) => probes.describeStateMachine(settings.connectStateMachineArn, signal),
    },
    {
      service: "DynamoDB",
      endpoint: "dynamodb",
      gateway: true,
      action: "dynamodb:DescribeTable",
      resource: `table/${settings.orphanTableName}`,
      call: (signal) => probes.describeTable(settings.orphanTableName, signal),
    },
  ];
}

/**
 * The cluster's ACTIVE HSMs take TCP connections on 2223-2225 from here: what the CLI needs besides its configuration
 * (CloudHSM User Guide, configure-sg-client-instance). ENI addresses from DescribeClusters (CloudHSM API Reference,
 * Hsm.EniIp).
 */
export async function checkHsms(
  deps: Pick<SelfCheckDeps, "clusters" | "connect">,
  clusterId: string,
  timeoutMs = HSM_TIMEOUT_MS,
): Promise<SelfCheckResult> {
  const check = `HSMs of ${clusterId}`;
  let hsms: ClusterHsm[];
  try {
    const cluster = await findCluster(deps.clusters, clusterId, {
      abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    if (!cluster) {
      return {
        check,
        ok: false,
        detail: `cluster ${clusterId} not found in this account and Region`,
        fix: "pass the id of a cluster of this account and Region (aws cloudhsmv2 describe-clusters)",
      };
    }
    hsms = cluster.hsms;
  } catch (error: unknown) {
    return {
      check,
      ok: false,
      detail: `DescribeClusters failed: ${(error as Error).name}`,
      fix: "see the CloudHSM endpoint check",
    };
  }
  const active = hsms.filter((h) => h.state === "ACTIVE" && h.eniIp);
  if (active.length === 0) {
    return {
      check,
      ok: false,
      detail: "no ACTIVE HSM: nothing for the CLI to connect to",
      fix: "create an HSM in the cluster (provision-key-store does) or wait until it is ACTIVE",
    };
  }
  // All at once: a blocked path costs one timeout, not one per HSM and port, inside the function's timeout.
  const attempts = active.flatMap((hsm) =>
    HSM_PORTS.map(async (port) => {
      try {
        await deps.connect(hsm.eniIp as string, port, timeoutMs);
        return undefined;
      } catch (error: unknown) {
        const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        return `${hsm.hsmId} ${hsm.eniIp}:${port} (${reason})`;
      }
    }),
  );
  const failures = (await Promise.all(attempts)).filter((f): f is string => f !== undefined);
  if (failures.length > 0) {
    return {
      check,
      ok: false,
      detail: `no TCP connection within ${timeoutMs / 1000} s to ${failures.join(", ")}`,
      fix: "the cluster's security group must admit CliSecurityGroup on TCP 2223-2225 (clusterSecurityGroupId), CliSecurityGroup may send there, and cliSubnetIds must route to the HSMs' subnets",
    };
  }
  return {
    check,
    ok: true,
    detail: `${active.map((h) => h.eniIp).join(", ")} accept TCP on ${HSM_PORTS.join(", ")}`,
  };
}

/**
 * The deployed stack's self-check from inside the CLI functions' VPC: the CloudHSM CLI layer, each service's endpoint
 * (and that the role may call it), and with a cluster id its trust anchor secret and its HSMs. Changes nothing beyond
 * a probe file written and removed in the CLI's configuration directory.
 */
export async function runSelfCheck(
  deps: SelfCheckDeps,
  settings: SelfCheckSettings,
  input: SelfCheckInput,
): Promise<SelfCheckResult[]> {
  const timeout = settings.callTimeoutMs ?? CALL_TIMEOUT_MS;
  const [binary, configDir, ...endpoints] = await Promise.all([
    checkCliBinary(deps, settings.cliPath),
    checkCliConfigDir(settings.cliPath, settings.writableRoot),
    ...probes(deps, settings, input).map((p) => probe(p, settings.region, timeout)),
  ]);
  const results = [binary, configDir, ...endpoints] as SelfCheckResult[];
  if (input.clusterId) {
    const hsms = await checkHsms(deps, input.clusterId, settings.hsmTimeoutMs);
    // Tried even when TCP failed above: the CLI's own error says more, and HSM_PATH_TIMEOUT_MS bounds it.
    results.push(hsms, await checkHsmPath(deps, input.clusterId, binary.ok && configDir.ok));
  }
  return results;
}

/**
 * The whole HSM path the workflows take, without a credential: the adapter writes the CLI's configuration for the
 * cluster at run time (configure-cli add-cluster through the layer's link into /tmp) and runs `user list`, which needs
 * no login (cloudhsm_cli-user-list.html), against the HSMs. Only the real CLI in the real layer can show that it reads
 * its configuration through the link; this is where a deployment shows it.
 */
export async function checkHsmPath(
  deps: Pick<SelfCheckDeps, "listUsers">,
  clusterId: string,
  ready: boolean,
  timeoutMs = HSM_PATH_TIMEOUT_MS,
): Promise<SelfCheckResult> {
  const check = `HSM path: CloudHSM CLI user list on ${clusterId}`;
  if (!ready) {
    return {
      check,
      ok: false,
      detail: "not tried: the CLI layer failed above",
      fix: "fix the checks above first",
    };
  }
  try {
    const users = await Promise.race([
      deps.listUsers(clusterId),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { name: "Timeout" })),
          timeoutMs,
        ).unref(),
      ),
    ]);
    const kmsuser = users.find((u) => u.username === "kmsuser");
    const locked = users.filter((u) => u.locked).map((u) => u.username);
    return {
      check,
      ok: locked.length === 0,
      detail: `${users.length} user(s); kmsuser ${kmsuser ? "present" : "absent"}${locked.length ? `; locked: ${locked.join(", ")}` : ""}`,
      ...(locked.length
        ? {
            fix: "a locked user can log in again only after an admin resets its password (user change-password); KMS cannot connect as a locked kmsuser",
          }
        : {}),
    };
  } catch (error: unknown) {
    return {
      check,
      ok: false,
      detail: `${(error as Error).name}: ${(error as Error).message}`,
      fix: "the CLI could not be configured or could not reach the HSMs: check its log on standard error (CloudWatch Logs of selfCheck); the layer must come from scripts/build-cloudhsm-cli-layer.sh, and the trust anchor secret must hold the PEM the cluster was initialized with",
    };
  }
}
