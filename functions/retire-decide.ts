import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { alerts } from "../src/adapters/clients/alerts";
import { keyStores } from "../src/adapters/clients/key-stores";
import { retirements } from "../src/adapters/clients/retirements";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { RetirementSchema } from "../src/workflows/retire-key/step-inputs";
import { decideRetirement } from "../src/workflows/retire-key/steps";

/** retire-key step 2, after the probation: schedules the deletion, or keeps the key Disabled when it was used. */
export const retireDecide = (event: unknown) =>
  decideRetirement({ keyStores, retirements, alerts }, parseOrThrow(RetirementSchema, event));

export const handler = middy(retireDecide).use(injectLambdaContext(logger));
