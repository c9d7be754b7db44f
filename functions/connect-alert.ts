import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { alerts } from "../src/adapters/clients/alerts";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { alertConnectFailed } from "../src/workflows/connect-key-store/alert";
import { AlertStepSchema } from "../src/workflows/connect-key-store/step-inputs";

/** Publishes the ConnectFailed alert of a failure path. */
export const connectAlert = (event: unknown) => alertConnectFailed({ alerts }, parseOrThrow(AlertStepSchema, event));

export const handler = middy(connectAlert).use(injectLambdaContext(logger));
