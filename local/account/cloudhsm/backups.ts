import type { z } from "zod";
import type { AccountContext } from "../account";
import { epochSeconds, newBackupId } from "../ids";
import type { BackupRecord, ClusterRecord } from "../model";
import type { CallScope, Recorder } from "../protocol";
import { DAY, TIMING } from "../timing";
import { checkFilters, type Deps, matches, responded } from "./operations";
import { BACKUP, backupRegion, backupView, camel, invalidRequest, loadBackup, page, saveBackup } from "./records";
import type {
  BackupIdInput,
  CopyBackupToRegionInput,
  DescribeBackupsInput,
  ModifyBackupAttributesInput,
} from "./schemas";

/** The owner of every backing key in a cluster token: KMS creates them as kmsuser (DOMAIN.md §3.1). */
export const KEY_OWNER = "kmsuser";

/**
 * Takes a backup of an active cluster (DOMAIN.md §6): its users, certificates and key material as they are now.
 * Key material is wrapped under the account's backup key, so material deleted later survives in the backup.
 */
export function takeBackup(ctx: AccountContext, cluster: ClusterRecord, now: number): BackupRecord {
  const backupId = newBackupId();
  return saveBackup(ctx, {
    BackupId: backupId,
    BackupArn: `arn:aws:cloudhsm:${ctx.config.region}:${ctx.config.accountId}:backup/${backupId}`,
    ClusterId: cluster.ClusterId,
    BackupState: "READY",
    CreateTimestamp: now,
    NeverExpires: false,
    HsmType: cluster.HsmType,
    Mode: cluster.Mode,
    TagList: [],
    lineage: cluster.lineage,
    ...(cluster.trustAnchor ? { trustAnchor: cluster.trustAnchor } : {}),
    ...(cluster.Certificates.ClusterCertificate ? { clusterCertificate: cluster.Certificates.ClusterCertificate } : {}),
    // A restored cluster starts with nobody logged in.
    users: cluster.users.map(({ kmsSession: _kms, ...user }) => ({ ...user, sessions: 0 })),
    keys: ctx.hsm.exportKeys(cluster.tokenLabel).map((key) => ({ ...key, owner: KEY_OWNER })),
  });
}

/**
 * A copy in another Region "is no longer associated with a cluster and has no backup retention policy"
 * (manage-backup-retention.html): it is not the cluster's backup for its schedule, its retention or its newest.
 */
export const isCopy = (backup: BackupRecord) => backup.region !== undefined;

/** When the cluster's newest backup was taken, if it has one. */
export function lastBackupAt(backups: BackupRecord[], clusterId: string): number | undefined {
  let last: number | undefined;
  for (const backup of backups) {
    if (!isCopy(backup) && backup.ClusterId === clusterId && (last === undefined || backup.CreateTimestamp > last)) {
      last = backup.CreateTimestamp;
    }
  }
  return last;
}

/** Whether the 24-hour backup of an active cluster is due. */
export function dailyBackupDue(backups: BackupRecord[], clusterId: string, now: number): boolean {
  const last = lastBackupAt(backups, clusterId);
  return last === undefined || now - last >= TIMING.backupInterval;
}

/** Moves a backup to PENDING_DELETION: it can be restored for 7 days, then it is purged. */
export function markPendingDeletion(backup: BackupRecord, now: number): BackupRecord {
  backup.BackupState = "PENDING_DELETION";
  backup.DeleteTimestamp = now + TIMING.backupPendingDeletion;
  return backup;
}

/**
 * The retention policy: READY backups older than the cluster's BackupRetentionPolicy are deleted by the service
 * (an AwsServiceEvent `DeleteBackup`), except backups marked NeverExpires and each cluster's newest backup.
 */
export function applyRetention(
  ctx: AccountContext,
  now: number,
  backups: BackupRecord[],
  clusters: Map<string, ClusterRecord>,
): void {
  for (const backup of backups) {
    if (backup.BackupState !== "READY" || backup.NeverExpires || isCopy(backup)) continue;
    const cluster = clusters.get(backup.ClusterId);
    if (!cluster) continue;
    const days = Number(cluster.BackupRetentionPolicy.Value);
    if (now - backup.CreateTimestamp < days * DAY) continue;
    const newest = backups
      .filter((b) => !isCopy(b) && b.ClusterId === backup.ClusterId && b.BackupState === "READY")
      .reduce((a, b) => (b.CreateTimestamp > a.CreateTimestamp ? b : a));
    if (newest.BackupId === backup.BackupId) continue;
    saveBackup(ctx, markPendingDeletion(backup, now));
    ctx.bus.cloudTrail({
      service: "cloudhsm",
      eventName: "DeleteBackup",
      eventType: "AwsServiceEvent",
      requestParameters: { backupId: backup.BackupId },
      responseElements: { backup: camel(backupView(backup)) as Record<string, unknown> },
      resources: [backup.BackupArn],
    });
  }
}

/** Copies whose CopyBackupToRegion is done become READY in their Region. */
export function finishCopies(ctx: AccountContext, now: number, backups: BackupRecord[]): void {
  for (const backup of backups) {
    if (backup.BackupState !== "CREATE_IN_PROGRESS" || (backup.readyAt ?? Infinity) > now) continue;
    backup.BackupState = "READY";
    delete backup.readyAt;
    saveBackup(ctx, backup);
  }
}

/** Purges PENDING_DELETION backups whose 7 days are over; they can no longer be restored. */
export function purgeDeletedBackups(ctx: AccountContext, now: number, backups: BackupRecord[]): void {
  for (const backup of backups) {
    if (backup.BackupState !== "PENDING_DELETION" || (backup.DeleteTimestamp ?? Infinity) > now) continue;
    ctx.store.delete(BACKUP, backup.BackupId);
    ctx.bus.cloudTrail({
      service: "cloudhsm",
      eventName: "BackupDeletedPermanently",
      eventType: "AwsServiceEvent",
      requestParameters: { backupId: backup.BackupId },
      responseElements: { backup: camel({ ...backupView(backup), BackupState: "DELETED" }) as Record<string, unknown> },
      resources: [backup.BackupArn],
    });
  }
}

/** DescribeBackups (API Reference, API_DescribeBackups.html). */
export function describeBackups({ ctx }: Deps, input: z.infer<typeof DescribeBackupsInput>, at: CallScope) {
  const filters = checkFilters(input.Filters, ["backupIds", "sourceBackupIds", "clusterIds", "states", "neverExpires"]);
  const backups = ctx.store
    .list<BackupRecord>(BACKUP)
    .filter(
      (b) =>
        backupRegion(ctx, b) === at.region &&
        matches(filters.backupIds, b.BackupId) &&
        matches(filters.sourceBackupIds, b.SourceBackup ?? "") &&
        matches(filters.clusterIds, b.ClusterId) &&
        matches(filters.states, b.BackupState) &&
        matches(filters.neverExpires, String(b.NeverExpires)),
    )
    .sort((a, b) =>
      input.SortAscending ? a.CreateTimestamp - b.CreateTimestamp : b.CreateTimestamp - a.CreateTimestamp,
    );
  const { items, nextToken } = page(backups, input.MaxResults, input.NextToken);
  return { Backups: items.map(backupView), ...(nextToken ? { NextToken: nextToken } : {}) };
}

/** DeleteBackup (API Reference, API_DeleteBackup.html). */
export function deleteBackup({ ctx }: Deps, input: z.infer<typeof BackupIdInput>, record: Recorder, at: CallScope) {
  const backup = loadBackup(ctx, input.BackupId, at.region);
  if (backup.BackupState !== "READY") {
    throw invalidRequest(`Backup ${backup.BackupId} is ${backup.BackupState}; only a READY backup can be deleted`);
  }
  const view = backupView(saveBackup(ctx, markPendingDeletion(backup, ctx.clock.now())));
  record(responded({ backup: view }, [backup.BackupArn]));
  return { Backup: view };
}

/** RestoreBackup (API Reference, API_RestoreBackup.html). */
export function restoreBackup({ ctx }: Deps, input: z.infer<typeof BackupIdInput>, record: Recorder, at: CallScope) {
  const backup = loadBackup(ctx, input.BackupId, at.region);
  if (backup.BackupState !== "PENDING_DELETION") {
    throw invalidRequest(
      `Backup ${backup.BackupId} is ${backup.BackupState}; only a PENDING_DELETION backup can be restored`,
    );
  }
  backup.BackupState = "READY";
  delete backup.DeleteTimestamp;
  const view = backupView(saveBackup(ctx, backup));
  record(responded({ backup: view }, [backup.BackupArn]));
  return { Backup: view };
}

/** ModifyBackupAttributes (API Reference, API_ModifyBackupAttributes.html). */
export function modifyBackupAttributes(
  { ctx }: Deps,
  input: z.infer<typeof ModifyBackupAttributesInput>,
  record: Recorder,
  at: CallScope,
) {
  const backup = loadBackup(ctx, input.BackupId, at.region);
  backup.NeverExpires = input.NeverExpires;
  const view = backupView(saveBackup(ctx, backup));
  record(responded({ backup: view }, [backup.BackupArn]));
  return { Backup: view };
}

/**
 * CopyBackupToRegion (API Reference, API_CopyBackupToRegion.html): a new backup in the destination Region, found there
 * by DescribeBackups with the `sourceBackupIds` filter. Its CreateTimestamp "will be the same as that of the source
 * backup" (API_DestinationBackup.html); tags are the request's, or else the source's. It is CREATE_IN_PROGRESS until
 * the copy is done, then READY; no retention policy ever deletes it.
 */
export function copyBackupToRegion(
  { ctx }: Deps,
  input: z.infer<typeof CopyBackupToRegionInput>,
  record: Recorder,
  at: CallScope,
) {
  const source = loadBackup(ctx, input.BackupId, at.region);
  if (input.DestinationRegion === at.region) {
    throw invalidRequest(`Backup ${source.BackupId} is already in ${at.region}; copy it to a different Region`);
  }
  if (source.BackupState !== "READY") {
    throw invalidRequest(`Backup ${source.BackupId} is ${source.BackupState}; only a READY backup can be copied`);
  }
  const now = ctx.clock.now();
  const backupId = newBackupId();
  const { DeleteTimestamp: _d, CopyTimestamp: _c, readyAt: _r, ...kept } = source;
  saveBackup(ctx, {
    ...kept,
    BackupId: backupId,
    BackupArn: `arn:aws:cloudhsm:${input.DestinationRegion}:${ctx.config.accountId}:backup/${backupId}`,
    BackupState: "CREATE_IN_PROGRESS",
    NeverExpires: false,
    SourceBackup: source.BackupId,
    SourceCluster: source.ClusterId,
    SourceRegion: at.region,
    CopyTimestamp: now,
    TagList: input.TagList ?? source.TagList,
    region: input.DestinationRegion,
    readyAt: now + TIMING.backupCopy,
  });
  const destination = {
    CreateTimestamp: epochSeconds(source.CreateTimestamp),
    SourceBackup: source.BackupId,
    SourceCluster: source.ClusterId,
    SourceRegion: at.region,
  };
  record(responded({ destinationBackup: destination }, [source.BackupArn]));
  return { DestinationBackup: destination };
}
