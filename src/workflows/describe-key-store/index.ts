import * as z from "zod/mini";
import { KeyStoreRefSchema } from "../../key-stores";
import { defineWorkflow } from "../workflow";

/** The first wiring check: reads one custom key store's connection state. */
export const describeKeyStoreWorkflow = defineWorkflow({
  name: "describe-key-store",
  stateMachine: "describeKeyStore",
  input: z.strictObject(KeyStoreRefSchema.shape),
  config: [],
  handlers: ["describeKeyStore"],
});
