import * as z from "zod/mini";

/** The detail-type of an EventBridge schedule's events (EventBridge User Guide, eb-run-lambda-schedule). */
export const SCHEDULE_DETAIL_TYPE = "Scheduled Event";

/**
 * An EventBridge schedule's event as the functions it triggers read it: when it fired. Its `id` is informational
 * (logged when present), so an event without one is still handled.
 */
export const ScheduledEventSchema = z.object({
  id: z.optional(z.string()),
  "detail-type": z.literal(SCHEDULE_DETAIL_TYPE),
  time: z.iso.datetime(),
});
