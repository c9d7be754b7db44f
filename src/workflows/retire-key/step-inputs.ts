import * as z from "zod/mini";
import { CUSTOM_KEY_STORE_ID } from "../../key-stores";
import { ExecutionNameSchema, KeyArnSchema, StateMachineArnSchema } from "../../validation";
import { RetireKeyInputSchema } from "./input";

/** The first step: the workflow's input, the execution's name and its state machine ($$.Execution, $$.StateMachine). */
export const BeginStepSchema = z.object({
  input: RetireKeyInputSchema,
  execution: ExecutionNameSchema,
  stateMachineArn: StateMachineArnSchema,
});
export type BeginStep = z.infer<typeof BeginStepSchema>;

/** What the first step returns and the decision after the probation reads. */
export const RetirementSchema = z.object({
  keyArn: KeyArnSchema,
  customKeyStoreId: z.string().check(z.regex(CUSTOM_KEY_STORE_ID, "must look like cks-1234567890abcdef0")),
  execution: ExecutionNameSchema,
  probationEndsAt: z.iso.datetime({ message: "must be an ISO 8601 date-time" }),
  pendingWindowInDays: z.number().check(z.int(), z.minimum(7), z.maximum(30)),
  force: z.boolean(),
});
export type RetirementStep = z.infer<typeof RetirementSchema>;
