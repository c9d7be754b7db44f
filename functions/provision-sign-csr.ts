import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { logger } from "../src/observability";
import { signClusterCsr } from "../src/provision/certificate-steps";
import { provisionDeps } from "../src/provision/deps";
import { SignStepSchema } from "../src/provision/step-inputs";
import { parseOrThrow } from "../src/validation";

/** Signs the cluster CSR with the product's CA for the cluster, or the customer's CA from Secrets Manager. */
export const provisionSignCsr = (event: unknown) => signClusterCsr(provisionDeps, parseOrThrow(SignStepSchema, event));

export const handler = middy(provisionSignCsr).use(injectLambdaContext(logger));
