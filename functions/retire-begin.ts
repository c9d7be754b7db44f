import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { executions } from "../src/adapters/clients/executions";
import { keyStores } from "../src/adapters/clients/key-stores";
import { retirements } from "../src/adapters/clients/retirements";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { BeginStepSchema } from "../src/workflows/retire-key/step-inputs";
import { beginRetirement } from "../src/workflows/retire-key/steps";

/** retire-key step 1: opens the key's retirement and disables the key. */
export const retireBegin = (event: unknown) =>
  beginRetirement({ keyStores, retirements, executions, now: () => new Date() }, parseOrThrow(BeginStepSchema, event));

export const handler = middy(retireBegin).use(injectLambdaContext(logger));
