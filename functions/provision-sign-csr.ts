import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { clusters } from "../src/adapters/clients/clusters";
import { secretsStore } from "../src/adapters/clients/secrets";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { signClusterCsr } from "../src/workflows/provision-key-store/certificate-steps";
import { SignStepSchema } from "../src/workflows/provision-key-store/step-inputs";

/** Signs the cluster CSR with the product's CA for the cluster, or the customer's CA from Secrets Manager. */
export const provisionSignCsr = (event: unknown) =>
  signClusterCsr({ clusters, secrets: secretsStore, now: () => new Date() }, parseOrThrow(SignStepSchema, event));

export const handler = middy(provisionSignCsr).use(injectLambdaContext(logger));
