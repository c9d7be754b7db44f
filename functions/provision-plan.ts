import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { logger } from "../src/observability";
import { provisionDeps } from "../src/provision/deps";
import { PlanStepSchema } from "../src/provision/step-inputs";
import { planProvisioning } from "../src/provision/steps";
import { parseOrThrow } from "../src/validation";

/** Validates the input and checks name and cluster before anything is created; finds what an earlier run made. */
export const provisionPlan = (event: unknown) => {
  const { input, executionArn, stateMachineArn } = parseOrThrow(PlanStepSchema, event);
  const self = executionArn && stateMachineArn ? { executionArn, stateMachineArn } : undefined;
  return planProvisioning(provisionDeps, input, self);
};

export const handler = middy(provisionPlan).use(injectLambdaContext(logger));
