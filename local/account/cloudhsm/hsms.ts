import type { z } from "zod";
import { newHsmId } from "../ids";
import type { ClusterState, HsmRecord } from "../model";
import type { Recorder } from "../protocol";
import { TIMING } from "../timing";
import { ec2Id, freeIp, ipProblem } from "./network";
import { type Deps, responded } from "./operations";
import {
  clusterArn,
  deriveActivatedState,
  hsmView,
  invalidRequest,
  loadCluster,
  notFound,
  saveCluster,
} from "./records";
import type { CreateHsmInput, DeleteHsmInput } from "./schemas";

/** HSMs per cluster: 28, not adjustable (DOMAIN.md §6). */
export const MAX_HSMS_PER_CLUSTER = 28;

/** CreateHsm (API Reference, API_CreateHsm.html). */
export function createHsm({ ctx }: Deps, input: z.infer<typeof CreateHsmInput>, record: Recorder) {
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
  record(responded({ Hsm: view }, [clusterArn(ctx, cluster.ClusterId)]));
  return { Hsm: view };
}

/** DeleteHsm (API Reference, API_DeleteHsm.html). */
export function deleteHsm({ ctx }: Deps, input: z.infer<typeof DeleteHsmInput>, record: Recorder) {
  const given = [input.HsmId, input.EniId, input.EniIp].filter((v) => v !== undefined);
  if (given.length !== 1) {
    throw invalidRequest("Specify exactly one of HsmId, EniId or EniIp");
  }
  const cluster = loadCluster(ctx, input.ClusterId);
  const hsm = cluster.Hsms.find((h) => h.HsmId === input.HsmId || h.EniId === input.EniId || h.EniIp === input.EniIp);
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
  record(responded({ HsmId: hsm.HsmId }, [clusterArn(ctx, cluster.ClusterId)]));
  return { HsmId: hsm.HsmId };
}
