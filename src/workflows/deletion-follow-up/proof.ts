import { sameKeyNumber } from "../../hsm-audit-records";
import type { Alerts } from "../../ports/alerts";
import { type AuditLog, type AuditLogAnswer, auditLogGroup, type HsmAuditEvent } from "../../ports/audit-log";
import type { ClusterBackup, Clusters } from "../../ports/clusters";
import type { DeletionStatus, Orphan, OrphanRegister } from "../../ports/orphan-register";
import type {
  AuditRecordEvidence,
  AuditRecords,
  BackupFate,
  MaterialFate,
  Proof,
  ProofStatus,
  Proofs,
} from "../../ports/proofs";

/**
 * How long after the DeleteKey record's time a backup still counts as taken before the material was deleted. KMS
 * writes the record after its attempt on the backing key, but nothing documents how a backup's CreateTimestamp
 * relates to the moment its copy is made, so a backup started shortly after is still counted: listing one too many
 * keeps a record open longer, listing one too few would call material gone that a restore brings back.
 */
export const DELETION_MARGIN_MS = 60 * 60 * 1000;

/** Status changes kept on a proof: a restored backup can flip it a few times, never without bound. */
export const HISTORY_KEPT = 50;

/** Backups named in a reason, before "and N more". */
const NAMED = 5;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long before the material's recorded deletion its audit record is looked for. KMS writes DeleteKey after its
 * attempt on the backing key and a cleanup records its outcome after `key delete`; no page says how long after, so a
 * day bounds it.
 */
export const AUDIT_WINDOW_BEFORE_MS = DAY_MS;
/** And after it: the HSMs' clocks and the recorder's may differ. */
export const AUDIT_WINDOW_AFTER_MS = 60 * 60 * 1000;
/** Deletion records read per lookup, and kept on a proof. */
export const AUDIT_RECORDS_READ = 100;
export const AUDIT_RECORDS_KEPT = 10;

/** What a proof is about, from the follow-up's record of the key. */
export type ProofSubject = {
  keyArn: string;
  customKeyStoreId: string;
  clusterId?: string;
  backingKeyId?: string;
  keyCreatedAt?: string;
};

/** Every backup listed now: the cluster's (with its retention) and the copies found in other Regions. */
export type BackupListing = {
  region: string;
  retentionDays?: number;
  own: ClusterBackup[];
  copies: (ClusterBackup & { region: string })[];
};

/**
 * The material's fate in the cluster from the register: KMS's DeleteKey record, then what a cleanup found as kmsuser
 * (fix-keystore.html, "How to delete orphaned key material": KMS makes a best effort, and says how it went in
 * backingKeysDeletionStatus). A cleanup's word outranks a FAILURE; only a resolution that touched the cluster counts.
 */
export function materialFate(status: DeletionStatus | undefined, orphan: Orphan | undefined): MaterialFate {
  if (orphan?.resolution === "DELETED" || orphan?.resolution === "NOT_PRESENT") {
    return {
      state: orphan.resolution,
      ...(orphan.resolvedAt ? { at: orphan.resolvedAt } : {}),
      ...(orphan.resolvedBy ? { by: orphan.resolvedBy } : {}),
      ...(orphan.hsmKeyReference ? { hsmKeyReference: orphan.hsmKeyReference } : {}),
    };
  }
  if (status?.backingKeysDeletionStatus === "SUCCESS") {
    return { state: "DELETED", ...(status.deleteKeyEventAt ? { at: status.deleteKeyEventAt } : {}), by: "kms" };
  }
  if (status?.backingKeysDeletionStatus === "FAILURE" || orphan) return { state: "IN_CLUSTER" };
  return { state: "UNVERIFIED" };
}

/**
 * Whether a backup may hold the material: taken after the key was created (AWS: "view the creation date of the KMS
 * key. Then delete all cluster backups that might contain the key material", delete-cmk-keystore.html) and, once the
 * material left the cluster, no later than DELETION_MARGIN_MS after that. While it is still there, every later backup
 * holds it too.
 */
export function mayHoldMaterial(createdAt: Date | undefined, subject: ProofSubject, material: MaterialFate): boolean {
  const created = createdAt?.getTime() ?? Number.NaN;
  // A backup without a creation time cannot be placed: it counts.
  if (Number.isNaN(created)) return true;
  if (subject.keyCreatedAt && created < Date.parse(subject.keyCreatedAt)) return false;
  const gone = material.state === "DELETED" || material.state === "NOT_PRESENT";
  const at = gone && material.at ? Date.parse(material.at) : Number.NaN;
  return Number.isNaN(at) || created <= at + DELETION_MARGIN_MS;
}

/**
 * When the cluster's HSM audit log may have recorded the material's deletion: around the time it was deleted (by KMS
 * or a cleanup), or, for material a cleanup found absent, around KMS's DeleteKey. Undefined while it is not known gone.
 */
export function auditWindow(material: MaterialFate, status?: DeletionStatus): { from: Date; to: Date } | undefined {
  const anchor =
    material.state === "DELETED"
      ? material.at
      : material.state === "NOT_PRESENT"
        ? status?.deleteKeyEventAt
        : undefined;
  const at = anchor ? Date.parse(anchor) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return { from: new Date(at - AUDIT_WINDOW_BEFORE_MS), to: new Date(at + AUDIT_WINDOW_AFTER_MS) };
}

/**
 * The evidence one lookup gives. With the key reference a cleanup deleted, only the records whose key handle is the
 * same number are the key's; without one, every deletion in the window is kept and the proof says they are tied to
 * the key by time only.
 */
export function auditEvidence(
  answer: AuditLogAnswer,
  context: { clusterId: string; window: { from: Date; to: Date }; keyReference?: string; now: Date },
): AuditRecords {
  const { keyReference } = context;
  const base = {
    logGroup: auditLogGroup(context.clusterId),
    from: context.window.from.toISOString(),
    to: context.window.to.toISOString(),
    readAt: context.now.toISOString(),
    matchedBy: keyReference ? ("key-reference" as const) : ("time-window" as const),
  };
  if (answer.status !== "READ") {
    return { ...base, status: answer.status, records: [], leftOut: 0, truncated: false, error: answer.error };
  }
  const mine = keyReference ? answer.records.filter((r) => sameKeyNumber(r.keyHandle, keyReference)) : answer.records;
  const kept = mine.slice(0, AUDIT_RECORDS_KEPT).map((r) => keptRecord(r, Boolean(keyReference)));
  return {
    ...base,
    status: kept.length > 0 ? "FOUND" : "NONE",
    records: kept,
    leftOut: answer.records.length - kept.length,
    truncated: answer.truncated,
  };
}

function keptRecord(r: HsmAuditEvent, matched: boolean): AuditRecordEvidence {
  return {
    hsmId: r.hsmId,
    time: r.time,
    sequenceNo: r.sequenceNo,
    opcode: r.opcode,
    response: `${r.response.code}:${r.response.message}`,
    ...(r.keyHandle ? { keyHandle: r.keyHandle } : {}),
    ...(r.sessionHandle ? { sessionHandle: r.sessionHandle } : {}),
    ...(r.eventId ? { eventId: r.eventId } : {}),
    message: r.message,
    ...(matched ? { matchesKeyReference: true } : {}),
  };
}

/** A lookup is due until one found the records for the same window and way of matching. */
function auditLookupDue(
  previous: AuditRecords | undefined,
  window: { from: Date; to: Date },
  keyReference: string | undefined,
): boolean {
  return (
    previous?.status !== "FOUND" ||
    previous.from !== window.from.toISOString() ||
    previous.to !== window.to.toISOString() ||
    previous.matchedBy !== (keyReference ? "key-reference" : "time-window")
  );
}

/**
 * The proof as the evidence stands now. Backups keep their history: one listed before and no longer listed (or listed
 * DELETED) is GONE from the first time it was missed. A READY one expires under its cluster's retention policy
 * (manage-backup-retention.html), except the cluster's newest ("AWS CloudHSM does not delete a cluster's last
 * backup"), one marked NeverExpires, and copies in other Regions ("no longer associated with a cluster and has no
 * backup retention policy. You must manually delete any backups not associated with a cluster"). A PENDING_DELETION
 * one can be restored until its DeleteTimestamp (delete-restore-backup.html, seven days).
 */
export function buildProof(input: {
  previous?: Proof;
  subject: ProofSubject;
  status?: DeletionStatus;
  orphan?: Orphan;
  listing?: BackupListing;
  /** A new reading of the HSM audit log; without one the previous reading is kept. */
  audit?: AuditRecords;
  openedBy: string;
  /** Backups (`<region>/<backupId>`) the product itself just deleted, and who did. */
  deleted?: { ids: Set<string>; by: string };
  now: Date;
}): Proof {
  const { previous, subject, listing, now } = input;
  const at = now.toISOString();
  const material = materialFate(input.status, input.orphan);
  const known = new Map((previous?.backups ?? []).map((b) => [`${b.region}/${b.backupId}`, b]));
  const seen = new Set<string>();
  const backups: BackupFate[] = [];

  if (listing) {
    const newest = newestReady(listing.own);
    const listed = [
      ...listing.own.map((b) => ({ ...b, region: listing.region, copy: false })),
      ...listing.copies.map((b) => ({ ...b, copy: true })),
    ];
    for (const b of listed) {
      if (!mayHoldMaterial(b.createdAt, subject, material)) continue;
      const id = `${b.region}/${b.backupId}`;
      seen.add(id);
      const before = known.get(id);
      const gone = b.state === "DELETED";
      const state = gone ? "GONE" : listedState(b.state);
      const expiresAt =
        state === "READY" && !b.neverExpires && !b.copy && b.backupId !== newest && listing.retentionDays && b.createdAt
          ? new Date(b.createdAt.getTime() + listing.retentionDays * DAY_MS).toISOString()
          : undefined;
      backups.push({
        backupId: b.backupId,
        region: b.region,
        ...((b.sourceBackupId ?? before?.sourceBackupId)
          ? { sourceBackupId: b.sourceBackupId ?? before?.sourceBackupId }
          : {}),
        createdAt: b.createdAt?.toISOString() ?? before?.createdAt ?? at,
        state,
        neverExpires: b.neverExpires,
        ...(expiresAt ? { expiresAt } : {}),
        ...(state === "PENDING_DELETION" && b.deleteAt ? { purgeAt: b.deleteAt.toISOString() } : {}),
        firstSeenAt: before?.firstSeenAt ?? at,
        ...(gone ? { goneAt: before?.goneAt ?? at } : {}),
        ...((before?.deletedBy ?? (input.deleted?.ids.has(id) ? input.deleted.by : undefined))
          ? { deletedBy: before?.deletedBy ?? input.deleted?.by }
          : {}),
      });
    }
  }
  // Known before and not listed now: purged. Without a listing (no cluster known), nothing can be said: kept as was.
  for (const [id, b] of known) {
    if (seen.has(id)) continue;
    if (!listing) backups.push(b);
    else backups.push({ ...dropped(b), state: "GONE", goneAt: b.goneAt ?? at });
  }
  backups.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.backupId.localeCompare(b.backupId));

  const { status, reason } = judge(material, backups, Boolean(subject.clusterId));
  const changed = previous?.status !== status;
  const history = [...(previous?.history ?? []), ...(changed ? [{ at, status, reason }] : [])].slice(-HISTORY_KEPT);
  return {
    keyArn: subject.keyArn,
    customKeyStoreId: subject.customKeyStoreId,
    ...(subject.clusterId ? { clusterId: subject.clusterId } : {}),
    ...((subject.backingKeyId ?? input.status?.backingKeyId)
      ? { backingKeyId: subject.backingKeyId ?? input.status?.backingKeyId }
      : {}),
    ...(subject.keyCreatedAt ? { keyCreatedAt: subject.keyCreatedAt } : {}),
    deletion: {
      ...(input.status?.deleteKeyEventAt ? { deleteKeyEventAt: input.status.deleteKeyEventAt } : {}),
      ...(input.status?.backingKeysDeletionStatus
        ? { backingKeysDeletionStatus: input.status.backingKeysDeletionStatus }
        : {}),
      ...(input.status?.cmkDeletionAt ? { cmkDeletionAt: input.status.cmkDeletionAt } : {}),
    },
    material,
    ...((input.audit ?? previous?.auditRecords) ? { auditRecords: input.audit ?? previous?.auditRecords } : {}),
    backups,
    status,
    reason,
    openedBy: previous?.openedBy ?? input.openedBy,
    openedAt: previous?.openedAt ?? at,
    updatedAt: at,
    ...(status === "CLOSED" ? { closedAt: changed ? at : (previous?.closedAt ?? at) } : {}),
    history,
    version: (previous?.version ?? 0) + 1,
  };
}

function listedState(state: string): BackupFate["state"] {
  if (state === "READY" || state === "PENDING_DELETION" || state === "CREATE_IN_PROGRESS") return state;
  // A state this code does not know: assume the backup still holds the material.
  return "READY";
}

/** A backup without the dates that only a listed one has. */
function dropped(b: BackupFate): Omit<BackupFate, "expiresAt" | "purgeAt"> {
  const { expiresAt: _e, purgeAt: _p, ...rest } = b;
  return rest;
}

function newestReady(backups: ClusterBackup[]): string | undefined {
  let newest: ClusterBackup | undefined;
  for (const b of backups) {
    if (b.state !== "READY" || !b.createdAt) continue;
    if (!newest?.createdAt || b.createdAt > newest.createdAt) newest = b;
  }
  return newest?.backupId;
}

function judge(
  material: MaterialFate,
  backups: BackupFate[],
  clusterKnown: boolean,
): { status: ProofStatus; reason: string } {
  if (material.state === "IN_CLUSTER") {
    return { status: "OPEN", reason: "the material is still in the cluster (an orphan): orphan-cleanup deletes it" };
  }
  if (material.state === "UNVERIFIED") {
    return {
      status: "OPEN",
      reason: "KMS did not report deleting the material: orphan-cleanup checks the cluster as kmsuser",
    };
  }
  if (!clusterKnown) {
    return { status: "OPEN", reason: "the key's cluster is not known, so its backups cannot be listed" };
  }
  const restorable = backups.filter((b) => b.state === "READY" || b.state === "CREATE_IN_PROGRESS");
  const pending = backups.filter((b) => b.state === "PENDING_DELETION");
  if (restorable.length > 0) {
    return {
      status: "OPEN",
      reason: `${count(restorable.length)} hold the material: ${restorable.map(fate).slice(0, NAMED).join("; ")}${more(restorable.length)}`,
    };
  }
  if (pending.length > 0) {
    const last = pending
      .map((b) => b.purgeAt ?? "")
      .sort()
      .at(-1);
    return {
      status: "PENDING_PURGE",
      reason: `${count(pending.length)} deleted but restorable until ${last || "their purge"}: ${pending.map(fate).slice(0, NAMED).join("; ")}${more(pending.length)}`,
    };
  }
  const how =
    material.by === "kms"
      ? "KMS deleted it (DeleteKey SUCCESS)"
      : `${material.by ?? "a cleanup"} found it ${material.state === "DELETED" ? "and deleted it" : "absent"} as kmsuser`;
  return {
    status: "CLOSED",
    reason: `the material is gone from the cluster (${how}) and from every backup that held it (${backups.length})`,
  };
}

const count = (n: number) => `${n} backup${n === 1 ? "" : "s"}`;
const more = (n: number) => (n > NAMED ? ` and ${n - NAMED} more` : "");

/** A backup's fate in words: where the material in it goes next, and what, if anything, the operator must do. */
export function describeFate(b: BackupFate): string {
  const by = b.deletedBy ? ` by ${b.deletedBy}` : "";
  if (b.state === "GONE") return `gone since ${b.goneAt ?? "?"}${b.deletedBy ? ` (deleted${by})` : ""}`;
  if (b.state === "PENDING_DELETION") return `deleted${by}, restorable until ${b.purgeAt ?? "its purge"}`;
  if (b.state === "CREATE_IN_PROGRESS") return "being created";
  if (b.expiresAt) return `retention deletes it ${b.expiresAt}`;
  if (b.neverExpires) return "never expires: delete it";
  if (b.sourceBackupId) return "a copy has no retention: delete it";
  return "the cluster's last backup: retention keeps it";
}

function fate(b: BackupFate): string {
  return `${b.sourceBackupId ? `${b.backupId} (copy in ${b.region})` : b.backupId} ${describeFate(b)}`;
}

export type ProofDeps = {
  proofs: Proofs;
  orphans: Pick<OrphanRegister, "deletionStatus" | "get">;
  clusters: Pick<Clusters, "get" | "backups" | "copiesOf">;
  auditLog: AuditLog;
  /** The Region of the key store and its cluster. */
  region: string;
  /** Other Regions to look in for copies of the cluster's backups (param backupCopyRegions). */
  copyRegions: string[];
  now: () => Date;
};

/**
 * Brings a key's proof up to date from the register and CloudHSM, and stores it. Safe to run any number of times, by
 * any number of callers: a write based on an older read is refused and the refresh reads again.
 */
export async function refreshProof(
  deps: ProofDeps,
  keyArn: string,
  opening?: { subject: ProofSubject; openedBy: string },
  deleted?: { ids: Set<string>; by: string },
): Promise<Proof | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const previous = await deps.proofs.get(keyArn);
    const subject: ProofSubject | undefined = previous ?? opening?.subject;
    if (!subject) return undefined;
    const [status, orphan] = await Promise.all([deps.orphans.deletionStatus(keyArn), deps.orphans.get(keyArn)]);
    const listing = subject.clusterId ? await listBackups(deps, subject.clusterId, previous) : undefined;
    const audit = subject.clusterId
      ? await readAuditLog(deps, subject.clusterId, materialFate(status, orphan), status, previous?.auditRecords)
      : undefined;
    const proof = buildProof({
      ...(previous ? { previous } : {}),
      subject,
      ...(status ? { status } : {}),
      ...(orphan ? { orphan } : {}),
      ...(listing ? { listing } : {}),
      ...(audit ? { audit } : {}),
      openedBy: previous?.openedBy ?? opening?.openedBy ?? "unknown",
      ...(deleted ? { deleted } : {}),
      now: deps.now(),
    });
    if (await deps.proofs.save(proof)) return proof;
  }
  throw new Error(`Proof of ${keyArn} kept changing under three refreshes in a row`);
}

/** A new reading of the cluster's audit log when one is due; undefined keeps the previous one. */
async function readAuditLog(
  deps: ProofDeps,
  clusterId: string,
  material: MaterialFate,
  status: DeletionStatus | undefined,
  previous: AuditRecords | undefined,
): Promise<AuditRecords | undefined> {
  const window = auditWindow(material, status);
  if (!window || !auditLookupDue(previous, window, material.hsmKeyReference)) return undefined;
  const answer = await deps.auditLog.keyDeletions({ clusterId, ...window, limit: AUDIT_RECORDS_READ });
  return auditEvidence(answer, {
    clusterId,
    window,
    ...(material.hsmKeyReference ? { keyReference: material.hsmKeyReference } : {}),
    now: deps.now(),
  });
}

async function listBackups(deps: ProofDeps, clusterId: string, previous?: Proof): Promise<BackupListing> {
  const [cluster, own] = await Promise.all([deps.clusters.get(clusterId), deps.clusters.backups(clusterId)]);
  // A copy outlives its source: look for copies of every backup ever listed, not only those listed now.
  const sources = [
    ...new Set([
      ...own.map((b) => b.backupId),
      ...(previous?.backups ?? []).filter((b) => !b.sourceBackupId).map((b) => b.backupId),
    ]),
  ];
  const copies: BackupListing["copies"] = [];
  for (const copyRegion of deps.copyRegions) {
    if (sources.length === 0 || copyRegion === deps.region) continue;
    for (const copy of await deps.clusters.copiesOf(copyRegion, sources)) copies.push({ ...copy, region: copyRegion });
  }
  return {
    region: deps.region,
    ...(cluster?.backupRetentionDays ? { retentionDays: cluster.backupRetentionDays } : {}),
    own,
    copies,
  };
}

export type RefreshReport = {
  refreshed: number;
  open: number;
  pendingPurge: number;
  closed: number;
  /** Proofs that went back to OPEN: a backup holding the material was restored. */
  reopened: string[];
  /** Per key store of the proofs refreshed: those not CLOSED, and the backups they list that still hold material. */
  stores: Record<string, { openProofs: number; backupsHoldingMaterial: number }>;
  /** What the approved purge did per proof (param backupPurgeStores). */
  purged: ({ keyArn: string } & PurgeOutcome)[];
  failed: { keyArn: string; error: string }[];
};

/** One proof's purge: backups deleted, fresh backups copied to a Region first, backups kept on purpose, and why not more. */
export type PurgeOutcome = {
  deleted: { backupId: string; region: string }[];
  copied: { backupId: string; region: string }[];
  kept: { backupId: string; region: string; why: string }[];
  waiting?: string;
};

/** Proofs refreshed per run, bounding its time; with more open, the rest are refreshed by the next runs' order. */
export const REFRESH_LIMIT = 500;

/**
 * The daily refresh (or one key's, when asked): brings every proof not CLOSED up to date. A proof that goes from
 * PENDING_PURGE back to OPEN means somebody restored a backup holding deleted material (RestoreBackup is allowed for
 * seven days after DeleteBackup, delete-restore-backup.html): a CRITICAL alert names it. A proof that fails is
 * reported and the others go on; the run then fails so its errors alarm fires.
 */
export async function refreshProofs(
  deps: ProofDeps & {
    alerts: Alerts;
    /**
     * Deletes the backups holding an open proof's material where the operator approved it for the store (param
     * backupPurgeStores; purge.ts); undefined when not approved for it.
     */
    purge?: (proof: Proof) => Promise<PurgeOutcome | undefined>;
    /** Who the proof names as having deleted a backup: the function. */
    purgedBy?: string;
  },
  input: { keyArn?: string },
): Promise<RefreshReport> {
  const keys = input.keyArn ? [input.keyArn] : (await deps.proofs.listOpen()).slice(0, REFRESH_LIMIT);
  const report: RefreshReport = {
    refreshed: 0,
    open: 0,
    pendingPurge: 0,
    closed: 0,
    reopened: [],
    stores: {},
    purged: [],
    failed: [],
  };
  for (const keyArn of keys) {
    try {
      const before = (await deps.proofs.get(keyArn))?.status;
      let proof = await refreshProof(deps, keyArn);
      if (!proof) continue;
      const purged = proof.status === "OPEN" && deps.purge ? await deps.purge(proof) : undefined;
      if (purged) {
        report.purged.push({ keyArn, ...purged });
        if (purged.deleted.length > 0) {
          const ids = new Set(purged.deleted.map((b) => `${b.region}/${b.backupId}`));
          proof =
            (await refreshProof(deps, keyArn, undefined, { ids, by: deps.purgedBy ?? "keystore-autopilot" })) ?? proof;
        }
      }
      report.refreshed++;
      if (proof.status === "OPEN") report.open++;
      else if (proof.status === "PENDING_PURGE") report.pendingPurge++;
      else report.closed++;
      const store = report.stores[proof.customKeyStoreId] ?? { openProofs: 0, backupsHoldingMaterial: 0 };
      report.stores[proof.customKeyStoreId] = store;
      if (proof.status !== "CLOSED") store.openProofs++;
      store.backupsHoldingMaterial += proof.backups.filter((b) => b.state !== "GONE").length;
      if (before === "PENDING_PURGE" && proof.status === "OPEN") {
        report.reopened.push(keyArn);
        await deps.alerts.publish({
          type: "DeletedKeyMaterialRestored",
          severity: "CRITICAL",
          message: `A backup holding the material of deleted key ${keyArn} is no longer pending deletion (restored?): ${proof.reason}. Delete it again, or keep it on purpose; keystore-autopilot proof ${keyArn} shows the chain`,
          keyArn,
          customKeyStoreId: proof.customKeyStoreId,
          ...(proof.clusterId ? { clusterId: proof.clusterId } : {}),
          details: { proofStatus: proof.status, backups: proof.backups.filter((b) => b.state !== "GONE").length },
        });
      }
    } catch (error: unknown) {
      report.failed.push({ keyArn, error: `${(error as Error).name}: ${(error as Error).message}` });
    }
  }
  if (report.failed.length > 0) throw new ProofRefreshFailedError(report);
  return report;
}

/** Some proofs could not be refreshed; the others were. */
export class ProofRefreshFailedError extends Error {
  constructor(readonly report: RefreshReport) {
    super(
      `${report.failed.length} proof(s) not refreshed (${report.refreshed} were): ${report.failed
        .slice(0, NAMED)
        .map((f) => `${f.keyArn}: ${f.error}`)
        .join("; ")}`,
    );
    this.name = "ProofRefreshFailedError";
  }
}

/** The param backupCopyRegions ("eu-west-1, us-west-2") as a list. */
export const copyRegions = (setting: string): string[] =>
  setting
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
