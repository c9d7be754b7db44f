import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { kms } from "../src/adapters/clients/kms";
import { secretsStore } from "../src/adapters/clients/secrets";
import { sfn } from "../src/adapters/clients/sfn";
import { prepareConnect } from "../src/connect/prepare";
import { PrepareStepSchema } from "../src/connect/step-inputs";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";

/** Checks the input and the key store, refuses a concurrent execution for it, and makes sure its kmsuser secret exists. */
export const connectPrepare = (event: unknown) => {
  const { input, executionArn, stateMachineArn } = parseOrThrow(PrepareStepSchema, event);
  const self = executionArn && stateMachineArn ? { executionArn, stateMachineArn } : undefined;
  return prepareConnect({ kms, sfn, secrets: secretsStore }, input, self);
};

export const handler = middy(connectPrepare).use(injectLambdaContext(logger));
