import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { clusters } from "../src/adapters/clients/clusters";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { ensureHsms } from "../src/workflows/provision-key-store/cluster-steps";
import { EnsureHsmsStepSchema } from "../src/workflows/provision-key-store/step-inputs";

/** Brings the cluster to its HSM count over distinct AZs, replacing DEGRADED HSMs (bounded). */
export const provisionEnsureHsms = (event: unknown) =>
  ensureHsms({ clusters }, parseOrThrow(EnsureHsmsStepSchema, event));

export const handler = middy(provisionEnsureHsms).use(injectLambdaContext(logger));
