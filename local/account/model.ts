/** Records the local account keeps in its store, by kind. Field names follow the AWS API shapes where one exists. */

export type HsmState = "CREATE_IN_PROGRESS" | "ACTIVE" | "DEGRADED" | "DELETE_IN_PROGRESS" | "DELETED";

export type ClusterState =
  | "CREATE_IN_PROGRESS"
  | "UNINITIALIZED"
  | "INITIALIZE_IN_PROGRESS"
  | "INITIALIZED"
  | "ACTIVE"
  | "UPDATE_IN_PROGRESS"
  | "MODIFY_IN_PROGRESS"
  | "ROLLBACK_IN_PROGRESS"
  | "PENDING_ROLLBACK"
  | "DELETE_IN_PROGRESS"
  | "DELETED"
  | "DEGRADED";

export type HsmRecord = {
  HsmId: string;
  ClusterId: string;
  AvailabilityZone: string;
  SubnetId: string;
  EniId: string;
  EniIp: string;
  HsmType: string;
  State: HsmState;
  StateMessage: string;
  /** Simulated time at which a CREATE_IN_PROGRESS or DELETE_IN_PROGRESS HSM settles. */
  dueAt?: number;
};

export type UserRole = "admin" | "crypto-user" | "unactivated-admin" | "appliance";

/** A user inside the cluster (not an AWS identity): password hashed with scrypt, lock-out after 5 failures. */
export type ClusterUser = {
  username: string;
  role: UserRole;
  salt: string;
  passwordHash: string;
  failedLogins: number;
  locked: boolean;
  /** Open logins by clients other than KMS (a CLI left logged in, an application). */
  sessions: number;
  /** KMS holds a login as kmsuser while the key store is CONNECTED. */
  kmsSession?: string;
};

export type OtherHsmKey = {
  id: string;
  owner: string;
  label: string;
  class: "secret-key" | "public-key";
  sharedWith: string[];
};

export type ClusterRecord = {
  ClusterId: string;
  State: ClusterState;
  StateMessage?: string;
  HsmType: string;
  Mode: "FIPS" | "NON_FIPS";
  NetworkType: "IPV4" | "DUALSTACK";
  VpcId: string;
  SecurityGroup: string;
  SubnetMapping: Record<string, string>;
  BackupPolicy: "DEFAULT";
  BackupRetentionPolicy: { Type: "DAYS"; Value: string };
  CreateTimestamp: number;
  SourceBackupId?: string;
  TagList: { Key: string; Value: string }[];
  Hsms: HsmRecord[];
  Certificates: {
    ClusterCsr?: string;
    HsmCertificate?: string;
    AwsHardwareCertificate?: string;
    ManufacturerHardwareCertificate?: string;
    ClusterCertificate?: string;
  };
  /** The CSR's key pair stays with the "HSM"; only its public half is needed to check the signed certificate. */
  csrPublicKeyPem?: string;
  trustAnchor?: string;
  /** Clusters restored from one another's backups share this (DOMAIN.md §1.1 "backup history"). */
  lineage: string;
  users: ClusterUser[];
  /**
   * Keys that are not KMS backing keys (the `plant-hsm-key` control): another crypto user's keys, shared with kmsuser
   * or not, and public keys. They hold no material here; the CLI lists them as CloudHSM would.
   */
  otherKeys?: OtherHsmKey[];
  /** Simulated time at which the current *_IN_PROGRESS state settles. */
  dueAt?: number;
  /** The state under a passing UPDATE_IN_PROGRESS, MODIFY_IN_PROGRESS or ROLLBACK_IN_PROGRESS: the one it returns to. */
  priorState?: ClusterState;
  /** What a ModifyCluster in progress changed, so a rollback can put it back. */
  modification?: { from: { Type: "DAYS"; Value: string } };
  /** The SoftHSM2 token holding this cluster's key material. */
  tokenLabel: string;
  deletedAt?: number;
};

export type BackupRecord = {
  BackupId: string;
  BackupArn: string;
  ClusterId: string;
  BackupState: "CREATE_IN_PROGRESS" | "READY" | "DELETED" | "PENDING_DELETION";
  CreateTimestamp: number;
  DeleteTimestamp?: number;
  NeverExpires: boolean;
  HsmType: string;
  Mode: "FIPS" | "NON_FIPS";
  SourceBackup?: string;
  SourceCluster?: string;
  SourceRegion?: string;
  /** A copy's: when CopyBackupToRegion made it (its CreateTimestamp is its source's). */
  CopyTimestamp?: number;
  TagList: { Key: string; Value: string }[];
  /** The Region a copy was made in; absent for the account's own Region. */
  region?: string;
  /** A copy being made: when it becomes READY. */
  readyAt?: number;
  lineage: string;
  trustAnchor?: string;
  clusterCertificate?: string;
  users: ClusterUser[];
  /** Key material wrapped under the account's backup key: present as it was when the backup was taken. */
  keys: { label: string; id: string; owner: string; wrapped: string }[];
};

export type ConnectionState = "CONNECTED" | "CONNECTING" | "FAILED" | "DISCONNECTED" | "DISCONNECTING";

export type KeyStoreRecord = {
  CustomKeyStoreId: string;
  CustomKeyStoreName: string;
  CustomKeyStoreType: "AWS_CLOUDHSM" | "EXTERNAL_KEY_STORE";
  CloudHsmClusterId: string;
  TrustAnchorCertificate: string;
  ConnectionState: ConnectionState;
  ConnectionErrorCode?: string;
  CreationDate: number;
  /** What KMS believes the kmsuser password is; rotated by KMS on every successful connect. */
  kmsuserPassword: string;
  everConnected: boolean;
  dueAt?: number;
  /** Outcome decided when a connect starts, applied when it settles. */
  pendingOutcome?: { state: "CONNECTED" } | { state: "FAILED"; code: string };
  /** The last connection state changes, stamped with the simulated time each happened (for true downtime). */
  stateChanges?: { state: ConnectionState; at: number; code?: string }[];
};

export type KeyState =
  | "Creating"
  | "Enabled"
  | "Disabled"
  | "PendingDeletion"
  | "PendingImport"
  | "PendingReplicaDeletion"
  | "Unavailable"
  | "Updating";

export type KeyRecord = {
  KeyId: string;
  Arn: string;
  AWSAccountId: string;
  CreationDate: number;
  Description: string;
  KeyUsage: "ENCRYPT_DECRYPT";
  KeySpec: "SYMMETRIC_DEFAULT";
  Origin: "AWS_KMS" | "AWS_CLOUDHSM";
  KeyManager: "CUSTOMER";
  /** Enabled/Disabled as the owner set it; Unavailable and PendingDeletion are derived when described. */
  enabled: boolean;
  KeyState: KeyState;
  CustomKeyStoreId?: string;
  CloudHsmClusterId?: string;
  backingKeyId?: string;
  DeletionDate?: number;
  PendingDeletionWindowInDays?: number;
  /** When KMS actually deletes it: DeletionDate plus KMS's slack of up to 24 hours. */
  deleteAt?: number;
  /** Key material of keys in the default key store (hex); CloudHSM keys keep theirs in the token. */
  material?: string;
  /** Tags (CreateKey Tags, TagResource), by key: ListResourceTags answers them. */
  tags?: Record<string, string>;
  /** Set while CreateKey or the scheduled deletion is half done, so recovery after a crash can finish or undo it. */
  pending?: "create" | "delete";
};
