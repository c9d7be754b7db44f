/**
 * CloudHSM clusters as the workflows need them. src/adapters/clusters.ts answers through the CloudHSM API; its errors
 * propagate by name (CloudHsmInvalidRequestException, CloudHsmThrottlingException, ...) for the state machines.
 */

/** An HSM of a cluster (CloudHSM API Reference, "Hsm" data type). */
export type ClusterHsm = { hsmId: string; availabilityZone: string; state: string; eniIp?: string };

/** A cluster (CloudHSM API Reference, "Cluster" data type): the fields the workflows decide on. */
export type Cluster = {
  clusterId: string;
  state: string;
  hsms: ClusterHsm[];
  /** Availability Zone → subnet id: the zones HSMs can be created in. */
  subnets: Record<string, string>;
  tags: Record<string, string>;
  /** The cluster's CSR while it is UNINITIALIZED. */
  csr?: string;
  createdAt?: Date;
  /** How long backups are kept, when the retention policy is in days. */
  backupRetentionDays?: number;
};

/** A backup of a cluster (CloudHSM API Reference, "Backup" data type). */
export type ClusterBackup = {
  backupId: string;
  state: string;
  createdAt?: Date;
  /** When a PENDING_DELETION backup is purged. */
  deleteAt?: Date;
  neverExpires: boolean;
  /** A copy made with CopyBackupToRegion: the backup it was copied from. */
  sourceBackupId?: string;
};

export type NewCluster = {
  hsmType: string;
  subnetIds: string[];
  backupRetentionDays?: number;
  tags: Record<string, string>;
};

export interface Clusters {
  /** The cluster by id as CloudHSM describes it, DELETED included (its backups outlive it); undefined when none. */
  get(clusterId: string, options?: { abortSignal?: AbortSignal }): Promise<Cluster | undefined>;
  /** Every cluster of the account and Region, every page. */
  list(): Promise<Cluster[]>;
  /** CreateCluster; answers the new cluster's id. It has no idempotency token: callers tag and look first. */
  create(cluster: NewCluster): Promise<string>;
  createHsm(clusterId: string, availabilityZone: string): Promise<{ hsmId?: string; state: string }>;
  deleteHsm(clusterId: string, hsmId: string): Promise<void>;
  /** Every backup of the cluster, every page. */
  backups(clusterId: string): Promise<ClusterBackup[]>;
  /** The copies in another Region of the given backups (CopyBackupToRegion), every page. */
  copiesOf(region: string, sourceBackupIds: string[]): Promise<ClusterBackup[]>;
  /**
   * DeleteBackup, in `region` (default: the cluster's): `PENDING_DELETION` when this call marked it, `NOT_READY` when
   * CloudHSM refused because it no longer is READY (deleted already, by a retry or by someone else).
   */
  deleteBackup(backupId: string, region?: string): Promise<"PENDING_DELETION" | "NOT_READY">;
  /** CopyBackupToRegion of one of the cluster's backups; the copy is found in `destinationRegion` by copiesOf. */
  copyBackup(backupId: string, destinationRegion: string): Promise<void>;
}
