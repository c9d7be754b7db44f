import type { AccountContext } from "../account";
import { AwsServiceError } from "../errors";
import { epochSeconds } from "../ids";
import type { BackupRecord, ClusterRecord, ClusterState, HsmRecord } from "../model";

/** Store access and the wire views of CloudHSM records (DOMAIN.md §6): internal fields never leave the account. */

export const CLUSTER = "cluster";
export const BACKUP = "backup";

export const invalidRequest = (message: string) => new AwsServiceError("CloudHsmInvalidRequestException", message);
export const notFound = (message: string) => new AwsServiceError("CloudHsmResourceNotFoundException", message);

export function loadCluster(ctx: AccountContext, clusterId: string): ClusterRecord {
  const cluster = ctx.store.get<ClusterRecord>(CLUSTER, clusterId);
  if (!cluster) throw notFound(`Cluster ${clusterId} not found`);
  return cluster;
}

export function saveCluster(ctx: AccountContext, cluster: ClusterRecord): ClusterRecord {
  return ctx.store.put(CLUSTER, cluster.ClusterId, cluster);
}

/** A backup in `region`: a backup in another Region is not found there, as CloudHSM's API is per Region. */
export function loadBackup(ctx: AccountContext, backupId: string, region: string): BackupRecord {
  const backup = ctx.store.get<BackupRecord>(BACKUP, backupId);
  if (!backup || backupRegion(ctx, backup) !== region) throw notFound(`Backup ${backupId} not found`);
  return backup;
}

/** Where a backup is: a copy's destination Region, or the account's own. */
export const backupRegion = (ctx: AccountContext, backup: BackupRecord) => backup.region ?? ctx.config.region;

export function saveBackup(ctx: AccountContext, backup: BackupRecord): BackupRecord {
  return ctx.store.put(BACKUP, backup.BackupId, backup);
}

/**
 * The states a cluster passes through while CloudHSM changes it, returning to `priorState` after. The CloudHSM API
 * Reference ("Cluster" data type, API_Cluster.html) lists UPDATE_IN_PROGRESS, MODIFY_IN_PROGRESS and
 * ROLLBACK_IN_PROGRESS without saying when they appear. The User Guide says ModifyCluster changes an HSM type
 * ("Migrating from hsm1.medium to hsm2m.medium", hsm1-to-hsm2-migration.html: the whole cluster enters limited-write
 * mode, and the migration can be rolled back) and "Adding or removing HSMs" (add-remove-hsm.html) shows only the HSM's
 * own CREATE_IN_PROGRESS. Where the pages are silent we model the less convenient case for callers: an activated
 * cluster shows UPDATE_IN_PROGRESS while any of its HSMs is being created or deleted, and MODIFY_IN_PROGRESS while
 * ModifyCluster runs.
 */
export const PASSING_STATES: readonly ClusterState[] = [
  "UPDATE_IN_PROGRESS",
  "MODIFY_IN_PROGRESS",
  "ROLLBACK_IN_PROGRESS",
];

const UPDATING_MESSAGE = "Cluster is updating: an HSM is being created or deleted.";

/** The state under a passing UPDATE/MODIFY/ROLLBACK_IN_PROGRESS: the one the cluster returns to. */
export const settledState = (cluster: ClusterRecord): ClusterState => cluster.priorState ?? cluster.State;

/** A cluster whose admin was activated (`cluster activate`): ACTIVE, DEGRADED while an HSM is, or passing through. */
export const isActivated = (cluster: ClusterRecord) => {
  const state = settledState(cluster);
  return state === "ACTIVE" || state === "DEGRADED";
};

export const activeHsms = (cluster: ClusterRecord) => cluster.Hsms.filter((hsm) => hsm.State === "ACTIVE");

/**
 * An activated cluster is UPDATE_IN_PROGRESS while an HSM is being created or deleted, then DEGRADED while any of its
 * HSMs is, ACTIVE otherwise. A ModifyCluster or rollback in progress keeps its state; only what it returns to changes.
 */
export function deriveActivatedState(cluster: ClusterRecord): void {
  if (!isActivated(cluster)) return;
  const settled: ClusterState = cluster.Hsms.some((hsm) => hsm.State === "DEGRADED") ? "DEGRADED" : "ACTIVE";
  if (cluster.State === "MODIFY_IN_PROGRESS" || cluster.State === "ROLLBACK_IN_PROGRESS") {
    cluster.priorState = settled;
    return;
  }
  if (cluster.Hsms.some((hsm) => hsm.State === "CREATE_IN_PROGRESS" || hsm.State === "DELETE_IN_PROGRESS")) {
    cluster.State = "UPDATE_IN_PROGRESS";
    cluster.StateMessage = UPDATING_MESSAGE;
    cluster.priorState = settled;
    return;
  }
  delete cluster.priorState;
  cluster.State = settled;
  if (settled === "DEGRADED") cluster.StateMessage = "One or more HSMs in the cluster are degraded";
  else delete cluster.StateMessage;
}

export function clusterArn(ctx: AccountContext, clusterId: string): string {
  return `arn:aws:cloudhsm:${ctx.config.region}:${ctx.config.accountId}:cluster/${clusterId}`;
}

export function hsmView(hsm: HsmRecord) {
  return {
    AvailabilityZone: hsm.AvailabilityZone,
    ClusterId: hsm.ClusterId,
    SubnetId: hsm.SubnetId,
    EniId: hsm.EniId,
    EniIp: hsm.EniIp,
    HsmId: hsm.HsmId,
    HsmType: hsm.HsmType,
    State: hsm.State,
    StateMessage: hsm.StateMessage,
  };
}

export function clusterView(cluster: ClusterRecord) {
  const certificates: ClusterRecord["Certificates"] = {};
  // The CSR is only offered while the cluster waits to be claimed (DOMAIN.md §6, step 3).
  if (cluster.State === "UNINITIALIZED" && cluster.Certificates.ClusterCsr) {
    certificates.ClusterCsr = cluster.Certificates.ClusterCsr;
  }
  if (cluster.Certificates.ClusterCertificate)
    certificates.ClusterCertificate = cluster.Certificates.ClusterCertificate;
  return {
    BackupPolicy: cluster.BackupPolicy,
    BackupRetentionPolicy: cluster.BackupRetentionPolicy,
    Certificates: certificates,
    ClusterId: cluster.ClusterId,
    CreateTimestamp: epochSeconds(cluster.CreateTimestamp),
    Hsms: cluster.Hsms.map(hsmView),
    HsmType: cluster.HsmType,
    Mode: cluster.Mode,
    NetworkType: cluster.NetworkType,
    SecurityGroup: cluster.SecurityGroup,
    ...(cluster.SourceBackupId ? { SourceBackupId: cluster.SourceBackupId } : {}),
    State: cluster.State,
    ...(cluster.StateMessage ? { StateMessage: cluster.StateMessage } : {}),
    SubnetMapping: cluster.SubnetMapping,
    TagList: cluster.TagList,
    VpcId: cluster.VpcId,
  };
}

export function backupView(backup: BackupRecord) {
  return {
    BackupArn: backup.BackupArn,
    BackupId: backup.BackupId,
    BackupState: backup.BackupState,
    ClusterId: backup.ClusterId,
    CreateTimestamp: epochSeconds(backup.CreateTimestamp),
    ...(backup.DeleteTimestamp !== undefined ? { DeleteTimestamp: epochSeconds(backup.DeleteTimestamp) } : {}),
    HsmType: backup.HsmType,
    Mode: backup.Mode,
    NeverExpires: backup.NeverExpires,
    ...(backup.SourceBackup ? { SourceBackup: backup.SourceBackup } : {}),
    ...(backup.SourceCluster ? { SourceCluster: backup.SourceCluster } : {}),
    ...(backup.SourceRegion ? { SourceRegion: backup.SourceRegion } : {}),
    ...(backup.CopyTimestamp !== undefined ? { CopyTimestamp: epochSeconds(backup.CopyTimestamp) } : {}),
    TagList: backup.TagList,
  };
}

/** CloudTrail spells members in lower camel case (`hsm.eniId`, `clusterId`), DOMAIN.md §5.1. */
export function camel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camel);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      /^[A-Z]/.test(key) ? key.charAt(0).toLowerCase() + key.slice(1) : key,
      camel(v),
    ]),
  );
}

/** Opaque page tokens: the offset into a stable listing. */
export function encodeToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString("base64");
}

export function decodeToken(token: string | undefined): number {
  if (token === undefined) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, "base64").toString("utf8"));
  if (!match) throw invalidRequest("The NextToken is not valid");
  return Number(match[1]);
}

export function page<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined) {
  const start = decodeToken(nextToken);
  const size = maxResults ?? items.length;
  const end = start + size;
  return { items: items.slice(start, end), nextToken: end < items.length ? encodeToken(end) : undefined };
}
