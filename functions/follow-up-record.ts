import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { kms } from "../src/adapters/clients/kms";
import { recordFollowUp } from "../src/follow-up/record";
import { logger } from "../src/observability";

/** Deletion follow-up step 1: what to follow and when to check (see src/follow-up/record.ts). */
export const followUpRecord = (event: unknown) => recordFollowUp(kms, event);

export const handler = middy(followUpRecord).use(injectLambdaContext(logger));
