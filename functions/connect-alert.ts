import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { eventbridge } from "../src/adapters/clients/eventbridge";
import { config } from "../src/config";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { alertConnectFailed } from "../src/workflows/connect-key-store/alert";
import { AlertStepSchema } from "../src/workflows/connect-key-store/step-inputs";

/** Publishes the ConnectFailed alert of a failure path. */
export const connectAlert = (event: unknown) =>
  alertConnectFailed(
    { events: eventbridge, alertBusName: config.ALERT_BUS_NAME },
    parseOrThrow(AlertStepSchema, event),
  );

export const handler = middy(connectAlert).use(injectLambdaContext(logger));
