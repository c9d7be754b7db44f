import * as z from "zod/mini";
import { cloudHsmKeyStoreIds } from "../../key-store-lookups";
import { CUSTOM_KEY_STORE_ID } from "../../key-stores";
import type { Executions } from "../../ports/executions";
import type { KeyStores } from "../../ports/key-stores";
import { SCHEDULE_DETAIL_TYPE, ScheduledEventSchema } from "../../scheduled-event";
import { InvalidInputError, parseOrThrow } from "../../validation";

export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";
/** The KMS calls that start (or will start) a connect someone else may need help with. */
export const CONNECT_EVENT_NAMES = ["ConnectCustomKeyStore", "CreateCustomKeyStore"] as const;

const CloudTrailConnectEvent = z.object({
  id: z.string(),
  "detail-type": z.literal(CLOUDTRAIL_DETAIL_TYPE),
  source: z.literal("aws.kms"),
  detail: z.object({
    eventName: z.enum(CONNECT_EVENT_NAMES),
    requestID: z.optional(z.string()),
    requestParameters: z.nullish(z.looseObject({ customKeyStoreId: z.optional(z.string()) })),
    responseElements: z.nullish(z.looseObject({ customKeyStoreId: z.optional(z.string()) })),
    errorCode: z.optional(z.string()),
  }),
});
export const StarterEventSchema = z.union([CloudTrailConnectEvent, ScheduledEventSchema]);

export type StartResult = {
  customKeyStoreId: string;
  outcome: "started" | "duplicate" | "joined";
  executionArn?: string;
};

type StarterDeps = { executions: Executions; keyStores: KeyStores; stateMachineArn: string };

/**
 * EventBridge → one execution per key store. A CloudTrail Connect/Create call starts a `watch` execution named by the
 * call's request id (a redelivery is ExecutionAlreadyExists, treated as success); a schedule starts `rotate`
 * executions named by the hour bucket. When an execution for the store is already running (ours calling Connect
 * emits exactly such an event), the start joins it instead of racing it.
 */
export async function startFromEvent(deps: StarterDeps, event: unknown): Promise<StartResult[]> {
  const parsed = parseOrThrow(StarterEventSchema, event);
  if (parsed["detail-type"] === SCHEDULE_DETAIL_TYPE) {
    const bucket = parsed.time.replace(/[^0-9]/g, "").slice(0, 10);
    const ids = await cloudHsmKeyStoreIds(deps.keyStores);
    const results: StartResult[] = [];
    for (const id of ids) results.push(await startOne(deps, id, "rotate", `rotate-${bucket}`));
    return results;
  }
  const { detail } = parsed;
  // A call that failed (fast configuration errors) changed nothing: there is no connect to watch.
  if (detail.errorCode) return [];
  const id =
    detail.eventName === "CreateCustomKeyStore"
      ? detail.responseElements?.customKeyStoreId
      : detail.requestParameters?.customKeyStoreId;
  if (!id || !CUSTOM_KEY_STORE_ID.test(id)) {
    throw new InvalidInputError("Invalid input: detail: the event names no custom key store id", "detail");
  }
  return [await startOne(deps, id, "watch", `watch-${detail.requestID ?? parsed.id}`)];
}

async function startOne(deps: StarterDeps, customKeyStoreId: string, mode: "rotate" | "watch", suffix: string) {
  const running = await deps.executions.runningFor(deps.stateMachineArn, customKeyStoreId);
  if (running[0]) return { customKeyStoreId, outcome: "joined" as const, executionArn: running[0].executionArn };
  const name = `${customKeyStoreId}-${suffix}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 80);
  const out = await deps.executions.startOnce({
    stateMachineArn: deps.stateMachineArn,
    name,
    input: { customKeyStoreId, mode },
  });
  if (!out.started) return { customKeyStoreId, outcome: "duplicate" as const };
  return {
    customKeyStoreId,
    outcome: "started" as const,
    ...(out.executionArn ? { executionArn: out.executionArn } : {}),
  };
}
