import type { AccountContext } from "../account";
import type { ClusterRecord } from "../model";
import type { Service } from "../protocol";
import { deleteBackup, describeBackups, modifyBackupAttributes, restoreBackup } from "./backups";
import { createCluster, deleteCluster, describeClusters, initializeCluster, modifyCluster } from "./clusters";
import { registerHsmControls } from "./controls";
import { createHsm, deleteHsm } from "./hsms";
import { nextCloudHsmDue, settleCloudHsm } from "./lifecycle";
import { CLUSTER } from "./records";
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
      CreateCluster: (input) => createCluster(deps, input),
      DescribeClusters: (input) => describeClusters(deps, input),
      InitializeCluster: (input) => initializeCluster(deps, input),
      CreateHsm: (input) => createHsm(deps, input),
      DeleteHsm: (input) => deleteHsm(deps, input),
      DeleteCluster: (input) => deleteCluster(deps, input),
      ModifyCluster: (input) => modifyCluster(deps, input),
      DescribeBackups: (input) => describeBackups(deps, input),
      DeleteBackup: (input) => deleteBackup(deps, input),
      RestoreBackup: (input) => restoreBackup(deps, input),
      ModifyBackupAttributes: (input) => modifyBackupAttributes(deps, input),
      TagResource: (input) => tagResource(deps, input),
      UntagResource: (input) => untagResource(deps, input),
      ListTags: (input) => listTags(deps, input),
    },
  };
}
