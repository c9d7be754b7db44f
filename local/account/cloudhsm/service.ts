import type { AccountContext } from "../account";
import type { ClusterRecord } from "../model";
import { operation, type Service } from "../protocol";
import { deleteBackup, describeBackups, modifyBackupAttributes, restoreBackup } from "./backups";
import { createCluster, deleteCluster, describeClusters, initializeCluster, modifyCluster } from "./clusters";
import { registerHsmControls } from "./controls";
import { createHsm, deleteHsm } from "./hsms";
import { nextCloudHsmDue, settleCloudHsm } from "./lifecycle";
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
      CreateCluster: operation(CreateClusterInput, (request) => createCluster(deps, request)),
      DescribeClusters: operation(DescribeClustersInput, (request) => describeClusters(deps, request)),
      InitializeCluster: operation(InitializeClusterInput, (request) => initializeCluster(deps, request)),
      CreateHsm: operation(CreateHsmInput, (request) => createHsm(deps, request)),
      DeleteHsm: operation(DeleteHsmInput, (request) => deleteHsm(deps, request)),
      DeleteCluster: operation(ClusterIdInput, (request) => deleteCluster(deps, request)),
      ModifyCluster: operation(ModifyClusterInput, (request) => modifyCluster(deps, request)),
      DescribeBackups: operation(DescribeBackupsInput, (request) => describeBackups(deps, request)),
      DeleteBackup: operation(BackupIdInput, (request) => deleteBackup(deps, request)),
      RestoreBackup: operation(BackupIdInput, (request) => restoreBackup(deps, request)),
      ModifyBackupAttributes: operation(ModifyBackupAttributesInput, (request) =>
        modifyBackupAttributes(deps, request),
      ),
      TagResource: operation(TagResourceInput, (request) => tagResource(deps, request)),
      UntagResource: operation(UntagResourceInput, (request) => untagResource(deps, request)),
      ListTags: operation(ListTagsInput, (request) => listTags(deps, request)),
    },
  };
}
