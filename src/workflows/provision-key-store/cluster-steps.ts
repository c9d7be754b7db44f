import { CLUSTER_GONE, ClusterNotFoundError, findCluster, HSM_CHANGES_PAUSED, HSM_GONE } from "../../clusters";
import type { Cluster, ClusterHsm } from "../../ports/clusters";
import { adminSecretFor } from "../../secret-names";
import { InvalidInputError } from "../../validation";
import { generatePassword } from "../connect-key-store/password";
import { ClusterUnusableError, HsmReplacementBudgetError } from "./errors";
import { KEY_STORE_TAG, type ProvisionPlan } from "./model";
import { adminCredential, generateOnce, type ProvisionDeps, parseJsonSecret } from "./steps";

/**
 * The provision-key-store steps that call CloudHSM, and the cluster lookups plan.ts and certificate-steps.ts share.
 * Nothing here calls KMS or Step Functions, so the functions that run these steps load only CloudHSM's client.
 */

/** DEGRADED HSMs replaced per provisioning before it stops (DOMAIN.md §6: DEGRADED's meaning is unconfirmed). */
export const MAX_HSM_REPLACEMENTS = 3;

/** The cluster by id, or ClusterNotFoundError. */
export async function cluster(deps: Pick<ProvisionDeps, "clusters">, clusterId: string): Promise<Cluster> {
  const found = await findCluster(deps.clusters, clusterId);
  if (!found) throw new ClusterNotFoundError(clusterId, { field: "clusterId" });
  return found;
}

/** How far provisioning took a cluster: a re-run resumes on the furthest, never on an empty duplicate. */
const PROGRESS: Record<string, number> = {
  CREATE_IN_PROGRESS: 0,
  UNINITIALIZED: 1,
  INITIALIZE_IN_PROGRESS: 2,
  INITIALIZED: 3,
};

/** Every live cluster tagged with the key store name, the one a re-run resumes on first (see taggedCluster). */
export async function taggedClusters(deps: Pick<ProvisionDeps, "clusters">, keyStoreName: string): Promise<Cluster[]> {
  const found = (await deps.clusters.list()).filter(
    (c) => !CLUSTER_GONE.has(c.state) && c.tags[KEY_STORE_TAG] === keyStoreName,
  );
  // Past INITIALIZED (ACTIVE, DEGRADED, being updated) counts as furthest; then the oldest, then the id.
  const progress = (c: Cluster) => PROGRESS[c.state] ?? 4;
  const created = (c: Cluster) => c.createdAt?.getTime() ?? Number.MAX_VALUE;
  return found.sort(
    (a, b) => progress(b) - progress(a) || created(a) - created(b) || a.clusterId.localeCompare(b.clusterId),
  );
}

/**
 * The cluster an earlier run of this provisioning created (tagged with the key store name), if any. CreateCluster has
 * no idempotency token: a retry after a lost answer, or DescribeClusters not yet listing the new cluster, can leave two;
 * the one provisioning got furthest with is chosen, so every re-run resumes on the same cluster.
 */
export async function taggedCluster(
  deps: Pick<ProvisionDeps, "clusters">,
  keyStoreName: string,
): Promise<Cluster | undefined> {
  return (await taggedClusters(deps, keyStoreName))[0];
}

/** The CSR of an UNINITIALIZED cluster; any other state cannot be signed for. */
export async function clusterCsr(deps: Pick<ProvisionDeps, "clusters">, clusterId: string): Promise<string> {
  const found = await cluster(deps, clusterId);
  const { csr } = found;
  if (found.state !== "UNINITIALIZED" || !csr)
    throw new ClusterUnusableError(clusterId, `${found.state} without a CSR`);
  return csr;
}

/**
 * Creates the cluster, tagged with the key store name, unless the plan adopts one or an earlier attempt made it.
 * `strays` are other live clusters with the same tag (a duplicate a lost CreateCluster answer left): reported for the
 * operator to delete, never deleted here. CloudHSM refuses two subnets in one Availability Zone; that becomes an input
 * error naming subnetIds.
 */
export async function ensureCluster(
  deps: Pick<ProvisionDeps, "clusters">,
  plan: Pick<ProvisionPlan, "keyStoreName" | "clusterId" | "subnetIds" | "hsmType" | "backupRetentionDays">,
): Promise<{ clusterId: string; created: boolean; strays: string[] }> {
  const tagged = await taggedClusters(deps, plan.keyStoreName);
  const chosen = plan.clusterId ?? tagged[0]?.clusterId;
  const strays = tagged.map((c) => c.clusterId).filter((id) => id && id !== chosen);
  if (chosen) return { clusterId: chosen, created: false, strays };
  if (!plan.subnetIds)
    throw new InvalidInputError("Invalid input: subnetIds: required to create a cluster", "subnetIds");
  try {
    const clusterId = await deps.clusters.create({
      hsmType: plan.hsmType,
      subnetIds: plan.subnetIds,
      ...(plan.backupRetentionDays !== undefined ? { backupRetentionDays: plan.backupRetentionDays } : {}),
      tags: { [KEY_STORE_TAG]: plan.keyStoreName },
    });
    return { clusterId, created: true, strays };
  } catch (error: unknown) {
    const e = error as Error;
    if (e.name === "CloudHsmInvalidRequestException" && /subnet|availability zone/i.test(e.message)) {
      throw new InvalidInputError(`Invalid input: subnetIds: ${e.message}`, "subnetIds");
    }
    throw error;
  }
}

/**
 * Brings the cluster to `target` HSMs, spread over its Availability Zones: deletes DEGRADED HSMs (bounded by
 * MAX_HSM_REPLACEMENTS over the run), creates missing ones in the zones with fewest. Idempotent: HSMs being created
 * count. `ready` when every HSM is ACTIVE and they cover min(2, target, zones) zones. While CloudHSM is modifying or
 * rolling back the cluster nothing is changed and it is not ready.
 */
export async function ensureHsms(
  deps: Pick<ProvisionDeps, "clusters">,
  ref: { clusterId: string; target: number; replaced: number },
): Promise<{
  ready: boolean;
  replaced: number;
  created: string[];
  hsms: { hsmId: string; az: string; state: string }[];
}> {
  const found = await cluster(deps, ref.clusterId);
  const hsms = found.hsms.filter((h) => !HSM_GONE.has(h.state));
  if (HSM_CHANGES_PAUSED.has(found.state)) {
    // CloudHSM is modifying or rolling back the cluster (cluster-states.ts): change nothing, the observe loop waits.
    return { ready: false, replaced: 0, created: [], hsms: hsms.map(hsmSummary) };
  }
  const degraded = hsms.filter((h) => h.state === "DEGRADED");
  if (degraded.length > 0 && ref.replaced + degraded.length > MAX_HSM_REPLACEMENTS) {
    throw new HsmReplacementBudgetError(ref.clusterId, ref.replaced);
  }
  for (const h of degraded) await deps.clusters.deleteHsm(ref.clusterId, h.hsmId);
  const live = hsms.filter((h) => h.state === "ACTIVE" || h.state === "CREATE_IN_PROGRESS");
  const zones = Object.keys(found.subnets).sort();
  const perZone = new Map(zones.map((z) => [z, live.filter((h) => h.availabilityZone === z).length]));
  const created: string[] = [];
  while (live.length + created.length < ref.target && zones.length > 0) {
    const zone = zones.reduce((best, z) => ((perZone.get(z) ?? 0) < (perZone.get(best) ?? 0) ? z : best));
    const { hsmId } = await deps.clusters.createHsm(ref.clusterId, zone);
    perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
    if (hsmId) created.push(hsmId);
  }
  const covered = new Set(live.filter((h) => h.state === "ACTIVE").map((h) => h.availabilityZone)).size;
  const ready =
    created.length === 0 &&
    degraded.length === 0 &&
    live.length >= ref.target &&
    live.every((h) => h.state === "ACTIVE") &&
    covered >= Math.min(2, ref.target, zones.length);
  return {
    ready,
    replaced: degraded.length,
    created,
    hsms: hsms.map(hsmSummary),
  };
}

const hsmSummary = (h: ClusterHsm) => ({ hsmId: h.hsmId, az: h.availabilityZone, state: h.state });

/**
 * `cluster activate` with an admin password generated into Secrets Manager first, so a retry after a lost answer
 * activates (or finds activated) with the same password. An already activated cluster needs its admin secret.
 */
export async function activateCluster(
  deps: Pick<ProvisionDeps, "clusters" | "secrets" | "hsm">,
  ref: { clusterId: string },
): Promise<{ adminSecretId: string }> {
  const found = await cluster(deps, ref.clusterId);
  const secretId = adminSecretFor(ref.clusterId);
  if (found.state === "ACTIVE" || found.state === "DEGRADED") {
    await adminCredential(deps, ref.clusterId);
    return { adminSecretId: await deps.secrets.ensure(secretId, "") };
  }
  if (found.state !== "INITIALIZED") throw new ClusterUnusableError(ref.clusterId, found.state || "unknown");
  const { secretArn, value } = await generateOnce(
    deps,
    secretId,
    `Admin of CloudHSM cluster ${ref.clusterId} (set by keystore-autopilot provision-key-store)`,
    async () => JSON.stringify({ username: "admin", password: generatePassword() }),
  );
  const password = String(parseJsonSecret(value, secretId).password);
  try {
    await deps.hsm.activateCluster(ref.clusterId, password);
  } catch (error: unknown) {
    // A previous attempt activated it and its answer was lost: the stored password is the one it set.
    if (!/already activated/i.test((error as Error).message)) throw error;
  }
  return { adminSecretId: secretArn };
}
