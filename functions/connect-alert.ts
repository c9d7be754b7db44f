import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { connectDeps } from "../src/connect/deps";
import { AlertStepSchema } from "../src/connect/step-inputs";
import { alertConnectFailed } from "../src/connect/steps";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";

/** Publishes the ConnectFailed alert of a failure path. */
export const connectAlert = (event: unknown) => alertConnectFailed(connectDeps, parseOrThrow(AlertStepSchema, event));

export const handler = middy(connectAlert).use(injectLambdaContext(logger));
