import { CLUSTER_GONE, ClusterNotFoundError, findCluster, HSM_CHANGES_PAUSED } from "../../clusters";
import type { ClusterHsm, Clusters } from "../../ports/clusters";

/** The CloudHSM calls of the INSUFFICIENT_CLOUDHSM_HSMS remediation. */
export type HsmsDeps = { clusters: Pick<Clusters, "get" | "createHsm"> };

/**
 * INSUFFICIENT_CLOUDHSM_HSMS (§2.1): creates one HSM in an Availability Zone of the cluster that has none ACTIVE or
 * being created. Idempotent: an HSM being created counts, so a retry adds nothing. `hsmId` is absent when every AZ
 * already has one (the connect can simply be retried); `clusterState` alone when CloudHSM is modifying or rolling back
 * the cluster (cluster-states.ts), to be asked again later. An UPDATE_IN_PROGRESS cluster takes new HSMs.
 */
export async function addHsm(
  deps: HsmsDeps,
  ref: { clusterId: string },
): Promise<{ hsmId?: string; availabilityZone?: string; state?: string; clusterState?: string }> {
  const cluster = await describeCluster(deps, ref.clusterId);
  const clusterState = cluster.state;
  if (CLUSTER_GONE.has(clusterState)) throw new ClusterNotFoundError(ref.clusterId, { state: clusterState });
  // CloudHSM is changing the cluster (a migration or its rollback): wait and ask again rather than be refused.
  if (HSM_CHANGES_PAUSED.has(clusterState)) return { clusterState };
  const covered = new Map<string, ClusterHsm>();
  for (const hsm of cluster.hsms) {
    if ((hsm.state === "ACTIVE" || hsm.state === "CREATE_IN_PROGRESS") && hsm.availabilityZone) {
      covered.set(hsm.availabilityZone, hsm);
    }
  }
  const pending = [...covered.values()].find((h) => h.state === "CREATE_IN_PROGRESS");
  if (pending?.hsmId) return { hsmId: pending.hsmId, state: "CREATE_IN_PROGRESS" };
  const zone = Object.keys(cluster.subnets)
    .sort()
    .find((az) => !covered.has(az));
  if (!zone) return {};
  const created = await deps.clusters.createHsm(ref.clusterId, zone);
  return { ...created, availabilityZone: zone };
}

/** The state of one HSM, for the wait-until-ACTIVE loop. A missing HSM reads DELETED. */
export async function hsmState(
  deps: HsmsDeps,
  ref: { clusterId: string; hsmId: string },
): Promise<{ hsmId: string; state: string }> {
  const cluster = await describeCluster(deps, ref.clusterId);
  return { hsmId: ref.hsmId, state: cluster.hsms.find((h) => h.hsmId === ref.hsmId)?.state ?? "DELETED" };
}

async function describeCluster(deps: HsmsDeps, clusterId: string) {
  const cluster = await findCluster(deps.clusters, clusterId);
  if (!cluster) throw new ClusterNotFoundError(clusterId);
  return cluster;
}
