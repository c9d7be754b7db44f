import * as z from "zod";
import { ExecutionArnSchema, SecretIdSchema, StateMachineArnSchema } from "../validation";
import { CLUSTER_ID, HSM_TYPES, KeyStoreNameSchema, SUBNET_ID } from "./model";

/** Inputs of the provision-key-store step functions, as the ASL passes them: ids, certificates and references. */
const clusterId = z.string().regex(CLUSTER_ID, "clusterId must look like cluster-abcdefghijk");
const pem = z.string().min(1).max(20000);

export const PlanStepSchema = z.object({
  input: z.unknown(),
  executionArn: ExecutionArnSchema.optional(),
  stateMachineArn: StateMachineArnSchema.optional(),
});
export const EnsureClusterStepSchema = z.object({
  keyStoreName: KeyStoreNameSchema,
  clusterId: clusterId.optional(),
  subnetIds: z.array(z.string().regex(SUBNET_ID)).min(2).optional(),
  hsmType: z.enum(HSM_TYPES),
  backupRetentionDays: z.number().int().min(7).max(379).optional(),
});
export const EnsureHsmsStepSchema = z.object({
  clusterId,
  target: z.number().int().min(1).max(28),
  replaced: z.number().int().min(0),
});
export const SignStepSchema = z.object({
  clusterId,
  caMode: z.enum(["managed", "secret"]),
  caSecretId: SecretIdSchema.nullish(),
});
export const AcceptStepSchema = z.object({ clusterId, signedCert: pem, trustAnchor: pem });
export const ClusterStepSchema = z.object({ clusterId });
export const CreateKeyStoreStepSchema = z.object({
  keyStoreName: KeyStoreNameSchema,
  clusterId,
  caMode: z.enum(["managed", "secret", "external"]),
  caSecretId: SecretIdSchema.nullish(),
});
