import { randomUUID } from "node:crypto";
import type { AccountContext } from "../account";
import { newClusterId, newHsmId } from "../ids";
import type { BackupRecord, ClusterRecord, ClusterState, HsmRecord } from "../model";
import { parseInput, type Service } from "../protocol";
import { TIMING } from "../timing";
import { markPendingDeletion } from "./backups";
import { verifyInitialization } from "./certificates";
import { registerHsmControls } from "./controls";
import { nextCloudHsmDue, settleCloudHsm } from "./lifecycle";
import { availabilityZoneOfSubnet, ec2Id, freeIp, ipProblem } from "./network";
import {
  BACKUP,
  backupView,
  CLUSTER,
  camel,
  clusterArn,
  clusterView,
  deriveActivatedState,
  hsmView,
  invalidRequest,
  loadBackup,
  loadCluster,
  notFound,
  page,
  saveBackup,
  saveCluster,
} from "./records";
import {
  BackupIdInput,
  ClusterIdInput,
  CreateClusterInput,
  CreateHsmInput,
  DeleteHsmInput,
  DescribeBackupsInput,
  DescribeClustersInput,
  InitializeClusterInput,
  ListTagsInput,
  ModifyBackupAttributesInput,
  ModifyClusterInput,
  TagResourceInput,
  UntagResourceInput,
} from "./schemas";

/** HSMs per cluster: 28, not adjustable (DOMAIN.md §6). */
export const MAX_HSMS_PER_CLUSTER = 28;
export const DEFAULT_BACKUP_RETENTION_DAYS = "90";
const SUPPORTED_HSM_TYPES = ["hsm1.medium", "hsm2m.medium"];
const INITIALIZING_MESSAGE = "Cluster is initializing. State will change to INITIALIZED upon completion.";

/**
 * CloudHSM v2 (`BaldrApiService`, JSON 1.1): clusters, HSMs and backups with their state machines on the simulated
 * clock (timing.ts). Every mutating call is recorded as a CloudTrail event; `tick` settles due transitions.
 */
export function createCloudHsmService(ctx: AccountContext): Service {
  const trail = (
    eventName: string,
    requestParameters: Record<string, unknown>,
    responseElements: Record<string, unknown> | null,
    resources: string[] = [],
  ) =>
    ctx.bus.cloudTrail({
      service: "cloudhsm",
      eventName,
      requestParameters: camel(requestParameters) as Record<string, unknown>,
      responseElements: responseElements && (camel(responseElements) as Record<string, unknown>),
      resources,
    });

  registerHsmControls(ctx);

  return {
    target: "BaldrApiService",
    name: "cloudhsm",
    jsonVersion: "1.1",
    internalError: { code: "CloudHsmInternalFailureException", status: 500 },
    tick: (now) => settleCloudHsm(ctx, now),
    nextDue: (after) => nextCloudHsmDue(ctx, after),
    recover: () => {
      // Token creation happens before the commit that records a cluster, so a live cluster always has its token;
      // this only repairs a data directory whose token files were removed by hand.
      for (const cluster of ctx.store.list<ClusterRecord>(CLUSTER)) {
        if (cluster.State !== "DELETED") ctx.hsm.ensureToken(cluster.tokenLabel);
      }
    },
    operations: {
      CreateCluster: (raw) => {
        const input = parseInput(CreateClusterInput, raw);
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
        const source = input.SourceBackupId ? loadBackup(ctx, input.SourceBackupId) : undefined;
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
        trail("CreateCluster", input, { cluster: view }, [clusterArn(ctx, clusterId)]);
        return { Cluster: view };
      },

      DescribeClusters: (raw) => {
        const input = parseInput(DescribeClustersInput, raw);
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
      },

      InitializeCluster: (raw) => {
        const input = parseInput(InitializeClusterInput, raw);
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
        trail("InitializeCluster", { ClusterId: cluster.ClusterId }, response, [clusterArn(ctx, cluster.ClusterId)]);
        return response;
      },

      CreateHsm: (raw) => {
        const input = parseInput(CreateHsmInput, raw);
        const cluster = loadCluster(ctx, input.ClusterId);
        // MODIFY_IN_PROGRESS and ROLLBACK_IN_PROGRESS hold the cluster in limited-write mode (records.ts).
        const allowed: ClusterState[] = ["UNINITIALIZED", "INITIALIZED", "ACTIVE", "DEGRADED", "UPDATE_IN_PROGRESS"];
        if (!allowed.includes(cluster.State)) {
          throw invalidRequest(`Cannot create an HSM while cluster ${cluster.ClusterId} is ${cluster.State}`);
        }
        const subnetId = cluster.SubnetMapping[input.AvailabilityZone];
        if (!subnetId) {
          throw invalidRequest(
            `AvailabilityZone ${input.AvailabilityZone} is not one of the cluster's subnet zones (${Object.keys(cluster.SubnetMapping).join(", ")})`,
          );
        }
        if (cluster.Hsms.length >= MAX_HSMS_PER_CLUSTER) {
          throw invalidRequest(`Cluster ${cluster.ClusterId} already has ${MAX_HSMS_PER_CLUSTER} HSMs, the maximum`);
        }
        if (input.IpAddress) {
          const problem = ipProblem(input.IpAddress, subnetId, cluster.Hsms);
          if (problem) throw invalidRequest(problem);
        }
        const hsm: HsmRecord = {
          HsmId: newHsmId(),
          ClusterId: cluster.ClusterId,
          AvailabilityZone: input.AvailabilityZone,
          SubnetId: subnetId,
          EniId: ec2Id("eni"),
          EniIp: input.IpAddress ?? freeIp(subnetId, cluster.Hsms),
          HsmType: cluster.HsmType,
          State: "CREATE_IN_PROGRESS",
          StateMessage: "HSM is being created.",
          dueAt: ctx.clock.now() + TIMING.hsmCreate,
        };
        cluster.Hsms.push(hsm);
        deriveActivatedState(cluster);
        saveCluster(ctx, cluster);
        const view = hsmView(hsm);
        trail(
          "CreateHsm",
          {
            AvailabilityZone: input.AvailabilityZone,
            ClusterId: cluster.ClusterId,
            ...(input.IpAddress ? { IpAddress: input.IpAddress } : {}),
          },
          { Hsm: view },
          [clusterArn(ctx, cluster.ClusterId)],
        );
        return { Hsm: view };
      },

      DeleteHsm: (raw) => {
        const input = parseInput(DeleteHsmInput, raw);
        const given = [input.HsmId, input.EniId, input.EniIp].filter((v) => v !== undefined);
        if (given.length !== 1) {
          throw invalidRequest("Specify exactly one of HsmId, EniId or EniIp");
        }
        const cluster = loadCluster(ctx, input.ClusterId);
        const hsm = cluster.Hsms.find(
          (h) => h.HsmId === input.HsmId || h.EniId === input.EniId || h.EniIp === input.EniIp,
        );
        if (!hsm) throw notFound(`No HSM ${given[0]} in cluster ${cluster.ClusterId}`);
        if (hsm.State === "CREATE_IN_PROGRESS") {
          throw invalidRequest(`HSM ${hsm.HsmId} is still being created; delete it once it is ACTIVE`);
        }
        if (hsm.State !== "DELETE_IN_PROGRESS") {
          if (cluster.State === "MODIFY_IN_PROGRESS" || cluster.State === "ROLLBACK_IN_PROGRESS") {
            throw invalidRequest(`Cannot delete an HSM while cluster ${cluster.ClusterId} is ${cluster.State}`);
          }
          hsm.State = "DELETE_IN_PROGRESS";
          hsm.StateMessage = "HSM is being deleted.";
          hsm.dueAt = ctx.clock.now() + TIMING.hsmDelete;
          deriveActivatedState(cluster);
          saveCluster(ctx, cluster);
        }
        trail("DeleteHsm", { ...input }, { HsmId: hsm.HsmId }, [clusterArn(ctx, cluster.ClusterId)]);
        return { HsmId: hsm.HsmId };
      },

      DeleteCluster: (raw) => {
        const input = parseInput(ClusterIdInput, raw);
        const cluster = loadCluster(ctx, input.ClusterId);
        if (cluster.State === "DELETE_IN_PROGRESS" || cluster.State === "DELETED") {
          throw invalidRequest(`Cluster ${cluster.ClusterId} is already ${cluster.State}`);
        }
        if (
          cluster.State === "CREATE_IN_PROGRESS" ||
          cluster.State === "INITIALIZE_IN_PROGRESS" ||
          cluster.priorState
        ) {
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
        trail("DeleteCluster", input, { cluster: view }, [clusterArn(ctx, cluster.ClusterId)]);
        return { Cluster: view };
      },

      ModifyCluster: (raw) => {
        const input = parseInput(ModifyClusterInput, raw);
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
        trail("ModifyCluster", input, { cluster: view }, [clusterArn(ctx, cluster.ClusterId)]);
        return { Cluster: view };
      },

      DescribeBackups: (raw) => {
        const input = parseInput(DescribeBackupsInput, raw);
        const filters = checkFilters(input.Filters, [
          "backupIds",
          "sourceBackupIds",
          "clusterIds",
          "states",
          "neverExpires",
        ]);
        const backups = ctx.store
          .list<BackupRecord>(BACKUP)
          .filter(
            (b) =>
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
      },

      DeleteBackup: (raw) => {
        const input = parseInput(BackupIdInput, raw);
        const backup = loadBackup(ctx, input.BackupId);
        if (backup.BackupState !== "READY") {
          throw invalidRequest(
            `Backup ${backup.BackupId} is ${backup.BackupState}; only a READY backup can be deleted`,
          );
        }
        const view = backupView(saveBackup(ctx, markPendingDeletion(backup, ctx.clock.now())));
        trail("DeleteBackup", input, { backup: view }, [backup.BackupArn]);
        return { Backup: view };
      },

      RestoreBackup: (raw) => {
        const input = parseInput(BackupIdInput, raw);
        const backup = loadBackup(ctx, input.BackupId);
        if (backup.BackupState !== "PENDING_DELETION") {
          throw invalidRequest(
            `Backup ${backup.BackupId} is ${backup.BackupState}; only a PENDING_DELETION backup can be restored`,
          );
        }
        backup.BackupState = "READY";
        delete backup.DeleteTimestamp;
        const view = backupView(saveBackup(ctx, backup));
        trail("RestoreBackup", input, { backup: view }, [backup.BackupArn]);
        return { Backup: view };
      },

      ModifyBackupAttributes: (raw) => {
        const input = parseInput(ModifyBackupAttributesInput, raw);
        const backup = loadBackup(ctx, input.BackupId);
        backup.NeverExpires = input.NeverExpires;
        const view = backupView(saveBackup(ctx, backup));
        trail("ModifyBackupAttributes", input, { backup: view }, [backup.BackupArn]);
        return { Backup: view };
      },

      TagResource: (raw) => {
        const input = parseInput(TagResourceInput, raw);
        const resource = taggable(input.ResourceId);
        const tags = new Map(resource.TagList.map((t) => [t.Key, t.Value]));
        for (const tag of input.TagList) tags.set(tag.Key, tag.Value);
        if (tags.size > 50) throw invalidRequest(`Resource ${input.ResourceId} would have more than 50 tags`);
        resource.TagList = [...tags].map(([Key, Value]) => ({ Key, Value }));
        resource.save();
        trail("TagResource", input, null);
        return {};
      },

      UntagResource: (raw) => {
        const input = parseInput(UntagResourceInput, raw);
        const resource = taggable(input.ResourceId);
        resource.TagList = resource.TagList.filter((t) => !input.TagKeyList.includes(t.Key));
        resource.save();
        trail("UntagResource", input, null);
        return {};
      },

      ListTags: (raw) => {
        const input = parseInput(ListTagsInput, raw);
        const { items, nextToken } = page(taggable(input.ResourceId).TagList, input.MaxResults, input.NextToken);
        return { TagList: items, ...(nextToken ? { NextToken: nextToken } : {}) };
      },
    },
  };

  /** A cluster or backup whose tags can be changed in place, then saved. */
  function taggable(resourceId: string) {
    if (resourceId.startsWith("cluster-")) {
      const cluster = loadCluster(ctx, resourceId);
      return {
        get TagList() {
          return cluster.TagList;
        },
        set TagList(tags) {
          cluster.TagList = tags;
        },
        save: () => saveCluster(ctx, cluster),
      };
    }
    const backup = loadBackup(ctx, resourceId);
    return {
      get TagList() {
        return backup.TagList;
      },
      set TagList(tags) {
        backup.TagList = tags;
      },
      save: () => saveBackup(ctx, backup),
    };
  }
}

function checkFilters(filters: Record<string, string[]> | undefined, allowed: string[]): Record<string, string[]> {
  for (const key of Object.keys(filters ?? {})) {
    if (!allowed.includes(key)) {
      throw invalidRequest(`Filter key ${key} is not valid; use ${allowed.join(", ")}`);
    }
  }
  return filters ?? {};
}

const matches = (values: string[] | undefined, value: string) => values === undefined || values.includes(value);
