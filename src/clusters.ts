import type { Cluster, Clusters } from "./ports/clusters";

/**
 * What the product does with each CloudHSM cluster state (API Reference, "Cluster" data type, API_Cluster.html:
 * CREATE_IN_PROGRESS | UNINITIALIZED | INITIALIZE_IN_PROGRESS | INITIALIZED | ACTIVE | UPDATE_IN_PROGRESS |
 * MODIFY_IN_PROGRESS | ROLLBACK_IN_PROGRESS | PENDING_ROLLBACK | DELETE_IN_PROGRESS | DELETED | DEGRADED).
 */

/**
 * States in which CloudHSM is changing the cluster and may refuse CreateHsm and DeleteHsm: ModifyCluster runs a HSM
 * type migration that puts the whole cluster in limited-write mode and can be rolled back (User Guide, "Migrating
 * from hsm1.medium to hsm2m.medium", hsm1-to-hsm2-migration.html). The pages do not say when PENDING_ROLLBACK ends, so
 * it is waited out like the others, within the caller's poll budget.
 */
export const HSM_CHANGES_PAUSED: ReadonlySet<string> = new Set([
  "MODIFY_IN_PROGRESS",
  "ROLLBACK_IN_PROGRESS",
  "PENDING_ROLLBACK",
]);

/**
 * CloudHSM has no such cluster, or only one being deleted. `field` names the input that gave the id (an input error:
 * nothing was created); `state` the state it was found in.
 */
export class ClusterNotFoundError extends Error {
  constructor(clusterId: string, found: { state?: string; field?: string } = {}) {
    super(
      found.field
        ? `Invalid input: ${found.field}: CloudHSM has no cluster ${clusterId} in this account and Region`
        : found.state
          ? `Cluster ${clusterId} is ${found.state}: KMS cannot use it`
          : `CloudHSM has no cluster ${clusterId}`,
    );
    this.name = "ClusterNotFoundError";
  }
}

/** States that end the cluster: being deleted is as good as gone. */
export const CLUSTER_GONE: ReadonlySet<string> = new Set(["DELETED", "DELETE_IN_PROGRESS"]);

/** HSM states that end the HSM (API Reference, "Hsm" data type, API_Hsm.html: CREATE_IN_PROGRESS | ACTIVE | DEGRADED |
 * DELETE_IN_PROGRESS | DELETED). */
export const HSM_GONE: ReadonlySet<string> = new Set(["DELETED", "DELETE_IN_PROGRESS"]);

/** The cluster by id, unless CloudHSM has none (or only a DELETED one) by that id. */
export async function findCluster(
  clusters: Pick<Clusters, "get">,
  clusterId: string,
  options: { abortSignal?: AbortSignal } = {},
): Promise<Cluster | undefined> {
  const found = await clusters.get(clusterId, options);
  return found?.state === "DELETED" ? undefined : found;
}
