import { defineWorkflow } from "../workflow";
import { DescribeKeyStoreInputSchema } from "./input";

/** The first wiring check: reads one custom key store's connection state. */
export const describeKeyStoreWorkflow = defineWorkflow({
  name: "describe-key-store",
  stateMachine: "describeKeyStore",
  input: DescribeKeyStoreInputSchema,
  config: [],
  handlers: ["describeKeyStore"],
});
