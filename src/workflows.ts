import * as z from "zod/mini";
import { CleanupInputSchema } from "./cleanup/model";
import { ConnectInputSchema } from "./connect/model";
import { FollowUpInputSchema } from "./follow-up/events";
import { KeyStoreRefSchema } from "./key-stores";
import { ProvisionInputSchema } from "./provision/model";

/**
 * The workflows users can start by hand (`keystore-autopilot start <name>`), with the serverless.yml state machine
 * key each runs and the schema its input must pass before anything starts.
 */
export const WORKFLOWS = {
  "describe-key-store": { stateMachine: "describeKeyStore", input: z.strictObject(KeyStoreRefSchema.shape) },
  // --- connect-key-store ---
  "connect-key-store": { stateMachine: "connectKeyStore", input: ConnectInputSchema },
  // --- deletion-follow-up ---
  "deletion-follow-up": { stateMachine: "deletionFollowUp", input: z.strictObject(FollowUpInputSchema.shape) },
  // --- orphan-cleanup ---
  "orphan-cleanup": { stateMachine: "orphanCleanup", input: CleanupInputSchema },
  // --- provision-key-store ---
  "provision-key-store": { stateMachine: "provisionKeyStore", input: ProvisionInputSchema },
} satisfies Record<string, { stateMachine: string; input: z.ZodMiniType }>;

export type WorkflowName = keyof typeof WORKFLOWS;

export const WorkflowNameSchema = z.enum(Object.keys(WORKFLOWS) as [WorkflowName, ...WorkflowName[]]);
