import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { clusters } from "../src/adapters/clients/clusters";
import { keyStores } from "../src/adapters/clients/key-stores";
import { orphanRegister } from "../src/adapters/clients/orphan-register";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { checkFollowUp } from "../src/workflows/deletion-follow-up/check";
import { CheckStepSchema } from "../src/workflows/deletion-follow-up/step-inputs";

/** Deletion follow-up step 2: is the key gone, and its material? Registers orphans; lists backups. */
export const followUpCheck = (event: unknown) =>
  checkFollowUp(
    { keyStores, clusters, orphans: orphanRegister, now: () => new Date() },
    parseOrThrow(CheckStepSchema, event),
  );

export const handler = middy(followUpCheck).use(injectLambdaContext(logger));
