import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { secretsStore } from "../src/adapters/clients/secrets";
import { StageStepSchema } from "../src/connect/step-inputs";
import { stagePassword } from "../src/connect/steps";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";

/** Stores a fresh kmsuser password as the secret's AWSPENDING version (idempotent per versionId). */
export const connectStagePassword = (event: unknown) =>
  stagePassword({ secrets: secretsStore }, parseOrThrow(StageStepSchema, event));

export const handler = middy(connectStagePassword).use(injectLambdaContext(logger));
