import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { logger } from "../src/observability";
import { provisionDeps } from "../src/provision/deps";
import { EnsureHsmsStepSchema } from "../src/provision/step-inputs";
import { ensureHsms } from "../src/provision/steps";
import { parseOrThrow } from "../src/validation";

/** Brings the cluster to its HSM count over distinct AZs, replacing DEGRADED HSMs (bounded). */
export const provisionEnsureHsms = (event: unknown) =>
  ensureHsms(provisionDeps, parseOrThrow(EnsureHsmsStepSchema, event));

export const handler = middy(provisionEnsureHsms).use(injectLambdaContext(logger));
