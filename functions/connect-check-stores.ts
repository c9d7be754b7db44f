import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { clusters } from "../src/adapters/clients/clusters";
import { dashboards } from "../src/adapters/clients/dashboards";
import { keyStores } from "../src/adapters/clients/key-stores";
import { orphanRegister } from "../src/adapters/clients/orphan-register";
import { storeEvents } from "../src/adapters/clients/store-events";
import { storeStates } from "../src/adapters/clients/store-states";
import { config, required } from "../src/config";
import { logger, METRICS, metrics } from "../src/observability";
import { ScheduledEventSchema } from "../src/scheduled-event";
import { checkStores, StoreCheckFailedError } from "../src/store-signals/check";
import { syncStoreDashboard } from "../src/store-signals/dashboard";
import { publishStoreMetrics } from "../src/store-signals/metrics";
import { parseOrThrow } from "../src/validation";

/**
 * The schedule (serverless.yml, every 5 minutes): observes every key store's connection state, publishes a
 * `Key Store State Change` for each change, and the per-store metrics of the dashboard (with the register's); keeps
 * the per-store dashboard's rows in step with the stores.
 */
export const connectCheckStores = async (event: unknown) => {
  const trigger = parseOrThrow(ScheduledEventSchema, event);
  const result = await checkStores(
    { keyStores, clusters, states: storeStates, events: storeEvents, register: orphanRegister },
    new Date(),
  );
  publishStoreMetrics(metrics, result.stores);
  // After the metrics: a dashboard CloudWatch refuses still fails the run (its errors alarm), never the gauges.
  const dashboard = await syncStoreDashboard({ dashboards }, result.stores, {
    name: required("STORES_DASHBOARD_NAME"),
    stageDashboard: required("DASHBOARD_NAME"),
    region: config.AWS_REGION,
    ...METRICS,
  }).catch((error: unknown) => error as Error);
  logger.info("Key stores checked", {
    trigger: trigger.id,
    stores: result.stores.length,
    changes: result.changes,
    dashboardRewritten: dashboard === true,
  });
  if (result.failed.length > 0) throw new StoreCheckFailedError(result.failed);
  if (dashboard instanceof Error) throw dashboard;
  return { stores: result.stores.length, changes: result.changes };
};

export const handler = middy(connectCheckStores)
  .use(injectLambdaContext(logger, { correlationIdPath: "id" }))
  .use(logMetrics(metrics));
