import type { ClusterBackup, Clusters } from "../../ports/clusters";
import type { BackupFate, Proof } from "../../ports/proofs";
import { DELETION_MARGIN_MS, mayHoldMaterial, type PurgeOutcome } from "./proof";

export type PurgeDeps = {
  clusters: Pick<Clusters, "backups" | "copiesOf" | "deleteBackup" | "copyBackup">;
  /** The Region of the key store and its cluster. */
  region: string;
};

/**
 * Deletes the backups that still hold a deleted key's material, for a key store whose operator approved it (param
 * backupPurgeStores). AWS's advice for a deleted key of a CloudHSM key store is to "delete all cluster backups that
 * might contain the key material" (delete-cmk-keystore.html); this does it without leaving the cluster without a
 * recovery point or overriding what the operator keeps:
 * - only when the material is known gone from the cluster (KMS's SUCCESS, or a cleanup as kmsuser), and when;
 * - only once a backup taken after that (a fresh one, which holds every other key's material) is READY: CloudHSM
 *   takes one at least every 24 hours and has no call to ask for one (manage-backups.html), so this waits for it;
 * - never a backup marked NeverExpires (kept on purpose: the proof keeps saying so), nor one not READY;
 * - a copy in another Region only once a copy of the fresh backup is READY there (this asks for it first);
 * - each backup re-listed right before its deletion: READY, of the key's lifetime, not the fresh one.
 * Every step is safe to repeat: a backup already deleted is skipped, a copy under way is waited for.
 */
export async function purgeBackups(deps: PurgeDeps, proof: Proof): Promise<PurgeOutcome> {
  const outcome: PurgeOutcome = { deleted: [], copied: [], kept: [] };
  const { material } = proof;
  const goneAt = material.at ? Date.parse(material.at) : Number.NaN;
  if ((material.state !== "DELETED" && material.state !== "NOT_PRESENT") || Number.isNaN(goneAt)) {
    return { ...outcome, waiting: "the material is not known to be gone from the cluster, or since when" };
  }
  if (!proof.clusterId) return { ...outcome, waiting: "the key's cluster is not known" };
  const holding = proof.backups.filter((b) => b.state === "READY");
  if (holding.length === 0) return outcome;

  const own = await deps.clusters.backups(proof.clusterId);
  // Backups taken since the material left: none holds it, and a new one comes every day.
  const since = own.filter((b) => b.state === "READY" && (b.createdAt?.getTime() ?? 0) > goneAt + DELETION_MARGIN_MS);
  const fresh = newest(since);
  if (!fresh) {
    return {
      ...outcome,
      waiting:
        "no backup taken since the material left the cluster is READY yet (CloudHSM takes one at least every 24 hours)",
    };
  }
  const eligible = (listed: ClusterBackup | undefined, b: BackupFate): listed is ClusterBackup => {
    if (listed?.state !== "READY" || since.some((s) => s.backupId === listed.backupId)) return false;
    if (!mayHoldMaterial(listed.createdAt, proof, material) || !listed.createdAt) return false;
    if (listed.neverExpires) {
      outcome.kept.push({ backupId: b.backupId, region: b.region, why: "NeverExpires: kept on purpose" });
      return false;
    }
    return true;
  };

  for (const b of holding.filter((h) => h.region === deps.region)) {
    if (
      !eligible(
        own.find((o) => o.backupId === b.backupId),
        b,
      )
    )
      continue;
    if ((await deps.clusters.deleteBackup(b.backupId)) === "PENDING_DELETION") {
      outcome.deleted.push({ backupId: b.backupId, region: b.region });
    }
  }

  const copyRegions = [...new Set(holding.filter((h) => h.region !== deps.region).map((h) => h.region))];
  for (const region of copyRegions) {
    // A copy of any of them will do: yesterday's request may have copied the one that was newest then.
    const freshCopies = await deps.clusters.copiesOf(
      region,
      since.map((b) => b.backupId),
    );
    if (!freshCopies.some((c) => c.state === "READY")) {
      if (!freshCopies.some((c) => c.state === "CREATE_IN_PROGRESS")) {
        await deps.clusters.copyBackup(fresh.backupId, region);
        outcome.copied.push({ backupId: fresh.backupId, region });
      }
      outcome.waiting = `a copy of ${fresh.backupId} is being made in ${region} before the copies there are deleted`;
      continue;
    }
    const here = holding.filter((h) => h.region === region);
    const sources = [...new Set(here.map((h) => h.sourceBackupId).filter((id): id is string => Boolean(id)))];
    const listed = sources.length > 0 ? await deps.clusters.copiesOf(region, sources) : [];
    for (const b of here) {
      if (
        !eligible(
          listed.find((c) => c.backupId === b.backupId),
          b,
        )
      )
        continue;
      if ((await deps.clusters.deleteBackup(b.backupId, region)) === "PENDING_DELETION") {
        outcome.deleted.push({ backupId: b.backupId, region });
      }
    }
  }
  return outcome;
}

/** The newest of them: the one copied where a copy is needed. */
function newest(backups: ClusterBackup[]): ClusterBackup | undefined {
  let found: ClusterBackup | undefined;
  for (const b of backups) {
    if (!found?.createdAt || (b.createdAt?.getTime() ?? 0) > found.createdAt.getTime()) found = b;
  }
  return found;
}
