import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { clusters } from "../src/adapters/clients/clusters";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { addHsm } from "../src/workflows/connect-key-store/hsms";
import { AddHsmStepSchema } from "../src/workflows/connect-key-store/step-inputs";

/** INSUFFICIENT_CLOUDHSM_HSMS: adds an HSM in an Availability Zone that lacks one. */
export const connectAddHsm = (event: unknown) => addHsm({ clusters }, parseOrThrow(AddHsmStepSchema, event));

export const handler = middy(connectAddHsm).use(injectLambdaContext(logger));
