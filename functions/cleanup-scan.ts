import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import * as z from "zod/mini";
import { scanKeyStore } from "../src/cleanup/scan";
import { cleanupDeps } from "../src/cleanup/wiring";
import { CUSTOM_KEY_STORE_ID } from "../src/key-stores";
import { logger } from "../src/observability";
import { ExecutionNameSchema, parseOrThrow } from "../src/validation";

const ScanStepSchema = z.object({
  customKeyStoreId: z.string().check(z.regex(CUSTOM_KEY_STORE_ID)),
  snapshotId: ExecutionNameSchema,
  dryRun: z.boolean(),
  discover: z.boolean(),
});

/** orphan-cleanup step 2: the KMS side of the reconciliation, with no downtime. */
export const cleanupScan = (event: unknown) => scanKeyStore(cleanupDeps(), parseOrThrow(ScanStepSchema, event));

export const handler = middy(cleanupScan).use(injectLambdaContext(logger));
