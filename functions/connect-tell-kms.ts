import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { keyStores } from "../src/adapters/clients/key-stores";
import { secretsStore } from "../src/adapters/clients/secrets";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { TellKmsStepSchema } from "../src/workflows/connect-key-store/step-inputs";
import { tellKms } from "../src/workflows/connect-key-store/tell-kms";

/** UpdateCustomKeyStore(KeyStorePassword) with the pending password, then promotes it to AWSCURRENT. */
export const connectTellKms = (event: unknown) =>
  tellKms({ keyStores, secrets: secretsStore }, parseOrThrow(TellKmsStepSchema, event));

export const handler = middy(connectTellKms).use(injectLambdaContext(logger));
