import { randomBytes } from "node:crypto";
import {
  ConnectCustomKeyStoreCommand,
  CreateKeyCommand,
  DisconnectCustomKeyStoreCommand,
  ScheduleKeyDeletionCommand,
  UpdateCustomKeyStoreCommand,
} from "@aws-sdk/client-kms";
import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import type { SeededCluster } from "../local/account/driver";
import { type RuntimeStore, WorkflowRuntime } from "../test/support/workflow-runtime";
import type { Figures } from "./run";
import { median, round } from "./stats";

/** hsm2m.medium holds 16,666 keys (DOMAIN.md §6); 1% of them orphaned. CLEANUP_BENCH_KEYS runs it smaller. */
const KEYS = Number(process.env.CLEANUP_BENCH_KEYS ?? 16_666);
const ORPHAN_SHARE = 0.01;
const NAIVE_WINDOWS = 10;

/**
 * orphan-cleanup on the local account with serverless.yml deployed (quotas off so that seeding 16,666 keys takes
 * minutes, not hours): the committed ASL with its real handlers, driven through the Step Functions API. A key store
 * at hsm2m.medium capacity with 1% of its keys orphaned: deleted while the store was disconnected, then registered
 * by their deletion follow-ups. Measured in the same run:
 * - one batched window for all the orphans (a real execution, approval skipped): wall time, KMS calls per key of
 *   the account, and simulated time from its Disconnect state to the end of its reconnect;
 * - the naive baseline, one window per orphan as done by hand (DOMAIN.md §2.5: disconnect, reset kmsuser's password
 *   with the CloudHSM CLI, delete the key as kmsuser, tell KMS the password, connect), over NAIVE_WINDOWS orphans:
 *   median disconnected time per orphan, and that times the orphan count.
 */
export async function cleanupBench(): Promise<Figures> {
  // The clock moves 15 s at a time, the windows' poll interval, so downtime is measured at that resolution.
  const rt = await WorkflowRuntime.start({ LOCAL_ACCOUNT_QUOTAS: "off" }, { step: "15s" });
  try {
    const store = await rt.newStore(`bench-${Date.now() % 100000}`);
    const orphans = Math.round(KEYS * ORPHAN_SHARE);
    // The cluster holds at most KEYS keys (the local account enforces hsm2m.medium's capacity): the baseline's
    // orphans are part of them.
    const arns: string[] = [];
    const seedStarted = performance.now();
    for (let i = 0; i < KEYS; i += 32) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(32, KEYS - i) }, () =>
          rt.kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: store.id })),
        ),
      );
      arns.push(...batch.map((k) => k.KeyMetadata?.Arn as string));
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    // Orphans: deleted while the store is disconnected, so KMS's best-effort deletion of their material fails
    // ("Delete KMS keys from an AWS CloudHSM key store", KMS Developer Guide). Each deletion starts a follow-up, which
    // registers its orphan a day after the deletion date and books the store's next window.
    const doomed = arns.slice(0, orphans + NAIVE_WINDOWS);
    for (const arn of doomed) await rt.kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
    await rt.drive();
    await rt.disconnect(store.id);
    await rt.advance("7d7h");
    await rt.drive();
    await rt.connect(store.id);
    await rt.advance("18h");
    await rt.drive();
    // The booked window would open at the next daily window time; the bench opens its own now instead.
    for (const e of (await rt.executions()).filter((x) => x.status === "RUNNING"))
      await rt.sfn.send(new StopExecutionCommand({ executionArn: e.executionArn }));

    const naive: number[] = [];
    for (const arn of doomed.slice(0, NAIVE_WINDOWS)) naive.push(await naiveWindow(rt, store, arn));

    const started = performance.now();
    const arn = await rt.start("cleanup", { customKeyStoreId: store.id, approval: "skip", maxDeletes: 5_000 });
    const done = await rt.finish(arn, 3_600_000);
    const windowSeconds = (performance.now() - started) / 1000;
    const history = await rt.history(arn);
    const exited = (name: string) =>
      history.find((e) => e.type?.endsWith("StateExited") && e.stateExitedEventDetails?.name === name);
    const scan = JSON.parse(exited("Scan")?.stateExitedEventDetails?.output ?? "{}").scan as {
      kmsKeys: number;
      kmsCalls: number;
    };
    const report = JSON.parse(done.output ?? "{}") as {
      status?: string;
      connectionState?: string;
      sweep?: { deleted: number; kmsCalls: number };
    };
    const disconnectedAt = history.find((e) => e.stateEnteredEventDetails?.name === "Disconnect")?.timestamp;
    const reconnectedAt = exited("ConnectKeyStore")?.timestamp;
    const disconnectedMs = (reconnectedAt?.getTime() ?? 0) - (disconnectedAt?.getTime() ?? 0);
    const kmsCalls = scan.kmsCalls + (report.sweep?.kmsCalls ?? 0);
    const perOrphan = median(naive);
    return {
      keys: KEYS,
      orphans,
      workflow: "statemachines/orphan-cleanup.asl.yml on the local runtime (real handlers)",
      seedKeysPerSecond: round(KEYS / seedSeconds),
      kmsKeysScanned: scan.kmsKeys,
      scanKmsCalls: scan.kmsCalls,
      sweepKmsCalls: report.sweep?.kmsCalls ?? 0,
      kmsCallsPerKey: Math.round((kmsCalls / scan.kmsKeys) * 1000) / 1000,
      orphansDeleted: report.sweep?.deleted ?? 0,
      windowWallSeconds: round(windowSeconds),
      batchedDisconnectedMinutes: round(disconnectedMs / 60_000),
      naiveDisconnectedMinutesPerOrphan: round(perOrphan / 60_000),
      naiveDisconnectedMinutesForAllOrphans: round((perOrphan * orphans) / 60_000),
      naiveOverBatchedRatio: round((perOrphan * orphans) / disconnectedMs),
      windowStatus: `${done.status} ${report.status ?? done.error ?? ""}, store ${report.connectionState ?? "?"}`,
    };
  } finally {
    await rt.stop();
  }
}

/** A password CloudHSM accepts (7 to 32 characters), never shown. */
const newPassword = () => `Bench-${randomBytes(9).toString("base64url")}`;

/**
 * One orphan removed by hand (DOMAIN.md §2.5), with the shipped CloudHSM CLI and the KMS API; returns the simulated
 * milliseconds from the disconnect to CONNECTED again.
 */
async function naiveWindow(rt: WorkflowRuntime, store: RuntimeStore, keyArn: string): Promise<number> {
  const cluster: SeededCluster = store.cluster;
  const from = await rt.now();
  await rt.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }));
  await rt.settleState(store.id, "DISCONNECTED");
  const password = newPassword();
  const cli = (args: string[], username: string, secret: string, role = "crypto-user") => {
    const out = rt.account.cli(["--cluster-id", cluster.clusterId, ...args], { role, username, password: secret });
    if (out.json?.error_code !== 0) throw new Error(`cloudhsm-cli ${args.slice(0, 2).join(" ")} failed`);
    return out.json.data as { matched_keys?: { "key-reference": string }[] };
  };
  cli(
    ["user", "change-password", "--username", "kmsuser", "--role", "crypto-user", "--password", password],
    "admin",
    cluster.adminPassword as string,
    "admin",
  );
  const found = cli(["key", "list", "--filter", `attr.label=${keyArn}`], "kmsuser", password).matched_keys ?? [];
  for (const key of found)
    cli(["key", "delete", "--filter", `key-reference=${key["key-reference"]}`], "kmsuser", password);
  await rt.kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: store.id, KeyStorePassword: password }));
  await rt.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }));
  await rt.drive();
  await rt.settleState(store.id, "CONNECTED");
  return (await rt.now()) - from;
}
