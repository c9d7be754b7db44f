import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { clusters } from "../src/adapters/clients/clusters";
import { secretsStore } from "../src/adapters/clients/secrets";
import { hsm } from "../src/adapters/hsm";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { activateCluster } from "../src/workflows/provision-key-store/cluster-steps";
import { ClusterStepSchema } from "../src/workflows/provision-key-store/step-inputs";

/** cluster activate with an admin password generated into Secrets Manager. */
export const provisionActivate = (event: unknown) =>
  activateCluster({ clusters, secrets: secretsStore, hsm }, parseOrThrow(ClusterStepSchema, event));

export const handler = middy(provisionActivate).use(injectLambdaContext(logger));
