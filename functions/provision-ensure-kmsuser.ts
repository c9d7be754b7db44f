import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { secretsStore } from "../src/adapters/clients/secrets";
import { hsm } from "../src/adapters/hsm";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { ClusterStepSchema } from "../src/workflows/provision-key-store/step-inputs";
import { ensureKmsuser } from "../src/workflows/provision-key-store/steps";

/** Creates or adopts kmsuser with a password generated into Secrets Manager; checks it is on every HSM. */
export const provisionEnsureKmsuser = (event: unknown) =>
  ensureKmsuser({ secrets: secretsStore, hsm }, parseOrThrow(ClusterStepSchema, event));

export const handler = middy(provisionEnsureKmsuser).use(injectLambdaContext(logger));
