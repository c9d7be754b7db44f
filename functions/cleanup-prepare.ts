import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { executions } from "../src/adapters/clients/executions";
import { keyStores } from "../src/adapters/clients/key-stores";
import { secretsStore } from "../src/adapters/clients/secrets";
import { config, required } from "../src/config";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { CleanupInputSchema } from "../src/workflows/orphan-cleanup/model";
import { prepareCleanup } from "../src/workflows/orphan-cleanup/prepare";
import { PrepareStepSchema } from "../src/workflows/orphan-cleanup/step-inputs";

/** orphan-cleanup step 1: checks the input and the key store; one window per store, none beside a connect. */
export const cleanupPrepare = (raw: unknown) => {
  const event = parseOrThrow(PrepareStepSchema, raw);
  const req = parseOrThrow(CleanupInputSchema, event.input);
  return prepareCleanup(
    {
      keyStores,
      executions,
      secrets: secretsStore,
      connectStateMachineArn: required("CONNECT_STATE_MACHINE_ARN"),
      // On by default (deploy param cleanupApproval); the local runtime sets CLEANUP_APPROVAL=skip itself.
      approvalByDefault: config.CLEANUP_APPROVAL === "required",
    },
    req,
    { executionArn: event.executionArn, stateMachineArn: event.stateMachineArn },
    { windowOpened: event.windowOpened === true },
  );
};

export const handler = middy(cleanupPrepare).use(injectLambdaContext(logger));
