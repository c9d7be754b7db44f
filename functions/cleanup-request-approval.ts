import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import * as z from "zod/mini";
import { eventbridge } from "../src/adapters/clients/eventbridge";
import { config } from "../src/config";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { type PreparedCleanup, type ScanResult, WindowStoreFields } from "../src/workflows/orphan-cleanup/model";
import { requestApproval } from "../src/workflows/orphan-cleanup/request-approval";

/** Only the fields the announcement reads; the rest of the execution state passes untouched. */
const RequestApprovalStepSchema = z.object({
  store: z.object({
    ...WindowStoreFields,
    approvalTimeoutSeconds: z.number().check(z.int(), z.minimum(60), z.maximum(604_800)),
  }),
  scan: z.object({
    openOrphans: z.number().check(z.int(), z.minimum(0)),
    storeKeys: z.number().check(z.int(), z.minimum(0)),
  }),
});

/** orphan-cleanup: announces the window waiting for approval (the task token stays in the execution). */
export const cleanupRequestApproval = (event: unknown) => {
  const { store, scan } = parseOrThrow(RequestApprovalStepSchema, event);
  return requestApproval(
    { events: eventbridge, alertBusName: config.ALERT_BUS_NAME },
    { store: store as PreparedCleanup, scan: scan as ScanResult },
  );
};

export const handler = middy(cleanupRequestApproval).use(injectLambdaContext(logger));
