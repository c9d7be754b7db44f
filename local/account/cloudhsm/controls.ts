import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { AccountContext } from "../account";
import type { ClusterRecord, HsmRecord } from "../model";
import { CLUSTER, deriveActivatedState, hsmView, saveCluster } from "./records";

/**
 * Control routes that stand in for hardware trouble AWS would cause: `degrade-hsm` marks an ACTIVE HSM DEGRADED
 * (it no longer counts as active, and its activated cluster becomes DEGRADED); `restore-hsm` makes it ACTIVE again.
 * `plant-hsm-key` adds a key that is not a KMS backing key (another crypto user's, shared with kmsuser or not, or a
 * public key), as other applications of a shared cluster would: `key list` as kmsuser shows the shared and public ones.
 */
export function registerHsmControls(ctx: AccountContext): void {
  const change = (body: unknown, from: HsmRecord["State"], to: HsmRecord["State"], message: string) => {
    const hsmId = (body as { hsmId?: unknown }).hsmId;
    if (typeof hsmId !== "string") throw new Error('Body must be {"hsmId": "hsm-..."}');
    try {
      const result = ctx.store.tx(() => {
        const cluster = ctx.store
          .list<ClusterRecord>(CLUSTER)
          .find((c) => c.State !== "DELETED" && c.Hsms.some((h) => h.HsmId === hsmId));
        const hsm = cluster?.Hsms.find((h) => h.HsmId === hsmId);
        if (!cluster || !hsm) throw new Error(`No HSM ${hsmId}`);
        if (hsm.State !== from && hsm.State !== to) throw new Error(`HSM ${hsmId} is ${hsm.State}, not ${from}`);
        hsm.State = to;
        hsm.StateMessage = message;
        deriveActivatedState(cluster);
        saveCluster(ctx, cluster);
        return { hsm: hsmView(hsm), clusterState: cluster.State };
      });
      ctx.bus.flush();
      return result;
    } catch (error: unknown) {
      ctx.bus.discard();
      throw error;
    }
  };
  ctx.front.route("POST", "/_local/actions/degrade-hsm", (body) =>
    change(body, "ACTIVE", "DEGRADED", "HSM is degraded (local fault injection)."),
  );
  ctx.front.route("POST", "/_local/actions/restore-hsm", (body) => change(body, "DEGRADED", "ACTIVE", "HSM created."));
  ctx.front.route("POST", "/_local/actions/plant-hsm-key", (body) => {
    const input = PlantKeySchema.parse(body);
    return ctx.store.tx(() => {
      const cluster = ctx.store.get<ClusterRecord>(CLUSTER, input.clusterId);
      if (!cluster || cluster.State === "DELETED") throw new Error(`No cluster ${input.clusterId}`);
      const key = {
        id: randomUUID(),
        owner: input.owner,
        label: input.label,
        class: input.class,
        sharedWith: input.sharedWith,
      };
      cluster.otherKeys = [...(cluster.otherKeys ?? []), key];
      saveCluster(ctx, cluster);
      return { id: key.id };
    });
  });
}

const PlantKeySchema = z.object({
  clusterId: z.string().min(1),
  owner: z.string().min(1).describe("the crypto user who owns the key"),
  label: z.string(),
  class: z.enum(["secret-key", "public-key"]).default("secret-key"),
  sharedWith: z.array(z.string().min(1)).default([]),
});
