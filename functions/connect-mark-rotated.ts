import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { secretsStore } from "../src/adapters/clients/secrets";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { MarkRotatedStepSchema } from "../src/workflows/connect-key-store/step-inputs";
import { markRotatedByKms } from "../src/workflows/connect-key-store/steps";

/** After CONNECTED: records that KMS rotated the stored kmsuser password away. */
export const connectMarkRotated = (event: unknown) =>
  markRotatedByKms({ secrets: secretsStore, now: () => new Date() }, parseOrThrow(MarkRotatedStepSchema, event));

export const handler = middy(connectMarkRotated).use(injectLambdaContext(logger));
