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
import { LocalDynamoDb, printedResources } from "../local/runtime/dynamodb";
import { LocalRuntime } from "../local/runtime/runtime";
import { loadServerlessConfig } from "../local/runtime/serverless-config";
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
 * `events` defaults to 2,000 (FOLLOW_UP_BENCH_EVENTS overrides): on the 2-core machine 10,000 did not finish within
 * 15 minutes while other test suites shared the cores; 2,000 take about a minute.
 */
export async function followUpBench(events = Number(process.env.FOLLOW_UP_BENCH_EVENTS ?? 2_000)): Promise<Figures> {
  const dataDir = mkdtempSync(join(tmpdir(), "follow-up-bench-"));
  const account = new LocalAccount(
    configFromEnv({ LOCAL_ACCOUNT_PORT: "0", LOCAL_ACCOUNT_DATA: dataDir, LOCAL_ACCOUNT_QUOTAS: "off" }),
  );
  const endpoint = await account.start();
  const { region, accountId } = account.config;
  const wiring = await loadServerlessConfig({
    rootDir: resolve(__dirname, ".."),
    cacheDir: dataDir,
    region,
    accountId,
  });
  const dynamodb = await LocalDynamoDb.start({ dataDir, host: account.config.host, region });
  await dynamodb.createTables(printedResources(dataDir), region);
  for (const fn of Object.values(wiring.functions)) fn.environment.AWS_ENDPOINT_URL_DYNAMODB ??= dynamodb.endpoint;
  const runtime = await LocalRuntime.deploy(account, wiring);
  const client = { endpoint, region, credentials: CREDENTIALS, maxAttempts: 1 };
  const kms = new KMSClient(client);
  const sfn = new SFNClient(client);
  const machine = wiring.stateMachines.deletionFollowUp?.arn as string;
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${endpoint}${path}`, {
      method,
      headers: { "content-type": "application/json" },
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
    const perKey = new Set(names);

    return {
      "state transitions per follow-up, material deleted": transitions,
      "follow-up outcome": String(outcome.result),
      "ScheduleKeyDeletion events (keys)": events,
      "deliveries incl. 30% duplicates": deliveries.length,
      "executions started": names.length,
      "exactly one execution per key": names.length === events && perKey.size === events ? "yes" : "NO",
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

async function until(done: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`bench: gave up waiting for ${what}`);
}
