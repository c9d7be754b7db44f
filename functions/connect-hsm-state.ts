import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { clusters } from "../src/adapters/clients/clusters";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { hsmState } from "../src/workflows/connect-key-store/hsms";
import { HsmStateStepSchema } from "../src/workflows/connect-key-store/step-inputs";

/** Reads one HSM's state for the wait-until-ACTIVE loop. */
export const connectHsmState = (event: unknown) => hsmState({ clusters }, parseOrThrow(HsmStateStepSchema, event));

export const handler = middy(connectHsmState).use(injectLambdaContext(logger));
