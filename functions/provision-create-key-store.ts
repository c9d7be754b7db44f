import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { logger } from "../src/observability";
import { provisionDeps } from "../src/provision/deps";
import { CreateKeyStoreStepSchema } from "../src/provision/step-inputs";
import { createKeyStore } from "../src/provision/steps";
import { parseOrThrow } from "../src/validation";

/** CreateCustomKeyStore, idempotent per name and cluster; documented refusals become named errors. */
export const provisionCreateKeyStore = (event: unknown) =>
  createKeyStore(provisionDeps, parseOrThrow(CreateKeyStoreStepSchema, event));

export const handler = middy(provisionCreateKeyStore).use(injectLambdaContext(logger));
