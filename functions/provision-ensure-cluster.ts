import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { logger } from "../src/observability";
import { provisionDeps } from "../src/provision/deps";
import { EnsureClusterStepSchema } from "../src/provision/step-inputs";
import { ensureCluster } from "../src/provision/steps";
import { parseOrThrow } from "../src/validation";

/** Creates the cluster (tagged with the key store name) unless the plan adopts one or an earlier run made it. */
export const provisionEnsureCluster = (event: unknown) =>
  ensureCluster(provisionDeps, parseOrThrow(EnsureClusterStepSchema, event));

export const handler = middy(provisionEnsureCluster).use(injectLambdaContext(logger));
