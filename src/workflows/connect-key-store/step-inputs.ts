import * as z from "zod/mini";
import { CustomKeyStoreIdSchema } from "../../key-stores";
import { SECRET_KINDS } from "../../secret-names";
import {
  ClusterIdSchema,
  ExecutionArnSchema,
  ExecutionNameSchema,
  StateMachineArnSchema,
  secretRefSchema,
  VersionIdSchema,
} from "../../validation";

/** Inputs of the connect-key-store step functions, as the ASL passes them: ids and secret references only. */
const id = CustomKeyStoreIdSchema;
const clusterId = ClusterIdSchema;
// Each reference of its own kind: a payload naming another kind is refused before any read.
const kmsuserSecretId = secretRefSchema(
  "kmsuserSecretId must name a secret under keystore-autopilot/kmsuser/",
  SECRET_KINDS.kmsuser,
);
const adminSecretId = secretRefSchema(
  "adminSecretId must name a secret under keystore-autopilot/admin/",
  SECRET_KINDS.admin,
);
const versionId = VersionIdSchema;

export const PrepareStepSchema = z.object({
  input: z.unknown(),
  executionArn: z.optional(ExecutionArnSchema),
  stateMachineArn: z.optional(StateMachineArnSchema),
});
export const StageStepSchema = z.object({ kmsuserSecretId, versionId });
export const SetPasswordStepSchema = z.extend(StageStepSchema, { clusterId, adminSecretId });
export const TellKmsStepSchema = z.extend(StageStepSchema, { customKeyStoreId: id });
export const LogoutStepSchema = z.object({
  clusterId,
  kmsuserSecretId,
  failedLogins: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(100))),
  passwordChanged: z.optional(z.boolean()),
});
export const CheckPathStepSchema = z.object({ clusterId, adminSecretId });
export const AddHsmStepSchema = z.object({ clusterId });
export const HsmStateStepSchema = z.object({ clusterId, hsmId: z.string().check(z.regex(/^hsm-[2-7a-zA-Z]{11,16}$/)) });
export const MarkRotatedStepSchema = z.object({ kmsuserSecretId, executionName: ExecutionNameSchema });
export const AlertStepSchema = z.object({
  customKeyStoreId: id,
  clusterId: z.optional(clusterId),
  failure: z.string().check(z.minLength(1)),
  action: z.string().check(z.minLength(1)),
  executionName: z.optional(ExecutionNameSchema),
});
/** The values of ConnectionState (KMS API Reference, CustomKeyStoresListEntry). */
export const CONNECTION_STATES = ["CONNECTED", "CONNECTING", "FAILED", "DISCONNECTED", "DISCONNECTING"] as const;
/** The Describe state's entry as the aws-sdk:kms integration returns it (PascalCase, the rest of it ignored). */
export const ObserveStepSchema = z.object({
  customKeyStoreId: id,
  entry: z.looseObject({
    ConnectionState: z.enum(CONNECTION_STATES),
    ConnectionErrorCode: z.optional(z.string().check(z.regex(/^[A-Z_]{1,64}$/, "must be a ConnectionErrorCode"))),
  }),
});
