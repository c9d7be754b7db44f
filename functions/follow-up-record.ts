import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { keyStores } from "../src/adapters/clients/key-stores";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { FollowUpInputSchema } from "../src/workflows/deletion-follow-up/events";
import { recordFollowUp } from "../src/workflows/deletion-follow-up/record";

/** Deletion follow-up step 1: what to follow and when to check (see src/workflows/deletion-follow-up/record.ts). */
export const followUpRecord = (event: unknown) => recordFollowUp(keyStores, parseOrThrow(FollowUpInputSchema, event));

export const handler = middy(followUpRecord).use(injectLambdaContext(logger));
