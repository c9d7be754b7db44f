import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { secretsStore } from "../src/adapters/clients/secrets";
import { hsm } from "../src/adapters/hsm";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { CheckPathStepSchema } from "../src/workflows/connect-key-store/step-inputs";
import { checkHsmPath } from "../src/workflows/connect-key-store/steps";

/** Before a CONNECTED store is disconnected: the admin secret reads and the CLI reaches the cluster. */
export const connectCheckPath = (event: unknown) =>
  checkHsmPath({ secrets: secretsStore, hsm }, parseOrThrow(CheckPathStepSchema, event));

export const handler = middy(connectCheckPath).use(injectLambdaContext(logger));
