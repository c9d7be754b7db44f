import * as z from "zod/mini";
import { type Alert, publishAlert } from "../../alerts";
import { CUSTOM_KEY_STORE_ID } from "../../key-stores";
import type { EventsPort } from "../../ports/clients";
import { ClusterIdSchema, ExecutionNameSchema, KeyArnSchema, parseOrThrow } from "../../validation";

const AlertInputSchema = z.object({
  type: z.enum(["OrphanedKeyMaterial", "FollowUpFailed"]),
  executionName: ExecutionNameSchema,
  keyArn: KeyArnSchema,
  customKeyStoreId: z.optional(z.string().check(z.regex(CUSTOM_KEY_STORE_ID, "must look like cks-1234567890abcdef0"))),
  clusterId: z.optional(ClusterIdSchema),
  backingKeyId: z.optional(z.string()),
  deletionStatus: z.optional(z.string()),
  backupsHoldingMaterial: z.optional(z.number().check(z.int())),
  error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

/** Builds and publishes the operators' alert for an orphan or a failed follow-up; returns the alert type. */
export async function alertFollowUp(events: EventsPort, busName: string, raw: unknown): Promise<Alert> {
  const input = parseOrThrow(AlertInputSchema, raw);
  const orphan = input.type === "OrphanedKeyMaterial";
  const alert: Alert = {
    type: input.type,
    severity: orphan ? "CRITICAL" : "WARNING",
    message: orphan
      ? `Key material of deleted KMS key ${input.keyArn} may remain in the cluster (${input.deletionStatus}); registered for cleanup`
      : `The deletion follow-up of ${input.keyArn} failed: ${input.error?.Error ?? "unknown error"}`,
    keyArn: input.keyArn,
    ...(input.customKeyStoreId ? { customKeyStoreId: input.customKeyStoreId } : {}),
    ...(input.clusterId ? { clusterId: input.clusterId } : {}),
    details: {
      executionName: input.executionName,
      ...(input.backingKeyId ? { backingKeyId: input.backingKeyId } : {}),
      ...(input.deletionStatus ? { deletionStatus: input.deletionStatus } : {}),
      ...(input.backupsHoldingMaterial !== undefined ? { backupsHoldingMaterial: input.backupsHoldingMaterial } : {}),
      ...(input.error?.Error ? { error: input.error.Error } : {}),
    },
  };
  await publishAlert(events, busName, alert);
  return alert;
}
