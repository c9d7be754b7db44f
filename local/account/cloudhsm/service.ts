import type { AccountContext } from "../account";
import type { ClusterRecord } from "../model";
import { operation, type Service } from "../protocol";
import { copyBackupToRegion, deleteBackup, describeBackups, modifyBackupAttributes, restoreBackup } from "./backups";
import { createCluster, deleteCluster, describeClusters, initializeCluster, modifyCluster } from "./clusters";
import { registerHsmControls } from "./controls";
import { createHsm, deleteHsm } from "./hsms";
import { nextCloudHsmDue, settleCloudHsm } from "./lifecycle";
import { camelRequest } from "./operations";
import { CLUSTER } from "./records";
import {
  BackupIdInput,
  ClusterIdInput,
  CopyBackupToRegionInput,
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
import { listTags, tagResource, untagResource } from "./tags";

/**
 * CloudHSM v2 (`BaldrApiService`, JSON 1.1): clusters, HSMs and backups with their state machines on the simulated
 * clock (timing.ts). Every mutating call is recorded as a CloudTrail event; `tick` settles due transitions. Clusters
 * are the account's Region's; backups are per Region, a call seeing those of the Region it was signed for, so that
 * copies made with CopyBackupToRegion live apart from their source.
 */
/** Recorded in CloudTrail with the request as sent, in camelCase. */
const logged = { trail: camelRequest };

export function createCloudHsmService(ctx: AccountContext): Service {
  const deps = { ctx };
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
      CreateCluster: operation(CreateClusterInput, (request, record) => createCluster(deps, request, record), logged),
      DescribeClusters: operation(DescribeClustersInput, (request) => describeClusters(deps, request)),
      InitializeCluster: operation(
        InitializeClusterInput,
        (request, record) => initializeCluster(deps, request, record),
        { trail: { request: (r) => ({ clusterId: r.ClusterId }) } },
      ),
      CreateHsm: operation(CreateHsmInput, (request, record) => createHsm(deps, request, record), logged),
      DeleteHsm: operation(DeleteHsmInput, (request, record) => deleteHsm(deps, request, record), logged),
      DeleteCluster: operation(ClusterIdInput, (request, record) => deleteCluster(deps, request, record), logged),
      ModifyCluster: operation(ModifyClusterInput, (request, record) => modifyCluster(deps, request, record), logged),
      DescribeBackups: operation(DescribeBackupsInput, (request, _record, at) => describeBackups(deps, request, at)),
      DeleteBackup: operation(BackupIdInput, (request, record, at) => deleteBackup(deps, request, record, at), logged),
      RestoreBackup: operation(
        BackupIdInput,
        (request, record, at) => restoreBackup(deps, request, record, at),
        logged,
      ),
      ModifyBackupAttributes: operation(
        ModifyBackupAttributesInput,
        (request, record, at) => modifyBackupAttributes(deps, request, record, at),
        logged,
      ),
      CopyBackupToRegion: operation(
        CopyBackupToRegionInput,
        (request, record, at) => copyBackupToRegion(deps, request, record, at),
        logged,
      ),
      TagResource: operation(TagResourceInput, (request, record, at) => tagResource(deps, request, record, at), logged),
      UntagResource: operation(
        UntagResourceInput,
        (request, record, at) => untagResource(deps, request, record, at),
        logged,
      ),
      ListTags: operation(ListTagsInput, (request, _record, at) => listTags(deps, request, at)),
    },
  };
}
