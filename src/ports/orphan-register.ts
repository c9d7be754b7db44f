/**
 * The orphan register, as the workflows see it: what KMS reported about each key's deletion, the orphaned key material
 * waiting for a cleanup window, and the key snapshots a cleanup scan takes. src/adapters/orphan-register.ts keeps it
 * in DynamoDB. Every write is conditional, so a retried or duplicated step changes nothing.
 */

export type BackingKeyDeletionStatus = "SUCCESS" | "FAILURE";
/**
 * `UNVERIFIED`: KMS never reported the outcome; the cleanup workflow checks as kmsuser in its maintenance window.
 * `DISCOVERED`: found by a cleanup sweep in the cluster without any follow-up having registered it.
 */
export type OrphanStatus = "FAILURE" | "STILL_PRESENT" | "UNVERIFIED" | "DISCOVERED";
/**
 * How a cleanup resolved an orphan: its material deleted, not in the cluster at all, or (a DISCOVERED sighting only)
 * KMS describing the key after all, as its eventual consistency allows.
 */
export type OrphanResolution = "DELETED" | "NOT_PRESENT" | "KEY_EXISTS";

export type DeletionStatus = {
  keyArn: string;
  backingKeyId?: string;
  backingKeysDeletionStatus?: BackingKeyDeletionStatus;
  deleteKeyEventAt?: string;
  cmkDeletionAt?: string;
};

export type Orphan = {
  keyArn: string;
  backingKeyId?: string;
  customKeyStoreId: string;
  clusterId?: string;
  status: OrphanStatus;
  foundAt: string;
  /** The execution that registered it (a follow-up, or the cleanup that discovered it): the only one to rewrite it. */
  followUp: string;
  resolution?: OrphanResolution;
  resolvedAt?: string;
  resolvedBy?: string;
  /** The CloudHSM key reference the cleanup deleted. */
  hsmKeyReference?: string;
};

export type OrphanOutcome = { resolution: OrphanResolution; at: string; by: string; hsmKeyReference?: string };

/**
 * A key of a CloudHSM key store scheduled for deletion, as the ScheduleKeyDeletion and CancelKeyDeletion events told
 * it (their CloudTrail times); the later of the two decides whether it is still pending.
 */
export type PendingDeletion = {
  keyArn: string;
  customKeyStoreId: string;
  /** ISO; when KMS deletes the key (ScheduleKeyDeletion's deletionDate). */
  deletionDate: string;
  scheduledAt: string;
  cancelledAt?: string;
};

/** One key store's register items, for its metrics: when its open orphans were found, and its pending deletions. */
export type StoreRegister = { openOrphansFoundAt: string[]; pendingDeletions: PendingDeletion[] };

export interface OrphanRegister {
  /** Records what the DeleteKey event said; the first report wins, duplicates and retries change nothing. */
  recordDeleteKeyStatus(report: {
    keyArn: string;
    backingKeyId?: string;
    status: BackingKeyDeletionStatus;
    at: string;
  }): Promise<void>;
  /** Records that KMS said the key is deleted (`KMS CMK Deletion`); the first report wins. */
  recordCmkDeletion(keyArn: string, at: string): Promise<void>;
  /** What has been reported about a key's deletion so far (a strongly consistent read). */
  deletionStatus(keyArn: string): Promise<DeletionStatus | undefined>;
  /**
   * Registers an orphan: only when none is registered for the key, or when it is this follow-up's own (a retry).
   * Returns the orphan as registered — when another follow-up got there first, theirs, untouched.
   */
  register(orphan: Orphan): Promise<Orphan>;
  /** One orphan, resolved or not. */
  get(keyArn: string): Promise<Orphan | undefined>;
  /** The unresolved orphans of a key store, every page; a record the product did not write stops the caller. */
  listOpen(customKeyStoreId: string): Promise<Orphan[]>;
  /** Marks an orphan resolved by a window; false when another window resolved it first (its result stays). */
  resolve(keyArn: string, outcome: OrphanOutcome): Promise<boolean>;
  /** Undoes this window's resolution when a deletion it reported did not hold. */
  reopen(keyArn: string, by: string): Promise<void>;
  /** Records a scheduled deletion of a CloudHSM key store's key; an older schedule than the recorded one is ignored. */
  recordPendingDeletion(deletion: {
    keyArn: string;
    customKeyStoreId: string;
    deletionDate: string;
    at: string;
  }): Promise<void>;
  /** Records that the key's deletion was cancelled at `at`; an older cancel than the one recorded changes nothing. */
  recordDeletionCancelled(keyArn: string, at: string): Promise<void>;
  /** A key store's open orphans and pending deletions, in one read of its items (every page). */
  storeRegister(customKeyStoreId: string): Promise<StoreRegister>;
  /** Keeps a key store's KMS keys as a scan saw them; returns the number of chunks. Rewriting is idempotent. */
  writeKeySnapshot(snapshotId: string, keyArns: string[], expiresAt: Date): Promise<number>;
  /** Reads a snapshot back; a missing chunk is an error, never an empty set (live keys would look orphaned). */
  readKeySnapshot(snapshotId: string, chunks: number): Promise<Set<string>>;
}
