import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { cloudhsm } from "../src/adapters/clients/cloudhsm";
import { logger } from "../src/observability";
import { ensureCluster } from "../src/provision/cluster-steps";
import { EnsureClusterStepSchema } from "../src/provision/step-inputs";
import { parseOrThrow } from "../src/validation";

/** Creates the cluster (tagged with the key store name) unless the plan adopts one or an earlier run made it. */
export const provisionEnsureCluster = (event: unknown) =>
  ensureCluster({ cloudhsm }, parseOrThrow(EnsureClusterStepSchema, event));

export const handler = middy(provisionEnsureCluster).use(injectLambdaContext(logger));
