import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { alerts } from "../src/adapters/clients/alerts";
import { logger, metrics } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { alertFollowUp } from "../src/workflows/deletion-follow-up/alert";
import { AlertStepSchema } from "../src/workflows/deletion-follow-up/step-inputs";

/** Tells operators about an orphan or a failed follow-up: an event on our own source and a metric. */
export const followUpAlert = async (event: unknown) => {
  const alert = await alertFollowUp(alerts, parseOrThrow(AlertStepSchema, event));
  metrics.addMetric(
    alert.type === "OrphanedKeyMaterial" ? "OrphanedKeyMaterial" : "FollowUpFailed",
    MetricUnit.Count,
    1,
  );
  logger.warn("Deletion follow-up alert published", { type: alert.type, keyArn: alert.keyArn });
  return { type: alert.type, severity: alert.severity };
};

export const handler = middy(followUpAlert).use(injectLambdaContext(logger)).use(logMetrics(metrics));
