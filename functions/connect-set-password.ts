import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { connectDeps } from "../src/connect/deps";
import { SetPasswordStepSchema } from "../src/connect/step-inputs";
import { setKmsuserPassword } from "../src/connect/steps";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";

/** Sets the pending password on kmsuser as admin, creating kmsuser when missing. */
export const connectSetPassword = (event: unknown) =>
  setKmsuserPassword(connectDeps, parseOrThrow(SetPasswordStepSchema, event));

export const handler = middy(connectSetPassword).use(injectLambdaContext(logger));
