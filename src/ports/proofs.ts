/**
 * Proofs of destruction, as the workflows see them: for each deleted key of a CloudHSM key store, the chain of evidence
 * that its key material is gone from the cluster and from every backup that may hold it. src/adapters/proofs.ts keeps
 * them in the orphan register's DynamoDB table (point-in-time recovery on), one item per key.
 */

/** What became of one backup that may hold the material, as last seen. */
export type BackupFate = {
  backupId: string;
  /** The Region it is in: the cluster's, or the one a CopyBackupToRegion copy went to. */
  region: string;
  /** For a copy: the backup it was copied from (CloudHSM API Reference, Backup: SourceBackup). */
  sourceBackupId?: string;
  /** ISO; a copy keeps its source's CreateTimestamp (API_CopyBackupToRegion). */
  createdAt: string;
  /** CloudHSM's BackupState as last listed, or GONE once it is no longer listed (purged) or listed DELETED. */
  state: "CREATE_IN_PROGRESS" | "READY" | "PENDING_DELETION" | "GONE";
  neverExpires: boolean;
  /** ISO; when the retention policy marks it for deletion, when it will (not for copies, nor a cluster's last backup). */
  expiresAt?: string;
  /** ISO; PENDING_DELETION: when CloudHSM purges it (DeleteTimestamp); it can be restored until then. */
  purgeAt?: string;
  /** ISO; when the product first listed it. */
  firstSeenAt: string;
  /** ISO; when the product first saw it gone. */
  goneAt?: string;
  /** Who called DeleteBackup on it, when the product did (param backupPurgeStores): the function's name. */
  deletedBy?: string;
};

/**
 * What became of the material in the cluster. DELETED: KMS reported SUCCESS, or a cleanup deleted it as kmsuser.
 * NOT_PRESENT: a cleanup listed the cluster as kmsuser and it was not there. IN_CLUSTER: an orphan not yet cleaned.
 * UNVERIFIED: KMS never reported the outcome and no cleanup has looked yet.
 */
export type MaterialFate = {
  state: "DELETED" | "NOT_PRESENT" | "IN_CLUSTER" | "UNVERIFIED";
  /** ISO; when it was deleted or found absent. */
  at?: string;
  /** Who says so: `kms` (the DeleteKey record) or the cleanup execution that listed the cluster as kmsuser. */
  by?: string;
  /** The CloudHSM key reference a cleanup deleted. */
  hsmKeyReference?: string;
};

/** One key deletion record of a cluster's HSM audit log, as a proof keeps it. */
export type AuditRecordEvidence = {
  /** The HSM whose log stream holds it. */
  hsmId: string;
  /** ISO, from the record's `usecs`. */
  time: string;
  sequenceNo: string;
  opcode: string;
  /** As written after `Response`, e.g. "0:HSM Return: SUCCESS". */
  response: string;
  keyHandle?: string;
  sessionHandle?: string;
  eventId?: string;
  /** The event's text as CloudWatch Logs holds it (no secret: user names, handles and codes only). */
  message: string;
  /** Its key handle is the same number as the key reference a cleanup deleted. */
  matchesKeyReference?: boolean;
};

/**
 * What the cluster's HSM audit log (CloudWatch Logs `/aws/cloudhsm/<cluster ID>`) says of the material's deletion, as
 * last read: evidence only. A proof closes without it; none found, no log group or a refused read is reported.
 * FOUND: deletion records in the window (tied to the key by its key reference when a cleanup gave one, else only by
 * time: no page says how an audit record's key handle relates to KMS's backing key). NONE: the log was read and held
 * none. NO_LOG_GROUP, ACCESS_DENIED, UNAVAILABLE: it could not be read (`error`).
 */
export type AuditRecords = {
  status: "FOUND" | "NONE" | "NO_LOG_GROUP" | "ACCESS_DENIED" | "UNAVAILABLE";
  logGroup: string;
  /** ISO bounds of the records looked for. */
  from: string;
  to: string;
  readAt: string;
  matchedBy: "key-reference" | "time-window";
  /** Oldest first, bounded. */
  records: AuditRecordEvidence[];
  /** Deletion records read and not kept: other keys' (matched by key reference) or past the bound. */
  leftOut: number;
  /** The log held more than one lookup reads. */
  truncated: boolean;
  error?: string;
};

/**
 * OPEN: the material may still be restored (in the cluster, or in a backup that is READY or being copied).
 * PENDING_PURGE: every backup holding it is deleted, but restorable until its purge. CLOSED: gone everywhere known.
 */
export type ProofStatus = "OPEN" | "PENDING_PURGE" | "CLOSED";

export type Proof = {
  keyArn: string;
  customKeyStoreId: string;
  clusterId?: string;
  backingKeyId?: string;
  /** ISO; backups taken before it cannot hold the material. */
  keyCreatedAt?: string;
  /** KMS's own record of the deletion (the DeleteKey CloudTrail event and the KMS CMK Deletion event). */
  deletion: { deleteKeyEventAt?: string; backingKeysDeletionStatus?: string; cmkDeletionAt?: string };
  material: MaterialFate;
  /** The HSM audit log's records of the material's deletion, once it is gone from the cluster. */
  auditRecords?: AuditRecords;
  backups: BackupFate[];
  status: ProofStatus;
  /** What keeps it from CLOSED, in words, or how it closed. */
  reason: string;
  /** The follow-up execution that opened it. */
  openedBy: string;
  openedAt: string;
  updatedAt: string;
  closedAt?: string;
  /** Every change of status, oldest first (bounded). */
  history: { at: string; status: ProofStatus; reason: string }[];
  /** Bumped on every write: a write based on an older read is refused. */
  version: number;
};

export interface Proofs {
  /** One key's proof (a strongly consistent read). */
  get(keyArn: string): Promise<Proof | undefined>;
  /**
   * Writes the proof if the stored one is still at `proof.version - 1` (absent for version 1); false when another
   * writer got there first, so the caller reads again.
   */
  save(proof: Proof): Promise<boolean>;
  /** The key ARNs of every proof not CLOSED, every page. */
  listOpen(): Promise<string[]>;
}
