import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { alerts } from "../src/adapters/clients/alerts";
import { keyStores } from "../src/adapters/clients/key-stores";
import { orphanRegister } from "../src/adapters/clients/orphan-register";
import { logger, metrics } from "../src/observability";
import { publishOpenOrphans } from "../src/store-signals/metrics";
import { parseOrThrow } from "../src/validation";
import { finishCleanup } from "../src/workflows/orphan-cleanup/finish";
import { FinishStepSchema } from "../src/workflows/orphan-cleanup/step-inputs";

/**
 * orphan-cleanup, last step of every window: the store's state, the orphans left, an alert on failure; and the
 * store's OpenOrphans metric (the dashboard's orphans widget).
 */
export const cleanupFinish = async (event: unknown) => {
  const report = await finishCleanup(
    {
      keyStores,
      orphans: orphanRegister,
      alerts,
    },
    parseOrThrow(FinishStepSchema, event),
  );
  publishOpenOrphans(metrics, report.customKeyStoreId, report.remaining);
  return report;
};

export const handler = middy(cleanupFinish).use(injectLambdaContext(logger)).use(logMetrics(metrics));
