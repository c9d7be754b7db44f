import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { kms } from "../src/adapters/clients/kms";
import { describeKeyStore as describe } from "../src/key-store-lookups";
import { KeyStoreRefSchema } from "../src/key-stores";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";

export const describeKeyStore = (event: unknown) => describe(kms, parseOrThrow(KeyStoreRefSchema, event));

export const handler = middy(describeKeyStore).use(injectLambdaContext(logger));
