/** How long things take on the simulated clock. Real AWS figures where documented (DOMAIN.md §1.3, §4, §6). */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const TIMING = {
  clusterCreate: 3 * MINUTE,
  clusterInitialize: 2 * MINUTE,
  clusterDelete: 2 * MINUTE,
  hsmCreate: 5 * MINUTE,
  hsmDelete: 2 * MINUTE,
  /**
   * ModifyCluster's MODIFY_IN_PROGRESS and a rollback's ROLLBACK_IN_PROGRESS: undocumented. A type migration replaces
   * the HSMs one at a time ("Migrating from hsm1.medium to hsm2m.medium"), so two HSM creations' worth.
   */
  clusterModify: 10 * MINUTE,
  clusterRollback: 2 * MINUTE,
  /** "up to 20 minutes"; a typical connect is a few minutes. */
  keyStoreConnect: 4 * MINUTE,
  keyStoreDisconnect: 30_000,
  /** CloudHSM takes a backup at least every 24 hours. */
  backupInterval: DAY,
  /** CopyBackupToRegion's CREATE_IN_PROGRESS in the destination Region: undocumented; a backup's size is small. */
  backupCopy: 10 * MINUTE,
  /** A deleted backup stays restorable this long as PENDING_DELETION. */
  backupPendingDeletion: 7 * DAY,
} as const;

/**
 * KMS deletes a key up to 24 hours after its DeletionDate. The local account uses a stable slack per key in
 * [0, 6h) so tests that wait DeletionDate + 24h always see the deletion, and runs are reproducible.
 */
export function deletionSlack(keyId: string): number {
  let h = 0;
  for (const c of keyId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % (6 * HOUR);
}
