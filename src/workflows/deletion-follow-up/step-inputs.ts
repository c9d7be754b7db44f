import * as z from "zod/mini";
import { CUSTOM_KEY_STORE_ID } from "../../key-stores";
import { ClusterIdSchema, ExecutionNameSchema, KeyArnSchema } from "../../validation";

/**
 * Inputs of the deletion-follow-up steps after the first (whose input is the workflow's, FollowUpInputSchema in
 * events.ts), as the ASL passes them. Handlers parse with these; the steps take the inferred types.
 */

export const CheckStepSchema = z.object({
  record: z.object({
    keyArn: KeyArnSchema,
    customKeyStoreId: z.string().check(z.regex(CUSTOM_KEY_STORE_ID, "must look like cks-1234567890abcdef0")),
    clusterId: z.optional(ClusterIdSchema),
    backingKeyId: z.optional(z.string()),
    deletionDate: z.string(),
    keyCreatedAt: z.optional(z.string()),
  }),
  executionName: ExecutionNameSchema,
  acceptUnverified: z.optional(z.boolean()),
});
export type CheckStep = z.infer<typeof CheckStepSchema>;

export const AlertStepSchema = z.object({
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
export type AlertStep = z.infer<typeof AlertStepSchema>;
