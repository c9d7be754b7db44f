import * as z from "zod/mini";
import { SECRET_KINDS } from "../../secret-names";
import { ClusterIdSchema, ExecutionArnSchema, StateMachineArnSchema, secretRefSchema } from "../../validation";

/** A customer CA only: the managed CA is derived from the cluster, never named in a payload. */
const customerCaSecretId = secretRefSchema(
  "caSecretId must name a secret under keystore-autopilot/customer-ca/",
  SECRET_KINDS.customerCa,
);

import { HSM_TYPES, KeyStoreNameSchema, SUBNET_ID } from "./model";

/** Inputs of the provision-key-store step functions, as the ASL passes them: ids, certificates and references. */
const clusterId = ClusterIdSchema;
const pem = z.string().check(z.minLength(1), z.maxLength(20000));

export const PlanStepSchema = z.object({
  input: z.unknown(),
  executionArn: z.optional(ExecutionArnSchema),
  stateMachineArn: z.optional(StateMachineArnSchema),
});
export const EnsureClusterStepSchema = z.object({
  keyStoreName: KeyStoreNameSchema,
  clusterId: z.optional(clusterId),
  subnetIds: z.optional(z.array(z.string().check(z.regex(SUBNET_ID))).check(z.minLength(2))),
  hsmType: z.enum(HSM_TYPES),
  backupRetentionDays: z.optional(z.number().check(z.int(), z.minimum(7), z.maximum(379))),
});
export const EnsureHsmsStepSchema = z.object({
  clusterId,
  target: z.number().check(z.int(), z.minimum(1), z.maximum(28)),
  replaced: z.number().check(z.int(), z.minimum(0)),
});
export const SignStepSchema = z.object({
  clusterId,
  caMode: z.enum(["managed", "secret"]),
  caSecretId: z.nullish(customerCaSecretId),
});
export const AcceptStepSchema = z.object({ clusterId, signedCert: pem, trustAnchor: pem });
export const ClusterStepSchema = z.object({ clusterId });
export const CreateKeyStoreStepSchema = z.object({
  keyStoreName: KeyStoreNameSchema,
  clusterId,
  caMode: z.enum(["managed", "secret", "external"]),
  caSecretId: z.nullish(customerCaSecretId),
});
/** What the signature request announces; the task token beside it in the payload is not read (and never published). */
export const RequestSignatureStepSchema = z.object({
  keyStoreName: KeyStoreNameSchema,
  clusterId,
  csr: pem,
  executionArn: ExecutionArnSchema,
});
