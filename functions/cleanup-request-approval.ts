import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { eventbridge } from "../src/adapters/clients/eventbridge";
import type { PreparedCleanup, ScanResult } from "../src/cleanup/model";
import { requestApproval } from "../src/cleanup/steps";
import { config } from "../src/config";
import { logger } from "../src/observability";

/** orphan-cleanup: announces the window waiting for approval (the task token stays in the execution). */
export const cleanupRequestApproval = (event: { taskToken: string; store: PreparedCleanup; scan: ScanResult }) =>
  requestApproval(
    { events: eventbridge, alertBusName: config.ALERT_BUS_NAME },
    { store: event.store, scan: event.scan },
  );

export const handler = middy(cleanupRequestApproval).use(injectLambdaContext(logger));
