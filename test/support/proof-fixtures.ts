import type { ClusterBackup } from "../../src/ports/clusters";

/** One deleted key of a CloudHSM key store, as the proof tests see it: created 1 November, deleted 10 November. */
export const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
export const subject = {
  keyArn: KEY_ARN,
  customKeyStoreId: "cks-1234567890abcdef0",
  clusterId: "cluster-jxhlf7644ne",
  keyCreatedAt: "2026-11-01T00:00:00.000Z",
};
/** KMS's record of the deletion: the backing key deleted (SUCCESS). */
export const deleted = {
  keyArn: KEY_ARN,
  backingKeysDeletionStatus: "SUCCESS" as const,
  deleteKeyEventAt: "2026-11-10T00:00:00Z",
};
/** A backup as the Clusters port lists it: READY unless `more` says otherwise. */
export const backup = (id: string, created: string, more: Partial<ClusterBackup> = {}): ClusterBackup => ({
  backupId: id,
  state: "READY",
  createdAt: new Date(created),
  neverExpires: false,
  ...more,
});
