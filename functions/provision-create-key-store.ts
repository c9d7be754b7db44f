import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { keyStores } from "../src/adapters/clients/key-stores";
import { secretsStore } from "../src/adapters/clients/secrets";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { createKeyStore } from "../src/workflows/provision-key-store/key-store-steps";
import { CreateKeyStoreStepSchema } from "../src/workflows/provision-key-store/step-inputs";

/** CreateCustomKeyStore, idempotent per name and cluster; documented refusals become named errors. */
export const provisionCreateKeyStore = (event: unknown) =>
  createKeyStore({ keyStores, secrets: secretsStore }, parseOrThrow(CreateKeyStoreStepSchema, event));

export const handler = middy(provisionCreateKeyStore).use(injectLambdaContext(logger));
