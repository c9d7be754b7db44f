import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { alerts } from "../src/adapters/clients/alerts";
import { keyStores } from "../src/adapters/clients/key-stores";
import { orphanRegister } from "../src/adapters/clients/orphan-register";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { finishCleanup } from "../src/workflows/orphan-cleanup/finish";
import { FinishStepSchema } from "../src/workflows/orphan-cleanup/step-inputs";

/** orphan-cleanup, last step of every window: the store's state, the orphans left, an alert on failure. */
export const cleanupFinish = (event: unknown) =>
  finishCleanup(
    {
      keyStores,
      orphans: orphanRegister,
      alerts,
    },
    parseOrThrow(FinishStepSchema, event),
  );

export const handler = middy(cleanupFinish).use(injectLambdaContext(logger));
