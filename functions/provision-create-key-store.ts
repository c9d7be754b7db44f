import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { kms } from "../src/adapters/clients/kms";
import { secretsStore } from "../src/adapters/clients/secrets";
import { logger } from "../src/observability";
import { createKeyStore } from "../src/provision/key-store-steps";
import { CreateKeyStoreStepSchema } from "../src/provision/step-inputs";
import { parseOrThrow } from "../src/validation";

/** CreateCustomKeyStore, idempotent per name and cluster; documented refusals become named errors. */
export const provisionCreateKeyStore = (event: unknown) =>
  createKeyStore({ kms, secrets: secretsStore }, parseOrThrow(CreateKeyStoreStepSchema, event));

export const handler = middy(provisionCreateKeyStore).use(injectLambdaContext(logger));
