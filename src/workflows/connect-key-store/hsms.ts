import { CreateHsmCommand } from "@aws-sdk/client-cloudhsm-v2";
import { CLUSTER_GONE, ClusterNotFoundError, findCluster, HSM_CHANGES_PAUSED } from "../../clusters";
import type { CloudHsmPort } from "../../ports/clients";

/** The CloudHSM calls of the INSUFFICIENT_CLOUDHSM_HSMS remediation. */
export type HsmsDeps = { cloudhsm: CloudHsmPort };

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
  const clusterState = cluster.State ?? "";
  if (CLUSTER_GONE.has(clusterState)) throw new ClusterNotFoundError(ref.clusterId, { state: clusterState });
  // CloudHSM is changing the cluster (a migration or its rollback): wait and ask again rather than be refused.
  if (HSM_CHANGES_PAUSED.has(clusterState)) return { clusterState };
  const covered = new Map<string, { HsmId?: string; State?: string }>();
  for (const hsm of cluster.Hsms ?? []) {
    if ((hsm.State === "ACTIVE" || hsm.State === "CREATE_IN_PROGRESS") && hsm.AvailabilityZone) {
      covered.set(hsm.AvailabilityZone, hsm);
    }
  }
  const pending = [...covered.values()].find((h) => h.State === "CREATE_IN_PROGRESS");
  if (pending?.HsmId) return { hsmId: pending.HsmId, state: "CREATE_IN_PROGRESS" };
  const zone = Object.keys(cluster.SubnetMapping ?? {})
    .sort()
    .find((az) => !covered.has(az));
  if (!zone) return {};
  const out = await deps.cloudhsm.send(new CreateHsmCommand({ ClusterId: ref.clusterId, AvailabilityZone: zone }));
  return {
    ...(out.Hsm?.HsmId ? { hsmId: out.Hsm.HsmId } : {}),
    availabilityZone: zone,
    state: out.Hsm?.State ?? "CREATE_IN_PROGRESS",
  };
}

/** The state of one HSM, for the wait-until-ACTIVE loop. A missing HSM reads DELETED. */
export async function hsmState(
  deps: HsmsDeps,
  ref: { clusterId: string; hsmId: string },
): Promise<{ hsmId: string; state: string }> {
  const cluster = await describeCluster(deps, ref.clusterId);
  return { hsmId: ref.hsmId, state: cluster.Hsms?.find((h) => h.HsmId === ref.hsmId)?.State ?? "DELETED" };
}

async function describeCluster(deps: HsmsDeps, clusterId: string) {
  const cluster = await findCluster(deps.cloudhsm, clusterId);
  if (!cluster) throw new ClusterNotFoundError(clusterId);
  return cluster;
}
