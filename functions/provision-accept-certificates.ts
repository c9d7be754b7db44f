import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { clusters } from "../src/adapters/clients/clusters";
import { secretsStore } from "../src/adapters/clients/secrets";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { acceptCertificates } from "../src/workflows/provision-key-store/certificate-steps";
import { AcceptStepSchema } from "../src/workflows/provision-key-store/step-inputs";

/** Checks the signed certificate and trust anchor against the CSR before InitializeCluster, and records the trust anchor. */
export const provisionAcceptCertificates = (event: unknown) =>
  acceptCertificates({ clusters, secrets: secretsStore, now: () => new Date() }, parseOrThrow(AcceptStepSchema, event));

export const handler = middy(provisionAcceptCertificates).use(injectLambdaContext(logger));
