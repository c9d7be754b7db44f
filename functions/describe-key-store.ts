import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { keyStores } from "../src/adapters/clients/key-stores";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { describeKeyStoreWorkflow } from "../src/workflows/describe-key-store";
import { describeKeyStore as describe } from "../src/workflows/describe-key-store/steps";

export const describeKeyStore = (event: unknown) =>
  describe({ keyStores }, parseOrThrow(describeKeyStoreWorkflow.input, event));

export const handler = middy(describeKeyStore).use(injectLambdaContext(logger));
