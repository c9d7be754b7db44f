import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { secretsStore } from "../src/adapters/clients/secrets";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { StageStepSchema } from "../src/workflows/connect-key-store/step-inputs";
import { stagePassword } from "../src/workflows/connect-key-store/steps";

/** Stores a fresh kmsuser password as the secret's AWSPENDING version (idempotent per versionId). */
export const connectStagePassword = (event: unknown) =>
  stagePassword({ secrets: secretsStore }, parseOrThrow(StageStepSchema, event));

export const handler = middy(connectStagePassword).use(injectLambdaContext(logger));
