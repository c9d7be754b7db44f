import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { connectDeps } from "../src/connect/deps";
import { TellKmsStepSchema } from "../src/connect/step-inputs";
import { tellKms } from "../src/connect/steps";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";

/** UpdateCustomKeyStore(KeyStorePassword) with the pending password, then promotes it to AWSCURRENT. */
export const connectTellKms = (event: unknown) => tellKms(connectDeps, parseOrThrow(TellKmsStepSchema, event));

export const handler = middy(connectTellKms).use(injectLambdaContext(logger));
