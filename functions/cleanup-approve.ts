import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { sfn } from "../src/adapters/clients/sfn";
import { ApprovalEventSchema, resolveApproval } from "../src/cleanup/approval";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";

/** Resolves a waiting orphan-cleanup from an operator event (source keystore-autopilot.operator). */
export const cleanupApprove = async (event: unknown) => {
  const { detail } = parseOrThrow(ApprovalEventSchema, event);
  const resolved = await resolveApproval(sfn, detail);
  logger.info("Cleanup approval resolved", { ...resolved, ...(detail.by ? { by: detail.by } : {}) });
  return resolved;
};

export const handler = middy(cleanupApprove).use(injectLambdaContext(logger));
