import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { newClusterId } from "../ids";
import type { ClusterRecord, ClusterState } from "../model";
import type { Recorder } from "../protocol";
import { TIMING } from "../timing";
import { verifyInitialization } from "./certificates";
import { availabilityZoneOfSubnet, ec2Id } from "./network";
import { checkFilters, type Deps, matches, responded } from "./operations";
import {
  CLUSTER,
  clusterArn,
  clusterView,
  invalidRequest,
  loadBackup,
  loadCluster,
  page,
  saveCluster,
} from "./records";
import type {
  ClusterIdInput,
  CreateClusterInput,
  DescribeClustersInput,
  InitializeClusterInput,
  ModifyClusterInput,
} from "./schemas";

export const DEFAULT_BACKUP_RETENTION_DAYS = "90";
const SUPPORTED_HSM_TYPES = ["hsm1.medium", "hsm2m.medium"];
const INITIALIZING_MESSAGE = "Cluster is initializing. State will change to INITIALIZED upon completion.";

/** CreateCluster (API Reference, API_CreateCluster.html). */
export function createCluster({ ctx }: Deps, input: z.infer<typeof CreateClusterInput>, record: Recorder) {
  if (!SUPPORTED_HSM_TYPES.includes(input.HsmType)) {
    throw invalidRequest(`HsmType ${input.HsmType} is not supported; use ${SUPPORTED_HSM_TYPES.join(" or ")}`);
  }
  const mapping: Record<string, string> = {};
  for (const subnetId of input.SubnetIds) {
    const az = availabilityZoneOfSubnet(subnetId, ctx.config.region);
    if (mapping[az] && mapping[az] !== subnetId) {
      throw invalidRequest(
        `Subnets ${mapping[az]} and ${subnetId} are both in ${az}; give at most one subnet per Availability Zone`,
      );
    }
    mapping[az] = subnetId;
  }
  // Clusters are the account's Region's: a copy in another Region is restored there, not here.
  const source = input.SourceBackupId ? loadBackup(ctx, input.SourceBackupId, ctx.config.region) : undefined;
  if (source && source.BackupState !== "READY") {
    throw invalidRequest(
      `Backup ${source.BackupId} is ${source.BackupState}; only a READY backup can be used to create a cluster`,
    );
  }
  const now = ctx.clock.now();
  const clusterId = newClusterId();
  ctx.hsm.ensureToken(clusterId);
  if (source) ctx.hsm.importKeys(clusterId, source.keys);
  const cluster = saveCluster(ctx, {
    ClusterId: clusterId,
    State: "CREATE_IN_PROGRESS",
    HsmType: input.HsmType,
    Mode: input.Mode ?? "FIPS",
    NetworkType: input.NetworkType ?? "IPV4",
    VpcId: ec2Id("vpc"),
    SecurityGroup: ec2Id("sg"),
    SubnetMapping: mapping,
    BackupPolicy: "DEFAULT",
    BackupRetentionPolicy: {
      Type: "DAYS",
      Value: input.BackupRetentionPolicy?.Value ?? DEFAULT_BACKUP_RETENTION_DAYS,
    },
    CreateTimestamp: now,
    ...(source ? { SourceBackupId: source.BackupId } : {}),
    TagList: input.TagList ?? [],
    Hsms: [],
    Certificates: source?.clusterCertificate ? { ClusterCertificate: source.clusterCertificate } : {},
    ...(source?.trustAnchor ? { trustAnchor: source.trustAnchor } : {}),
    lineage: source?.lineage ?? randomUUID(),
    users: source ? source.users.map((user) => ({ ...user, sessions: 0 })) : [],
    dueAt: now + TIMING.clusterCreate,
    tokenLabel: clusterId,
  });
  const view = clusterView(cluster);
  record(responded({ cluster: view }, [clusterArn(ctx, clusterId)]));
  return { Cluster: view };
}

/** DescribeClusters (API Reference, API_DescribeClusters.html). */
export function describeClusters({ ctx }: Deps, input: z.infer<typeof DescribeClustersInput>) {
  const filters = checkFilters(input.Filters, ["clusterIds", "vpcIds", "states"]);
  const clusters = ctx.store
    .list<ClusterRecord>(CLUSTER)
    .filter(
      (c) =>
        matches(filters.clusterIds, c.ClusterId) &&
        matches(filters.vpcIds, c.VpcId) &&
        matches(filters.states, c.State),
    );
  const { items, nextToken } = page(clusters, input.MaxResults, input.NextToken);
  return { Clusters: items.map(clusterView), ...(nextToken ? { NextToken: nextToken } : {}) };
}

/** InitializeCluster (API Reference, API_InitializeCluster.html). */
export function initializeCluster({ ctx }: Deps, input: z.infer<typeof InitializeClusterInput>, record: Recorder) {
  const cluster = loadCluster(ctx, input.ClusterId);
  if (cluster.State !== "UNINITIALIZED") {
    throw invalidRequest(
      `Cluster ${cluster.ClusterId} is ${cluster.State}; only an UNINITIALIZED cluster can be initialized`,
    );
  }
  if (!cluster.csrPublicKeyPem) {
    throw invalidRequest(
      `Cluster ${cluster.ClusterId} has no CSR yet: create an HSM and wait until it is ACTIVE, then sign Certificates.ClusterCsr`,
    );
  }
  verifyInitialization({
    signedCert: input.SignedCert,
    trustAnchor: input.TrustAnchor,
    csrPublicKeyPem: cluster.csrPublicKeyPem,
    now: ctx.clock.now(),
  });
  cluster.State = "INITIALIZE_IN_PROGRESS";
  cluster.StateMessage = INITIALIZING_MESSAGE;
  cluster.dueAt = ctx.clock.now() + TIMING.clusterInitialize;
  cluster.trustAnchor = input.TrustAnchor;
  cluster.Certificates.ClusterCertificate = input.SignedCert;
  delete cluster.Certificates.ClusterCsr;
  saveCluster(ctx, cluster);
  const response = { State: cluster.State, StateMessage: INITIALIZING_MESSAGE };
  record(responded(response, [clusterArn(ctx, cluster.ClusterId)]));
  return response;
}

/** DeleteCluster (API Reference, API_DeleteCluster.html). */
export function deleteCluster({ ctx }: Deps, input: z.infer<typeof ClusterIdInput>, record: Recorder) {
  const cluster = loadCluster(ctx, input.ClusterId);
  if (cluster.State === "DELETE_IN_PROGRESS" || cluster.State === "DELETED") {
    throw invalidRequest(`Cluster ${cluster.ClusterId} is already ${cluster.State}`);
  }
  if (cluster.State === "CREATE_IN_PROGRESS" || cluster.State === "INITIALIZE_IN_PROGRESS" || cluster.priorState) {
    throw invalidRequest(`Cluster ${cluster.ClusterId} is ${cluster.State}; wait for it to finish`);
  }
  if (cluster.Hsms.length > 0) {
    throw invalidRequest(
      `Cluster ${cluster.ClusterId} still has ${cluster.Hsms.length} HSM(s); delete every HSM before the cluster`,
    );
  }
  cluster.State = "DELETE_IN_PROGRESS";
  cluster.StateMessage = "Cluster is being deleted.";
  cluster.dueAt = ctx.clock.now() + TIMING.clusterDelete;
  saveCluster(ctx, cluster);
  const view = clusterView(cluster);
  record(responded({ cluster: view }, [clusterArn(ctx, cluster.ClusterId)]));
  return { Cluster: view };
}

/** ModifyCluster (API Reference, API_ModifyCluster.html). */
export function modifyCluster({ ctx }: Deps, input: z.infer<typeof ModifyClusterInput>, record: Recorder) {
  const cluster = loadCluster(ctx, input.ClusterId);
  const settled: ClusterState[] = ["UNINITIALIZED", "INITIALIZED", "ACTIVE", "DEGRADED"];
  if (!settled.includes(cluster.State)) {
    throw invalidRequest(`Cluster ${cluster.ClusterId} is ${cluster.State}; modify it once it is not changing`);
  }
  // The change shows at once and the cluster is MODIFY_IN_PROGRESS until it settles (records.ts); an armed
  // cluster-rollback fault undoes it through ROLLBACK_IN_PROGRESS (lifecycle.ts).
  cluster.modification = { from: cluster.BackupRetentionPolicy };
  cluster.BackupRetentionPolicy = { Type: "DAYS", Value: input.BackupRetentionPolicy.Value };
  cluster.priorState = cluster.State;
  cluster.State = "MODIFY_IN_PROGRESS";
  cluster.StateMessage = "Cluster is being modified.";
  cluster.dueAt = ctx.clock.now() + TIMING.clusterModify;
  saveCluster(ctx, cluster);
  const view = clusterView(cluster);
  record(responded({ cluster: view }, [clusterArn(ctx, cluster.ClusterId)]));
  return { Cluster: view };
}
