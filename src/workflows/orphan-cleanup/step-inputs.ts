import * as z from "zod/mini";
import { CUSTOM_KEY_STORE_ID } from "../../key-stores";
import { SECRET_KINDS } from "../../secret-names";
import {
  ClusterIdSchema,
  ExecutionArnSchema,
  ExecutionNameSchema,
  StateMachineArnSchema,
  secretRefSchema,
  VersionIdSchema,
} from "../../validation";
import { WindowStoreFields } from "./model";
import type { SweepReport } from "./sweep";

/**
 * Inputs of the orphan-cleanup steps, as the ASL passes them: ids and secret references only. Handlers parse with
 * these; the steps take the inferred types. A step reads only the fields named here; the rest of the execution state
 * passes untouched.
 */

const customKeyStoreId = z.string().check(z.regex(CUSTOM_KEY_STORE_ID, "must look like cks-1234567890abcdef0"));

/** The workflow's own input is parsed on its own (CleanupInputSchema), so its errors name its fields as the user wrote them. */
export const PrepareStepSchema = z.object({
  input: z.unknown(),
  executionArn: ExecutionArnSchema,
  stateMachineArn: StateMachineArnSchema,
  windowOpened: z.optional(z.boolean()),
});

export const ScanStepSchema = z.object({
  customKeyStoreId,
  snapshotId: ExecutionNameSchema,
  dryRun: z.boolean(),
  discover: z.boolean(),
});
export type ScanStep = z.infer<typeof ScanStepSchema>;

export const RequestApprovalStepSchema = z.object({
  store: z.object({
    ...WindowStoreFields,
    approvalTimeoutSeconds: z.number().check(z.int(), z.minimum(60), z.maximum(604_800)),
  }),
  scan: z.object({
    openOrphans: z.number().check(z.int(), z.minimum(0)),
    storeKeys: z.number().check(z.int(), z.minimum(0)),
  }),
});
export type RequestApprovalStep = z.infer<typeof RequestApprovalStepSchema>;

export const SweepStepSchema = z.object({
  customKeyStoreId,
  clusterId: ClusterIdSchema,
  kmsuserSecretId: secretRefSchema(
    "kmsuserSecretId must name a secret under keystore-autopilot/kmsuser/",
    SECRET_KINDS.kmsuser,
  ),
  /** The secret version whose password was just set on kmsuser (the window's password). */
  versionId: VersionIdSchema,
  snapshot: z.object({ id: z.string().check(z.minLength(1)), chunks: z.number().check(z.int(), z.minimum(1)) }),
  maxDeletes: z.number().check(z.int(), z.minimum(1), z.maximum(5_000)),
  executionName: ExecutionNameSchema,
});
export type SweepInput = z.infer<typeof SweepStepSchema>;

const ErrorSchema = z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }));
/** The sweep's own report, passed through to the window's report; only its count is read. */
const SweepReportSchema = z.custom<SweepReport>(
  (v) => typeof v === "object" && v !== null && typeof (v as { deleted?: unknown }).deleted === "number",
  "must be the sweep's report",
);

/** The whole execution state at the end of a window; only these fields are read. */
export const FinishStepSchema = z.object({
  store: z.object({ ...WindowStoreFields, reconnect: z.boolean() }),
  outcome: z.enum(["completed", "failed", "reconnect-failed"]),
  sweep: z.optional(SweepReportSchema),
  error: ErrorSchema,
  connectError: ErrorSchema,
});
export type FinishStep = z.infer<typeof FinishStepSchema>;
