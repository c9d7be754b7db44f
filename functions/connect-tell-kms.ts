import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { kms } from "../src/adapters/clients/kms";
import { secretsStore } from "../src/adapters/clients/secrets";
import { TellKmsStepSchema } from "../src/connect/step-inputs";
import { tellKms } from "../src/connect/tell-kms";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";

/** UpdateCustomKeyStore(KeyStorePassword) with the pending password, then promotes it to AWSCURRENT. */
export const connectTellKms = (event: unknown) =>
  tellKms({ kms, secrets: secretsStore }, parseOrThrow(TellKmsStepSchema, event));

export const handler = middy(connectTellKms).use(injectLambdaContext(logger));
