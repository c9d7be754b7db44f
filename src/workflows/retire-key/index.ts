import { defineWorkflow } from "../workflow";
import { RetireKeyInputSchema } from "./input";

/** Retires a KMS key of a CloudHSM key store: disabled, watched for uses during a probation, then deleted. */
export const retireKeyWorkflow = defineWorkflow({
  name: "retire-key",
  stateMachine: "retireKey",
  input: RetireKeyInputSchema,
  config: ["ORPHAN_TABLE_NAME"],
  handlers: ["retireBegin", "retireDecide"],
  cli: { commands: ["retire"] },
});
