import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { storeEvents } from "../src/adapters/clients/store-events";
import { storeStates } from "../src/adapters/clients/store-states";
import { logger, metrics } from "../src/observability";
import { publishStoreMetrics } from "../src/store-signals/metrics";
import { minutesSinceLastConnect, observeStore } from "../src/store-signals/observe";
import { parseOrThrow } from "../src/validation";
import { ObserveStepSchema } from "../src/workflows/connect-key-store/step-inputs";

/** Who a workflow step's observations are from, in events and records. */
const OBSERVER = "connect-key-store";

/**
 * After each DescribeCustomKeyStores of connect-key-store: records what it saw, publishes a `Key Store State Change`
 * when that differs from the last observation, and the store's Connected and MinutesSinceLastConnect metrics.
 */
export const connectObserve = async (event: unknown) => {
  const { customKeyStoreId, entry } = parseOrThrow(ObserveStepSchema, event);
  const observed = await observeStore(
    { states: storeStates, events: storeEvents },
    {
      customKeyStoreId,
      connectionState: entry.ConnectionState,
      ...(entry.ConnectionErrorCode ? { connectionErrorCode: entry.ConnectionErrorCode } : {}),
      observedAt: new Date().toISOString(),
      observer: OBSERVER,
    },
  );
  const minutes = minutesSinceLastConnect(observed.record);
  publishStoreMetrics(metrics, [
    {
      customKeyStoreId,
      connected: entry.ConnectionState === "CONNECTED",
      ...(minutes !== undefined ? { minutesSinceLastConnect: minutes } : {}),
    },
  ]);
  if (observed.change) logger.info("Key store state changed", { ...observed.change });
  return { changed: observed.change !== undefined };
};

export const handler = middy(connectObserve).use(injectLambdaContext(logger)).use(logMetrics(metrics));
