import { randomBytes } from "node:crypto";
import type { AccountContext } from "../account";
import { newUser } from "../cluster-users";
import type { BackupRecord, ClusterRecord } from "../model";
import { DAY, TIMING } from "../timing";
import {
  applyRetention,
  dailyBackupDue,
  finishCopies,
  isCopy,
  lastBackupAt,
  purgeDeletedBackups,
  takeBackup,
} from "./backups";
import { generateClusterCsr } from "./certificates";
import { activeHsms, BACKUP, CLUSTER, deriveActivatedState, isActivated, saveCluster, settledState } from "./records";

/** The documented default password of the admin before `cluster activate` sets one (DOMAIN.md §6). */
export const DEFAULT_ADMIN_PASSWORD = "password";

/** The users of a freshly initialized cluster: the unactivated admin and the internal appliance user. */
export function initialUsers() {
  return [
    newUser("admin", "unactivated-admin", DEFAULT_ADMIN_PASSWORD),
    newUser("app_user", "appliance", randomBytes(16).toString("hex")),
  ];
}

/**
 * Settles every CloudHSM transition due at `now` on the simulated clock, in the caller's transaction: clusters and
 * HSMs finishing creation, initialization, modification and deletion (an activated cluster is UPDATE_IN_PROGRESS
 * while an HSM changes, records.ts), automatic backups, copies finishing, backup retention and purge.
 * Idempotent, so the service tick and the CloudHSM CLI route may both call it.
 */
export function settleCloudHsm(ctx: AccountContext, now: number): void {
  const backups = ctx.store.list<BackupRecord>(BACKUP);
  const clusters = ctx.store.list<ClusterRecord>(CLUSTER);
  for (const cluster of clusters) {
    if (cluster.State === "DELETED") continue;
    if (settleCluster(ctx, cluster, now, backups)) saveCluster(ctx, cluster);
  }
  if (backups.length === 0) return;
  finishCopies(ctx, now, backups);
  applyRetention(ctx, now, backups, new Map(clusters.map((c) => [c.ClusterId, c])));
  purgeDeletedBackups(ctx, now, backups);
}

/**
 * The earliest CloudHSM transition due strictly after `after`: a cluster or HSM finishing, a daily backup, a backup
 * passing its retention, a deleted backup's purge. The same rules as `settleCloudHsm`, read without changing anything.
 */
export function nextCloudHsmDue(ctx: AccountContext, after: number): number | undefined {
  let next: number | undefined;
  const consider = (at: number | undefined) => {
    if (at !== undefined && at > after && (next === undefined || at < next)) next = at;
  };
  const backups = ctx.store.list<BackupRecord>(BACKUP);
  const clusters = new Map<string, ClusterRecord>();
  for (const cluster of ctx.store.list<ClusterRecord>(CLUSTER)) {
    clusters.set(cluster.ClusterId, cluster);
    if (cluster.State === "DELETED") continue;
    consider(cluster.dueAt);
    for (const hsm of cluster.Hsms) consider(hsm.dueAt);
    const last = lastBackupAt(backups, cluster.ClusterId);
    if (isActivated(cluster) && activeHsms(cluster).length > 0 && last !== undefined) {
      consider(last + TIMING.backupInterval);
    }
  }
  for (const backup of backups) {
    const cluster = isCopy(backup) ? undefined : clusters.get(backup.ClusterId);
    if (backup.BackupState === "CREATE_IN_PROGRESS") consider(backup.readyAt);
    if (backup.BackupState === "READY" && !backup.NeverExpires && cluster) {
      consider(backup.CreateTimestamp + Number(cluster.BackupRetentionPolicy.Value) * DAY);
    }
    if (backup.BackupState === "PENDING_DELETION") consider(backup.DeleteTimestamp);
  }
  return next;
}

function settleCluster(ctx: AccountContext, cluster: ClusterRecord, now: number, backups: BackupRecord[]): boolean {
  let changed = false;
  let backupNow = false;
  const due = cluster.dueAt !== undefined && cluster.dueAt <= now;

  if (cluster.State === "CREATE_IN_PROGRESS" && due) {
    // A cluster made from a backup has the backup's activated admin, so it is ACTIVE straight away.
    cluster.State = cluster.users.some((u) => u.role === "admin") ? "ACTIVE" : "UNINITIALIZED";
    delete cluster.StateMessage;
    delete cluster.dueAt;
    changed = true;
  }

  const kept = [];
  for (const hsm of cluster.Hsms) {
    if (hsm.dueAt === undefined || hsm.dueAt > now) {
      kept.push(hsm);
      continue;
    }
    changed = true;
    if (hsm.State === "DELETE_IN_PROGRESS") {
      // Removed; an active cluster takes a backup when an HSM is removed.
      backupNow ||= isActivated(cluster);
      continue;
    }
    if (hsm.State === "CREATE_IN_PROGRESS") {
      // Fault injection: the HSM comes up DEGRADED instead (AWS's meaning of DEGRADED is unconfirmed, DOMAIN.md §6).
      const degraded = ctx.faults.take(
        "hsm-degraded",
        (f) => (!f.clusterId || f.clusterId === cluster.ClusterId) && (!f.activatedOnly || isActivated(cluster)),
      );
      hsm.State = degraded ? "DEGRADED" : "ACTIVE";
      hsm.StateMessage = degraded ? "HSM is degraded (local fault injection)." : "HSM created.";
      backupNow ||= isActivated(cluster) && !degraded;
    }
    delete hsm.dueAt;
    kept.push(hsm);
  }
  cluster.Hsms = kept;

  if ((cluster.State === "MODIFY_IN_PROGRESS" || cluster.State === "ROLLBACK_IN_PROGRESS") && due) {
    settleModification(ctx, cluster, now);
    changed = true;
  }

  if (cluster.State === "UNINITIALIZED" && !cluster.csrPublicKeyPem && activeHsms(cluster).length > 0) {
    const { csrPem, publicKeyPem } = generateClusterCsr(cluster.ClusterId, cluster.HsmType);
    cluster.Certificates.ClusterCsr = csrPem;
    cluster.csrPublicKeyPem = publicKeyPem;
    changed = true;
  }

  if (cluster.State === "INITIALIZE_IN_PROGRESS" && due) {
    cluster.State = "INITIALIZED";
    delete cluster.StateMessage;
    delete cluster.dueAt;
    cluster.users = initialUsers();
    changed = true;
  }

  if (cluster.State === "DELETE_IN_PROGRESS" && due) {
    if (ctx.hsm.hasToken(cluster.tokenLabel)) ctx.hsm.wipe(cluster.tokenLabel);
    cluster.State = "DELETED";
    delete cluster.StateMessage;
    delete cluster.dueAt;
    cluster.deletedAt = now;
    return true;
  }

  if (isActivated(cluster)) {
    const before = cluster.State;
    deriveActivatedState(cluster);
    changed ||= before !== cluster.State;
    if (activeHsms(cluster).length > 0 && (backupNow || dailyBackupDue(backups, cluster.ClusterId, now))) {
      backups.push(takeBackup(ctx, cluster, now));
    }
  }
  return changed;
}

/**
 * A ModifyCluster ends: the cluster returns to the state it was in, with the change kept. With a `cluster-rollback`
 * fault armed it goes ROLLBACK_IN_PROGRESS instead, and when that ends the change is undone ("Migrating from
 * hsm1.medium to hsm2m.medium", hsm1-to-hsm2-migration.html: a migration can be rolled back to the original type).
 */
function settleModification(ctx: AccountContext, cluster: ClusterRecord, now: number): void {
  const rollback =
    cluster.State === "MODIFY_IN_PROGRESS" &&
    ctx.faults.take("cluster-rollback", (f) => !f.clusterId || f.clusterId === cluster.ClusterId);
  if (rollback) {
    cluster.State = "ROLLBACK_IN_PROGRESS";
    cluster.StateMessage = "Cluster modification failed and is being rolled back (local fault injection).";
    cluster.dueAt = now + TIMING.clusterRollback;
    return;
  }
  if (cluster.State === "ROLLBACK_IN_PROGRESS" && cluster.modification) {
    cluster.BackupRetentionPolicy = cluster.modification.from;
  }
  cluster.State = settledState(cluster);
  delete cluster.priorState;
  delete cluster.StateMessage;
  delete cluster.dueAt;
  delete cluster.modification;
}
