import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { logger } from "../src/observability";
import { acceptCertificates } from "../src/provision/certificate-steps";
import { provisionDeps } from "../src/provision/deps";
import { AcceptStepSchema } from "../src/provision/step-inputs";
import { parseOrThrow } from "../src/validation";

/** Checks the signed certificate and trust anchor against the CSR before InitializeCluster, and records the trust anchor. */
export const provisionAcceptCertificates = (event: unknown) =>
  acceptCertificates(provisionDeps, parseOrThrow(AcceptStepSchema, event));

export const handler = middy(provisionAcceptCertificates).use(injectLambdaContext(logger));
