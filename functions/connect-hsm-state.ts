import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { connectDeps } from "../src/connect/deps";
import { HsmStateStepSchema } from "../src/connect/step-inputs";
import { hsmState } from "../src/connect/steps";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";

/** Reads one HSM's state for the wait-until-ACTIVE loop. */
export const connectHsmState = (event: unknown) => hsmState(connectDeps, parseOrThrow(HsmStateStepSchema, event));

export const handler = middy(connectHsmState).use(injectLambdaContext(logger));
