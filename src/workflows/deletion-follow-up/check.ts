import type { KeyStores } from "../../ports/key-stores";
import type { OrphanRegister } from "../../ports/orphan-register";
import type { BackupFate, ProofStatus } from "../../ports/proofs";
import { DeletionStatusPendingError, KeyNotYetDeletedError } from "./errors";
import { type ProofDeps, refreshProof } from "./proof";
import type { CheckStep } from "./step-inputs";

export type CheckOutcome =
  | { result: "CANCELLED" | "SUPERSEDED"; keyArn: string }
  | {
      result: "MATERIAL_DELETED" | "ORPHAN_REGISTERED";
      keyArn: string;
      customKeyStoreId: string;
      clusterId?: string;
      backingKeyId?: string;
      deletionStatus: "SUCCESS" | "FAILURE" | "UNVERIFIED";
      orphanStatus?: string;
      /**
       * Backups that may hold the material (proof.ts, mayHoldMaterial) and are not gone; they hold it until they
       * expire or are deleted and purged.
       */
      backups: BackupFate[];
      backupsHoldingMaterial: number;
      /** The key's proof of destruction, opened or brought up to date by this check. */
      proofStatus: ProofStatus;
    };

export type CheckDeps = Omit<ProofDeps, "orphans"> & {
  keyStores: Pick<KeyStores, "describeKey">;
  orphans: OrphanRegister;
};

/**
 * Step 2, after the wait: confirms with KMS that the key is gone, then decides from the recorded DeleteKey status
 * whether its backing key was deleted. SUCCESS: done. FAILURE: an orphan. No status at all (only with
 * `acceptUnverified`, after the status had time to arrive): an UNVERIFIED orphan — never a guessed "deleted"; the
 * cleanup workflow verifies it as kmsuser in its maintenance window, since a kmsuser login here would need the store
 * disconnected. Either way it opens the key's proof of destruction (proof.ts), which lists the backups that may hold
 * the material; the daily proof refresh follows them from there.
 */
export async function checkFollowUp(deps: CheckDeps, input: CheckStep): Promise<CheckOutcome> {
  const { record, executionName: followUp, acceptUnverified } = input;
  const found = await deps.keyStores.describeKey(record.keyArn);
  const key = found.gone ? undefined : found.key;
  if (key) {
    if (key.keyState !== "PendingDeletion") return { result: "CANCELLED", keyArn: record.keyArn };
    if (key.deletionDate && Math.abs(key.deletionDate.getTime() - Date.parse(record.deletionDate)) > 1000) {
      return { result: "SUPERSEDED", keyArn: record.keyArn };
    }
    throw new KeyNotYetDeletedError(record.keyArn);
  }
  const status = await deps.orphans.deletionStatus(record.keyArn);
  if (!status?.backingKeysDeletionStatus && !acceptUnverified) throw new DeletionStatusPendingError(record.keyArn);
  const deletionStatus = status?.backingKeysDeletionStatus ?? "UNVERIFIED";
  const backingKeyId = record.backingKeyId ?? status?.backingKeyId;
  // Registered before the proof is refreshed, so the proof reads the orphan.
  const orphan =
    deletionStatus === "SUCCESS"
      ? undefined
      : await deps.orphans.register({
          keyArn: record.keyArn,
          ...(backingKeyId ? { backingKeyId } : {}),
          customKeyStoreId: record.customKeyStoreId,
          ...(record.clusterId ? { clusterId: record.clusterId } : {}),
          status: deletionStatus,
          foundAt: deps.now().toISOString(),
          followUp,
        });
  const proof = await refreshProof(deps, record.keyArn, {
    subject: {
      keyArn: record.keyArn,
      customKeyStoreId: record.customKeyStoreId,
      ...(record.clusterId ? { clusterId: record.clusterId } : {}),
      ...(backingKeyId ? { backingKeyId } : {}),
      ...(record.keyCreatedAt ? { keyCreatedAt: record.keyCreatedAt } : {}),
    },
    openedBy: followUp,
  });
  const backups = (proof?.backups ?? []).filter((b) => b.state !== "GONE");
  const common = {
    keyArn: record.keyArn,
    customKeyStoreId: record.customKeyStoreId,
    ...(record.clusterId ? { clusterId: record.clusterId } : {}),
    ...(backingKeyId ? { backingKeyId } : {}),
    deletionStatus,
    backups,
    backupsHoldingMaterial: backups.length,
    proofStatus: proof?.status ?? "OPEN",
  } as const;
  if (!orphan) return { result: "MATERIAL_DELETED", ...common };
  return { result: "ORPHAN_REGISTERED", ...common, orphanStatus: orphan.status };
}
