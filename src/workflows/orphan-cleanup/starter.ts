import * as z from "zod/mini";
import { ALERT_DETAIL_TYPE, ALERT_SOURCE } from "../../alert-source";
import { cloudHsmKeyStoreIds } from "../../key-store-lookups";
import { CustomKeyStoreIdSchema } from "../../key-stores";
import type { Executions } from "../../ports/executions";
import type { KeyStores } from "../../ports/key-stores";
import type { OrphanRegister } from "../../ports/orphan-register";
import { SCHEDULE_DETAIL_TYPE, ScheduledEventSchema } from "../../scheduled-event";
import { parseOrThrow } from "../../validation";

const OrphanAlertEvent = z.object({
  source: z.literal(ALERT_SOURCE),
  "detail-type": z.literal(ALERT_DETAIL_TYPE),
  time: z.iso.datetime(),
  detail: z.object({
    type: z.literal("OrphanedKeyMaterial"),
    customKeyStoreId: CustomKeyStoreIdSchema,
  }),
});
export const CleanupTriggerSchema = z.union([ScheduledEventSchema, OrphanAlertEvent]);

export type CleanupStarterDeps = {
  keyStores: Pick<KeyStores, "list">;
  executions: Executions;
  orphans: OrphanRegister;
  stateMachineArn: string;
  /** Hour (UTC) of the daily window that orphans registered by follow-ups wait for. */
  windowHourUtc: number;
};

export type CleanupStart = {
  customKeyStoreId: string;
  executionName: string;
  outcome: "started" | "already-scheduled";
};

/**
 * Starts cleanup windows. A schedule opens one now for every CloudHSM key store with open orphans; an
 * OrphanedKeyMaterial alert from a follow-up books the store's next daily window (its name is the window's hour, so
 * every orphan registered before it shares the one execution: batched, never one window per orphan). The alert is a
 * hint only: it books a window only when the orphan register holds open orphans of that store, so a forged alert
 * books nothing.
 */
export async function startCleanups(deps: CleanupStarterDeps, event: unknown): Promise<CleanupStart[]> {
  const parsed = parseOrThrow(CleanupTriggerSchema, event);
  if (parsed["detail-type"] === SCHEDULE_DETAIL_TYPE) {
    const results: CleanupStart[] = [];
    for (const id of await cloudHsmKeyStoreIds(deps.keyStores)) {
      if ((await deps.orphans.listOpen(id)).length === 0) continue;
      results.push(await start(deps, id, new Date(parsed.time), undefined));
    }
    return results;
  }
  // Anyone who may put events on the default bus can send this alert: book only what the product's own register
  // holds (open orphans of a CloudHSM key store of this account), whatever the event says.
  const id = parsed.detail.customKeyStoreId;
  if (!(await cloudHsmKeyStoreIds(deps.keyStores)).includes(id)) return [];
  if ((await deps.orphans.listOpen(id)).length === 0) return [];
  const window = nextWindow(new Date(parsed.time), deps.windowHourUtc);
  return [await start(deps, id, window, window)];
}

/** The first `hour`:00 UTC strictly after `now`. */
export function nextWindow(now: Date, hour: number): Date {
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour));
  if (at.getTime() <= now.getTime()) at.setUTCDate(at.getUTCDate() + 1);
  return at;
}

async function start(deps: CleanupStarterDeps, customKeyStoreId: string, at: Date, notBefore: Date | undefined) {
  const stamp = at
    .toISOString()
    .replace(/[^0-9]/g, "")
    .slice(0, 10);
  const executionName = `cleanup-${customKeyStoreId}-${stamp}`.slice(0, 80);
  const { started } = await deps.executions.startOnce({
    stateMachineArn: deps.stateMachineArn,
    name: executionName,
    input: { customKeyStoreId, ...(notBefore ? { notBefore: notBefore.toISOString() } : {}) },
  });
  return { customKeyStoreId, executionName, outcome: started ? ("started" as const) : ("already-scheduled" as const) };
}
