import {
  ConnectCustomKeyStoreCommand,
  CreateKeyCommand,
  DisconnectCustomKeyStoreCommand,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { registerOrphan } from "../src/orphans";
import { CleanupHarness } from "../test/support/cleanup-harness";
import type { Figures } from "./run";
import { median, round } from "./stats";

/** hsm2m.medium holds 16,666 keys (DOMAIN.md §6); 1% of them orphaned. */
const KEYS = Number(process.env.CLEANUP_BENCH_KEYS ?? 16_666);
const ORPHAN_SHARE = 0.01;
const NAIVE_WINDOWS = 10;

/**
 * orphan-cleanup on the local account (in process, quotas off so that seeding 16,666 keys takes minutes, not hours):
 * a key store at hsm2m.medium capacity with 1% of its keys orphaned (deleted while the store was disconnected, and
 * registered as the follow-ups would). Measured in the same run:
 * - the scan (KMS side, no downtime): wall time, and KMS calls per key of the account for the whole window;
 * - one batched window for all the orphans: simulated time the store is disconnected;
 * - the naive baseline, one window per orphan as done by hand, over NAIVE_WINDOWS orphans: median disconnected time
 *   per orphan, and that times the orphan count.
 */
export async function cleanupBench(): Promise<Figures> {
  const harness = await CleanupHarness.start();
  try {
    const store = await harness.newStore();
    const orphans = Math.round(KEYS * ORPHAN_SHARE);
    // The cluster holds at most KEYS keys (the local account enforces hsm2m.medium's capacity): the baseline's
    // orphans are part of them.
    const total = KEYS;
    const arns: string[] = [];
    const seedStarted = performance.now();
    for (let i = 0; i < total; i += 32) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(32, total - i) }, () =>
          harness.kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: store.id })),
        ),
      );
      arns.push(...batch.map((k) => k.KeyMetadata?.Arn as string));
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    // Orphans: deleted while the store is disconnected, so KMS's best-effort deletion of their material fails.
    const doomed = arns.slice(0, orphans + NAIVE_WINDOWS);
    for (const arn of doomed)
      await harness.kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
    await harness.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }));
    await harness.settle(store.id, "DISCONNECTED", "15s");
    await harness.advance("8d");
    await harness.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }));
    await harness.settle(store.id, "CONNECTED", "30s");
    const foundAt = new Date().toISOString();
    for (const arn of doomed.slice(NAIVE_WINDOWS)) {
      await registerOrphan(harness.deps.db, harness.deps.table, {
        keyArn: arn,
        customKeyStoreId: store.id,
        clusterId: store.clusterId,
        status: "FAILURE",
        foundAt,
        followUp: "bench",
      });
    }

    // Baseline first, on its own orphans (unregistered, so the batched window below does not count them twice).
    const naive: number[] = [];
    for (const arn of doomed.slice(0, NAIVE_WINDOWS))
      naive.push((await harness.naiveWindow(store, arn)).disconnectedMs);

    const started = performance.now();
    const window = await harness.window(store, { discover: false, maxDeletes: 5_000 });
    const windowSeconds = (performance.now() - started) / 1000;
    const kmsKeys = window.scan.kmsKeys;
    const kmsCalls = window.scan.kmsCalls + (window.sweep?.kmsCalls ?? 0);
    const perOrphan = median(naive);
    return {
      keys: KEYS,
      orphans,
      seedKeysPerSecond: round(total / seedSeconds),
      kmsKeysScanned: kmsKeys,
      scanKmsCalls: window.scan.kmsCalls,
      sweepKmsCalls: window.sweep?.kmsCalls ?? 0,
      kmsCallsPerKey: Math.round((kmsCalls / kmsKeys) * 1000) / 1000,
      orphansDeleted: window.sweep?.deleted ?? 0,
      windowWallSeconds: round(windowSeconds),
      batchedDisconnectedMinutes: round(window.disconnectedMs / 60_000),
      naiveDisconnectedMinutesPerOrphan: round(perOrphan / 60_000),
      naiveDisconnectedMinutesForAllOrphans: round((perOrphan * orphans) / 60_000),
      naiveOverBatchedRatio: round((perOrphan * orphans) / window.disconnectedMs),
      windowError: window.error ?? "none",
    };
  } finally {
    await harness.stop();
  }
}
