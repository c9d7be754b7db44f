import type { AccountContext } from "../account";
import type { ClusterRecord } from "../model";
import { operation, type Service } from "../protocol";
import { deleteBackup, describeBackups, modifyBackupAttributes, restoreBackup } from "./backups";
import { createCluster, deleteCluster, describeClusters, initializeCluster, modifyCluster } from "./clusters";
import { registerHsmControls } from "./controls";
import { createHsm, deleteHsm } from "./hsms";
import { nextCloudHsmDue, settleCloudHsm } from "./lifecycle";
import { camelRequest } from "./operations";
import { CLUSTER } from "./records";
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
import { listTags, tagResource, untagResource } from "./tags";

/**
 * CloudHSM v2 (`BaldrApiService`, JSON 1.1): clusters, HSMs and backups with their state machines on the simulated
 * clock (timing.ts). Every mutating call is recorded as a CloudTrail event; `tick` settles due transitions.
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
      DescribeBackups: operation(DescribeBackupsInput, (request) => describeBackups(deps, request)),
      DeleteBackup: operation(BackupIdInput, (request, record) => deleteBackup(deps, request, record), logged),
      RestoreBackup: operation(BackupIdInput, (request, record) => restoreBackup(deps, request, record), logged),
      ModifyBackupAttributes: operation(
        ModifyBackupAttributesInput,
        (request, record) => modifyBackupAttributes(deps, request, record),
        logged,
      ),
      TagResource: operation(TagResourceInput, (request, record) => tagResource(deps, request, record), logged),
      UntagResource: operation(UntagResourceInput, (request, record) => untagResource(deps, request, record), logged),
      ListTags: operation(ListTagsInput, (request) => listTags(deps, request)),
    },
  };
}
