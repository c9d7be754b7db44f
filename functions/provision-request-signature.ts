import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { alerts } from "../src/adapters/clients/alerts";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { requestSignature } from "../src/workflows/provision-key-store/request-signature";
import { RequestSignatureStepSchema } from "../src/workflows/provision-key-store/step-inputs";

/** provision-key-store (ca mode external): announces the CSR to sign; the task token stays in the execution. */
export const provisionRequestSignature = (event: unknown) =>
  requestSignature({ alerts }, parseOrThrow(RequestSignatureStepSchema, event));

export const handler = middy(provisionRequestSignature).use(injectLambdaContext(logger));
