import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { logger } from "../src/observability";
import { provisionDeps } from "../src/provision/deps";
import { ClusterStepSchema } from "../src/provision/step-inputs";
import { ensureKmsuser } from "../src/provision/steps";
import { parseOrThrow } from "../src/validation";

/** Creates or adopts kmsuser with a password generated into Secrets Manager; checks it is on every HSM. */
export const provisionEnsureKmsuser = (event: unknown) =>
  ensureKmsuser(provisionDeps, parseOrThrow(ClusterStepSchema, event));

export const handler = middy(provisionEnsureKmsuser).use(injectLambdaContext(logger));
