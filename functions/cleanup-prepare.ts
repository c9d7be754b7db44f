import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import * as z from "zod/mini";
import { kms } from "../src/adapters/clients/kms";
import { secretsStore } from "../src/adapters/clients/secrets";
import { sfn } from "../src/adapters/clients/sfn";
import { config, required } from "../src/config";
import { logger } from "../src/observability";
import { ExecutionArnSchema, parseOrThrow, StateMachineArnSchema } from "../src/validation";
import { prepareCleanup } from "../src/workflows/orphan-cleanup/prepare";

const PrepareStepSchema = z.object({
  input: z.unknown(),
  executionArn: ExecutionArnSchema,
  stateMachineArn: StateMachineArnSchema,
  windowOpened: z.optional(z.boolean()),
});

/** orphan-cleanup step 1: checks the input and the key store; one window per store, none beside a connect. */
export const cleanupPrepare = (raw: unknown) => {
  const event = parseOrThrow(PrepareStepSchema, raw);
  return prepareCleanup(
    {
      kms,
      sfn,
      secrets: secretsStore,
      connectStateMachineArn: required("CONNECT_STATE_MACHINE_ARN"),
      // On by default (deploy param cleanupApproval); the local runtime sets CLEANUP_APPROVAL=skip itself.
      approvalByDefault: config.CLEANUP_APPROVAL === "required",
    },
    event.input,
    { executionArn: event.executionArn, stateMachineArn: event.stateMachineArn },
    { windowOpened: event.windowOpened === true },
  );
};

export const handler = middy(cleanupPrepare).use(injectLambdaContext(logger));
