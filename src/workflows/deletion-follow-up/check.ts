import type { Clusters } from "../../ports/clusters";
import type { KeyStores } from "../../ports/key-stores";
import type { OrphanRegister } from "../../ports/orphan-register";
import { DeletionStatusPendingError, KeyNotYetDeletedError } from "./errors";
import type { CheckStep } from "./step-inputs";

export type BackupReport = {
  backupId: string;
  state: string;
  createdAt: string;
  neverExpires: boolean;
  /** When the retention policy deletes it (READY, not never-expires), or when it is purged (PENDING_DELETION). */
  expiresAt?: string;
};

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
       * Backups that may hold the material: taken after the key was created and, when DeleteKey deleted the material
       * (SUCCESS), before that; they hold it until they expire or are deleted.
       */
      backups: BackupReport[];
      backupsHoldingMaterial: number;
    };

export type CheckDeps = {
  keyStores: Pick<KeyStores, "describeKey">;
  clusters: Pick<Clusters, "get" | "backups">;
  orphans: OrphanRegister;
  now: () => Date;
};

/**
 * Step 2, after the wait: confirms with KMS that the key is gone, then decides from the recorded DeleteKey status
 * whether its backing key was deleted. SUCCESS: done. FAILURE: an orphan. No status at all (only with
 * `acceptUnverified`, after the status had time to arrive): an UNVERIFIED orphan — never a guessed "deleted"; the
 * cleanup workflow verifies it as kmsuser in its maintenance window, since a kmsuser login here would need the store
 * disconnected. Lists the cluster's backups taken while the key existed either way.
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
  // Only a SUCCESS says when the material left the cluster; an orphan's material is still there, in every new backup.
  const deletedAt = deletionStatus === "SUCCESS" ? status?.deleteKeyEventAt : undefined;
  const backups = record.clusterId
    ? await backupsHoldingKey(deps, record.clusterId, record.keyCreatedAt, deletedAt)
    : [];
  const common = {
    keyArn: record.keyArn,
    customKeyStoreId: record.customKeyStoreId,
    ...(record.clusterId ? { clusterId: record.clusterId } : {}),
    ...(backingKeyId ? { backingKeyId } : {}),
    deletionStatus,
    backups,
    backupsHoldingMaterial: backups.length,
  } as const;
  if (deletionStatus === "SUCCESS") return { result: "MATERIAL_DELETED", ...common };
  const orphan = await deps.orphans.register({
    keyArn: record.keyArn,
    ...(backingKeyId ? { backingKeyId } : {}),
    customKeyStoreId: record.customKeyStoreId,
    ...(record.clusterId ? { clusterId: record.clusterId } : {}),
    status: deletionStatus,
    foundAt: deps.now().toISOString(),
    followUp,
  });
  return { result: "ORPHAN_REGISTERED", ...common, orphanStatus: orphan.status };
}

/**
 * How long after the DeleteKey record's time a backup still counts as taken before the material was deleted. KMS
 * writes the record after its attempt on the backing key, but nothing documents how a backup's CreateTimestamp
 * relates to the moment its copy is made, so a backup started shortly after is still counted: listing one too many
 * keeps a record open longer, listing one too few would call material gone that a restore brings back.
 */
export const DELETION_MARGIN_MS = 60 * 60 * 1000;

/**
 * Backups of the cluster that may hold the key's material: taken after the key was created (all of them when its
 * creation date is unknown) and, when the material's deletion time is known, no later than DELETION_MARGIN_MS after it.
 */
async function backupsHoldingKey(
  deps: CheckDeps,
  clusterId: string,
  keyCreatedAt?: string,
  materialDeletedAt?: string,
): Promise<BackupReport[]> {
  const retentionDays = (await deps.clusters.get(clusterId))?.backupRetentionDays;
  const since = keyCreatedAt ? Date.parse(keyCreatedAt) : 0;
  const deleted = materialDeletedAt ? Date.parse(materialDeletedAt) : Number.NaN;
  const until = Number.isNaN(deleted) ? Number.POSITIVE_INFINITY : deleted + DELETION_MARGIN_MS;
  return (await deps.clusters.backups(clusterId))
    .filter((b) => {
      const created = b.createdAt?.getTime() ?? 0;
      return b.state !== "DELETED" && created >= since && created <= until;
    })
    .map((b) => {
      const created = b.createdAt ?? new Date(0);
      let expiresAt: string | undefined;
      if (b.state === "PENDING_DELETION" && b.deleteAt) expiresAt = b.deleteAt.toISOString();
      else if (!b.neverExpires && retentionDays) {
        expiresAt = new Date(created.getTime() + retentionDays * 24 * 60 * 60 * 1000).toISOString();
      }
      return {
        backupId: b.backupId,
        state: b.state,
        createdAt: created.toISOString(),
        neverExpires: b.neverExpires,
        ...(expiresAt ? { expiresAt } : {}),
      };
    });
}
