import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { eventbridge } from "../src/adapters/clients/eventbridge";
import { config } from "../src/config";
import { logger } from "../src/observability";
import { requestSignature } from "../src/provision/request-signature";
import { RequestSignatureStepSchema } from "../src/provision/step-inputs";
import { parseOrThrow } from "../src/validation";

/** provision-key-store (ca mode external): announces the CSR to sign; the task token stays in the execution. */
export const provisionRequestSignature = (event: unknown) =>
  requestSignature(
    { events: eventbridge, busName: config.ALERT_BUS_NAME },
    parseOrThrow(RequestSignatureStepSchema, event),
  );

export const handler = middy(provisionRequestSignature).use(injectLambdaContext(logger));
