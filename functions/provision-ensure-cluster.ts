import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { clusters } from "../src/adapters/clients/clusters";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { ensureCluster } from "../src/workflows/provision-key-store/cluster-steps";
import { EnsureClusterStepSchema } from "../src/workflows/provision-key-store/step-inputs";

/** Creates the cluster (tagged with the key store name) unless the plan adopts one or an earlier run made it. */
export const provisionEnsureCluster = (event: unknown) =>
  ensureCluster({ clusters }, parseOrThrow(EnsureClusterStepSchema, event));

export const handler = middy(provisionEnsureCluster).use(injectLambdaContext(logger));
