import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { alerts } from "../src/adapters/clients/alerts";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { requestApproval } from "../src/workflows/orphan-cleanup/request-approval";
import { RequestApprovalStepSchema } from "../src/workflows/orphan-cleanup/step-inputs";

/** orphan-cleanup: announces the window waiting for approval (the task token stays in the execution). */
export const cleanupRequestApproval = (event: unknown) =>
  requestApproval({ alerts }, parseOrThrow(RequestApprovalStepSchema, event));

export const handler = middy(cleanupRequestApproval).use(injectLambdaContext(logger));
