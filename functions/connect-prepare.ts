import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { executions } from "../src/adapters/clients/executions";
import { keyStores } from "../src/adapters/clients/key-stores";
import { secretsStore } from "../src/adapters/clients/secrets";
import { required } from "../src/config";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { ConnectInputSchema } from "../src/workflows/connect-key-store/model";
import { prepareConnect } from "../src/workflows/connect-key-store/prepare";
import { PrepareStepSchema } from "../src/workflows/connect-key-store/step-inputs";

/**
 * Checks the input and the key store, refuses a concurrent connect or cleanup of it, and makes sure its kmsuser secret
 * exists.
 */
export const connectPrepare = (event: unknown) => {
  const { input, executionArn, stateMachineArn } = parseOrThrow(PrepareStepSchema, event);
  const req = parseOrThrow(ConnectInputSchema, input);
  const self = executionArn && stateMachineArn ? { executionArn, stateMachineArn } : undefined;
  const cleanupStateMachineArn = required("CLEANUP_STATE_MACHINE_ARN");
  return prepareConnect({ keyStores, executions, secrets: secretsStore, cleanupStateMachineArn }, req, self);
};

export const handler = middy(connectPrepare).use(injectLambdaContext(logger));
