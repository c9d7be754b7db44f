import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { connectDeps } from "../src/connect/deps";
import { PrepareStepSchema } from "../src/connect/step-inputs";
import { prepareConnect } from "../src/connect/steps";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";

/** Checks the input and the key store, refuses a concurrent execution for it, and makes sure its kmsuser secret exists. */
export const connectPrepare = (event: unknown) => {
  const { input, executionArn, stateMachineArn } = parseOrThrow(PrepareStepSchema, event);
  const self = executionArn && stateMachineArn ? { executionArn, stateMachineArn } : undefined;
  return prepareConnect(connectDeps, input, self);
};

export const handler = middy(connectPrepare).use(injectLambdaContext(logger));
