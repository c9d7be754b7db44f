import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { logger } from "../src/observability";
import { provisionDeps } from "../src/provision/deps";
import { ClusterStepSchema } from "../src/provision/step-inputs";
import { activateCluster } from "../src/provision/steps";
import { parseOrThrow } from "../src/validation";

/** cluster activate with an admin password generated into Secrets Manager. */
export const provisionActivate = (event: unknown) =>
  activateCluster(provisionDeps, parseOrThrow(ClusterStepSchema, event));

export const handler = middy(provisionActivate).use(injectLambdaContext(logger));
