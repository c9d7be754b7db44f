import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { clusters } from "../src/adapters/clients/clusters";
import { executions } from "../src/adapters/clients/executions";
import { keyStores } from "../src/adapters/clients/key-stores";
import { secretsStore } from "../src/adapters/clients/secrets";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { ProvisionInputSchema } from "../src/workflows/provision-key-store/model";
import { planProvisioning } from "../src/workflows/provision-key-store/plan";
import { PlanStepSchema } from "../src/workflows/provision-key-store/step-inputs";

/** Validates the input and checks name and cluster before anything is created; finds what an earlier run made. */
export const provisionPlan = (event: unknown) => {
  const { input, executionArn, stateMachineArn } = parseOrThrow(PlanStepSchema, event);
  const self = executionArn && stateMachineArn ? { executionArn, stateMachineArn } : undefined;
  return planProvisioning(
    { clusters, keyStores, executions, secrets: secretsStore },
    parseOrThrow(ProvisionInputSchema, input),
    self,
  );
};

export const handler = middy(provisionPlan).use(injectLambdaContext(logger));
