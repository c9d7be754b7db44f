import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Tracer } from "@aws-lambda-powertools/tracer";
import { config } from "./config";

/** Powertools, created once for every function (STYLE.md §3). */
const serviceName = "keystore-autopilot";
/** Where the metrics go, and the `service` dimension Powertools adds to each (the dashboards' queries name both). */
export const METRICS = { namespace: "KeystoreAutopilot", service: serviceName } as const;
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: METRICS.namespace });

let tracer: Tracer | undefined;

/**
 * An SDK client whose calls are X-Ray subsegments when SDK tracing is on (deploy param `sdkTracing`). Lambda's and
 * Step Functions' own tracing stay on regardless. Off, the X-Ray SDK is not even loaded: it costs about 30 ms of
 * every cold start (bench/results/bundles.json).
 */
export function traced<T>(client: T): T {
  if (config.SDK_TRACING !== "true") return client;
  // require, not import: esbuild then evaluates the tracer and the X-Ray SDK only on this path.
  const { Tracer } = require("@aws-lambda-powertools/tracer") as typeof import("@aws-lambda-powertools/tracer");
  tracer ??= new Tracer({ serviceName });
  return tracer.captureAWSv3Client(client);
}
