import type { Orphan } from "../../ports/orphan-register";
import type { CleanupDeps } from "./deps";
import { type CallCounter, mapAdaptive, throttled } from "./kms-calls";
import { REPORT_LIMIT, type ScanResult } from "./model";
import type { ScanStep } from "./step-inputs";

/** DescribeKey is 2,000 requests/s per account (DOMAIN.md §7): 16 in flight stays far below it, throttling or not. */
const MAX_CONCURRENCY = 16;
const SNAPSHOT_DAYS = 7;

/**
 * The KMS side of the reconciliation, with no downtime: ListKeys, then DescribeKey on each key (adaptive
 * concurrency), keeping the keys of this key store. The list goes to the register as a snapshot for the sweep; the
 * payload carries only counts. In a dry run it also says, for each registered orphan, whether KMS still has the key.
 */
export async function scanKeyStore(
  deps: Pick<CleanupDeps, "keyStores" | "orphans" | "now" | "sleep">,
  input: ScanStep,
): Promise<ScanResult> {
  const counter: CallCounter = { calls: 0, throttled: 0 };
  const kms = throttled(deps.keyStores, counter, deps.sleep);
  const listed: string[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.keyArnPage(marker);
    listed.push(...page.keyArns);
    marker = page.nextMarker;
  } while (marker);

  const described = await mapAdaptive(listed, MAX_CONCURRENCY, (arn, onThrottle) =>
    throttled(deps.keyStores, counter, deps.sleep, { onThrottle }).describeKey(arn),
  );
  const storeKeys = listed.filter((_arn, i) => {
    const d = described[i];
    return d && !d.gone && d.key.customKeyStoreId === input.customKeyStoreId;
  });
  const expires = new Date(deps.now().getTime() + SNAPSHOT_DAYS * 86_400_000);
  const chunks = await deps.orphans.writeKeySnapshot(input.snapshotId, storeKeys, expires);
  // A sighting whose key KMS now describes was KMS's eventual consistency, not an orphan: resolved, so it books no
  // further window. The snapshot id is the execution's name.
  const inStore = new Set(storeKeys);
  const open: Orphan[] = [];
  for (const orphan of await deps.orphans.listOpen(input.customKeyStoreId)) {
    if (orphan.status === "DISCOVERED" && inStore.has(orphan.keyArn) && !input.dryRun) {
      await deps.orphans.resolve(orphan.keyArn, {
        resolution: "KEY_EXISTS",
        at: deps.now().toISOString(),
        by: input.snapshotId,
      });
    } else open.push(orphan);
  }

  const result: ScanResult = {
    kmsKeys: listed.length,
    storeKeys: storeKeys.length,
    snapshot: { id: input.snapshotId, chunks },
    openOrphans: open.length,
    kmsCalls: counter.calls,
    throttled: counter.throttled,
    windowNeeded: open.length > 0 || input.discover,
  };
  if (!input.dryRun) return result;

  const wouldDelete: NonNullable<ScanResult["wouldDelete"]> = [];
  const wouldKeep: NonNullable<ScanResult["wouldKeep"]> = [];
  for (const orphan of open) {
    try {
      const now = await kms.describeKey(orphan.keyArn);
      if (now.gone)
        wouldDelete.push({
          keyArn: orphan.keyArn,
          ...(orphan.backingKeyId ? { backingKeyId: orphan.backingKeyId } : {}),
        });
      else wouldKeep.push({ keyArn: orphan.keyArn, reason: `KMS still has the key (${now.key.keyState})` });
    } catch (error: unknown) {
      wouldKeep.push({
        keyArn: orphan.keyArn,
        reason: `KMS could not confirm the key is gone (${(error as Error).name})`,
      });
    }
  }
  return {
    ...result,
    kmsCalls: counter.calls,
    throttled: counter.throttled,
    wouldDelete: wouldDelete.slice(0, REPORT_LIMIT),
    wouldKeep: wouldKeep.slice(0, REPORT_LIMIT),
  };
}
