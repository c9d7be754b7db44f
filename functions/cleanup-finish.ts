import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { finishCleanup } from "../src/cleanup/steps";
import { cleanupDeps } from "../src/cleanup/wiring";
import { logger } from "../src/observability";

/** orphan-cleanup, last step of every window: the store's state, the orphans left, an alert on failure. */
export const cleanupFinish = (event: unknown) => finishCleanup(cleanupDeps(), event);

export const handler = middy(cleanupFinish).use(injectLambdaContext(logger));
