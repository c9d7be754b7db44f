import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { secretsStore } from "../src/adapters/clients/secrets";
import { hsm } from "../src/adapters/hsm";
import { CheckPathStepSchema } from "../src/connect/step-inputs";
import { checkHsmPath } from "../src/connect/steps";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";

/** Before a CONNECTED store is disconnected: the admin secret reads and the CLI reaches the cluster. */
export const connectCheckPath = (event: unknown) =>
  checkHsmPath({ secrets: secretsStore, hsm }, parseOrThrow(CheckPathStepSchema, event));

export const handler = middy(connectCheckPath).use(injectLambdaContext(logger));
