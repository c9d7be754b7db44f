import { randomInt } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { LocalAccount } from "../local/account/account";
import { configFromEnv } from "../local/account/config";
import { CONTROL_TOKEN_HEADER } from "../local/account/server";
import { LocalDynamoDb } from "../local/runtime/dynamodb";
import { LocalRuntime } from "../local/runtime/runtime";
import { loadServerlessConfig } from "../local/runtime/serverless-config";
import { executionPrefix } from "../src/workflows/deletion-follow-up/events";
import type { Figures } from "./run";
import { round } from "./stats";

const CREDENTIALS = { accessKeyId: "AKIALOCAL", secretAccessKey: "local" };
const DUPLICATE_SHARE = 0.3;

/**
 * The deletion follow-up on the local runtime deployed from serverless.yml, in process, quotas off:
 * - state transitions one follow-up costs (StateEntered events in its history), material deleted and orphaned;
 * - `events` ScheduleKeyDeletion records (30% of them delivered twice) through the rule to the followUpEvents
 *   starter: events per second, and that exactly one execution exists per key. The keys are real keys of the
 *   default key store, so each execution ends quickly (its Record step finds the key not pending).
 * `events` defaults to 10,000, the scale the follow-up is built for (FOLLOW_UP_BENCH_EVENTS overrides); on the 2-core machine
 * the whole bench takes about 2 minutes. It used to take 8 to over 15: CreateKey read every key record, the
 * EventBridge cursor scanned every in-flight and seen event per delivery, every finished execution left its
 * execution-timeout waiter on the simulated clock for each tick to walk, and this bench's polling read every
 * invocation of every function; each was O(N) per step, O(N²) in all.
 */
export async function followUpBench(events = Number(process.env.FOLLOW_UP_BENCH_EVENTS ?? 10_000)): Promise<Figures> {
  const dataDir = mkdtempSync(join(tmpdir(), "follow-up-bench-"));
  const account = new LocalAccount(
    configFromEnv({ LOCAL_ACCOUNT_PORT: "0", LOCAL_ACCOUNT_DATA: dataDir, LOCAL_ACCOUNT_QUOTAS: "off" }),
  );
  const endpoint = await account.start();
  const { region, accountId } = account.config;
  const wiring = await loadServerlessConfig({
    rootDir: resolve(__dirname, ".."),
    region,
    accountId,
  });
  const dynamodb = await LocalDynamoDb.start({ dataDir, host: account.config.host, region });
  await dynamodb.createTables(wiring.resources, region);
  for (const fn of Object.values(wiring.functions)) fn.environment.AWS_ENDPOINT_URL_DYNAMODB ??= dynamodb.endpoint;
  const runtime = await LocalRuntime.deploy(account, wiring);
  const client = { endpoint, region, credentials: CREDENTIALS, maxAttempts: 1 };
  const kms = new KMSClient(client);
  const sfn = new SFNClient(client);
  const machine = wiring.stateMachines.deletionFollowUp?.arn as string;
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${endpoint}${path}`, {
      method,
      headers: { "content-type": "application/json", [CONTROL_TOKEN_HEADER]: account.controlToken },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const listAll = async () => {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
      );
      names.push(...(out.executions ?? []).map((e) => e.name ?? ""));
      nextToken = out.nextToken;
    } while (nextToken);
    return names;
  };

  try {
    // 1. Transitions per follow-up, from execution history: one key deleted while connected, one while disconnected.
    const cluster = (await control("POST", "/_local/actions/seed-active-cluster", {})) as {
      clusterId: string;
      trustAnchor: string;
      kmsuserPassword: string;
    };
    const store = await kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: "bench",
        CloudHsmClusterId: cluster.clusterId,
        TrustAnchorCertificate: cluster.trustAnchor,
        KeyStorePassword: cluster.kmsuserPassword,
      }),
    );
    const storeId = store.CustomKeyStoreId as string;
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await control("POST", "/_local/clock/advance", { by: "30m" });
    const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata?.Arn as string;
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 }));
    await until(async () => (await listAll()).length === 1, "the follow-up to start");
    const [name] = await listAll();
    const executionArn = `${machine.replace(":stateMachine:", ":execution:")}:${name}`;
    await until(
      async () =>
        ((await sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? []).some(
          (e) => e.type === "WaitStateEntered",
        ),
      "the wait",
    );
    await control("POST", "/_local/clock/advance", { by: "8d" });
    await until(
      async () => (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status !== "RUNNING",
      "the follow-up to finish",
    );
    const history = (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
    const transitions = history.filter((e) => e.type?.endsWith("StateEntered")).length;
    const outcome = JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn }))).output ?? "{}");

    // 2. Throughput with duplicates: `events` keys, 30% of the records delivered twice, in shuffled order.
    const keys: string[] = [];
    for (let i = 0; i < events; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, events - i) }, () => kms.send(new CreateKeyCommand({}))),
      );
      keys.push(...batch.map((k) => k.KeyMetadata?.Arn as string));
    }
    const deliveries = keys.flatMap((arn, i) => (i < events * DUPLICATE_SHARE ? [arn, arn] : [arn]));
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [deliveries[i], deliveries[j]] = [deliveries[j] as string, deliveries[i] as string];
    }
    const starter = wiring.functions.followUpEvents?.name as string;
    const before = runtime.invocations(starter).length;
    const started = performance.now();
    for (let i = 0; i < deliveries.length; i += 100) {
      await Promise.all(
        deliveries
          .slice(i, i + 100)
          .map((arn) => control("POST", "/_local/events", scheduleRecord(arn, storeId, cluster.clusterId))),
      );
    }
    await until(
      async () =>
        runtime.invocations(starter).filter((r) => r.status !== "running").length >= before + deliveries.length,
      "every delivery to be handled",
      600_000,
    );
    const seconds = (performance.now() - started) / 1000;
    const names = (await listAll()).filter((n) => n !== name);
    // Exactly one execution per key: every key's id in exactly one execution name (followup-<keyId>-<date>).
    const perKey = new Map(keys.map((arn) => [executionPrefix(arn), 0]));
    for (const n of names) {
      const prefix = n.slice(0, n.lastIndexOf("-") + 1);
      perKey.set(prefix, (perKey.get(prefix) ?? 0) + 1);
    }
    const exactlyOne = names.length === events && perKey.size === events && [...perKey.values()].every((c) => c === 1);
    if (!exactlyOne) throw new Error(`bench: ${names.length} executions for ${events} keys, not exactly one per key`);

    return {
      "state transitions per follow-up, material deleted": transitions,
      "follow-up outcome": String(outcome.result),
      "ScheduleKeyDeletion events (keys)": events,
      "deliveries incl. 30% duplicates": deliveries.length,
      "executions started": names.length,
      "exactly one execution per key": exactlyOne ? "yes" : "NO",
      "seconds, first delivery to last handled": round(seconds),
      "events/s (delivery to starter handled)": round(deliveries.length / seconds),
    };
  } finally {
    await runtime.stop();
    await account.stop();
    await dynamodb.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A ScheduleKeyDeletion CloudTrail record as KMS writes it for a key in a CloudHSM key store (DOMAIN.md §5.1). */
function scheduleRecord(keyArn: string, storeId: string, clusterId: string) {
  return {
    source: "aws.kms",
    "detail-type": "AWS API Call via CloudTrail",
    detail: {
      eventVersion: "1.08",
      eventSource: "kms.amazonaws.com",
      eventName: "ScheduleKeyDeletion",
      requestParameters: { keyId: keyArn, pendingWindowInDays: 7 },
      responseElements: {
        keyId: keyArn,
        deletionDate: "Dec 1, 2026, 11:25:25 PM",
        keyState: "PendingDeletion",
        pendingWindowInDays: 7,
      },
      additionalEventData: { customKeyStoreId: storeId, clusterId, backingKeys: '[{"backingKeyId":"bench"}]' },
      eventType: "AwsApiCall",
    },
  };
}

/**
 * Polls `done` until it holds. The pause is at least 250 ms and at least 20 times what the last check took, so that
 * a check that reads thousands of records (every starter invocation) takes at most ~5% of the one thread the
 * runtime under measurement also runs on.
 */
async function until(done: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const checked = performance.now();
    if (await done()) return;
    await new Promise((r) => setTimeout(r, Math.max(250, 20 * (performance.now() - checked))));
  }
  throw new Error(`bench: gave up waiting for ${what}`);
}
