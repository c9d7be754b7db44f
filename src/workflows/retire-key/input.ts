import * as z from "zod/mini";
import { KeyArnSchema } from "../../validation";

/** Probation and waiting period bounds: the execution (a Standard one, at most a year) must outlive the probation. */
export const MAX_PROBATION_DAYS = 90;
export const DEFAULT_PROBATION_DAYS = 14;
/** ScheduleKeyDeletion's PendingWindowInDays: 7 to 30, 30 by default (KMS API Reference, ScheduleKeyDeletion). */
export const DEFAULT_PENDING_WINDOW_DAYS = 30;

/** What `keystore-autopilot retire <key>` starts: the key, and how long to watch it disabled before deleting it. */
export const RetireKeyInputSchema = z.strictObject({
  keyArn: KeyArnSchema,
  probationDays: z.optional(
    z
      .number()
      .check(
        z.int("must be a whole number of days"),
        z.minimum(0, "must be 0 or more"),
        z.maximum(MAX_PROBATION_DAYS, `must be at most ${MAX_PROBATION_DAYS}`),
      ),
  ),
  pendingWindowInDays: z.optional(
    z
      .number()
      .check(
        z.int("must be a whole number of days"),
        z.minimum(7, "must be 7 or more"),
        z.maximum(30, "must be 30 or less"),
      ),
  ),
  /** Schedule the deletion even if the key was used during its probation. */
  force: z.optional(z.boolean()),
});
export type RetireKeyInput = z.infer<typeof RetireKeyInputSchema>;
