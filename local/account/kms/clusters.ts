import type { AccountContext } from "../account";
import { isActivated } from "../cloudhsm/records";
import { findUser } from "../cluster-users";
import type { ClusterRecord, ClusterUser, HsmRecord } from "../model";
import { clusterInvalidConfiguration } from "./exceptions";

/** How KMS sees a CloudHSM cluster (DOMAIN.md §1.1, §1.3, §6): records written by the CloudHSM service. */

export const KMSUSER = "kmsuser";

export function getCluster(ctx: AccountContext, clusterId: string): ClusterRecord | undefined {
  return ctx.store.get<ClusterRecord>("cluster", clusterId);
}

export function saveCluster(ctx: AccountContext, cluster: ClusterRecord): void {
  ctx.store.put("cluster", cluster.ClusterId, cluster);
}

/** The cluster as KMS can find it: undefined when no cluster has the id or it was deleted (CLUSTER_NOT_FOUND). */
export function findCluster(ctx: AccountContext, clusterId: string): ClusterRecord | undefined {
  const cluster = getCluster(ctx, clusterId);
  return cluster && cluster.State !== "DELETED" && cluster.deletedAt === undefined ? cluster : undefined;
}

/**
 * An activated cluster: ACTIVE, or DEGRADED (an HSM is degraded; the cluster still serves from its other HSMs). KMS
 * looks at the HSMs separately (`requireTwoActiveAzs`, `activeHsms`).
 */
export function isActive(cluster: ClusterRecord): boolean {
  // An activated cluster passing through UPDATE/MODIFY/ROLLBACK_IN_PROGRESS stays activated (cloudhsm/records.ts).
  return isActivated(cluster);
}

export function activeHsms(cluster: ClusterRecord): HsmRecord[] {
  return cluster.Hsms.filter((hsm) => hsm.State === "ACTIVE");
}

/** CreateCustomKeyStore, UpdateCustomKeyStore and CreateKey need ≥2 ACTIVE HSMs in different AZs. */
export function requireTwoActiveAzs(cluster: ClusterRecord): void {
  const azs = new Set(activeHsms(cluster).map((hsm) => hsm.AvailabilityZone));
  if (azs.size < 2) {
    throw clusterInvalidConfiguration(
      `Cluster ${cluster.ClusterId} must contain at least two active HSMs, each in a different Availability Zone; it has active HSMs in ${azs.size}.`,
    );
  }
}

/** KMS can reach the key material of a cluster it found (`findCluster`): not being deleted, an ACTIVE HSM. */
export function isReachable(cluster: ClusterRecord | undefined): cluster is ClusterRecord {
  return cluster !== undefined && cluster.State !== "DELETE_IN_PROGRESS" && activeHsms(cluster).length > 0;
}

export function kmsuserOf(cluster: ClusterRecord): ClusterUser | undefined {
  const user = findUser(cluster.users, KMSUSER);
  return user?.role === "crypto-user" ? user : undefined;
}

/** Trust anchors compare on the certificate body: line endings, wrapping and surrounding spaces do not matter. */
export function normalisePem(pem: string): string {
  return pem
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, "")
    .replace(/\s+/g, "")
    .trim();
}
