import { setTimeout as sleep } from "node:timers/promises";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { keyStores } from "../src/adapters/clients/key-stores";
import { orphanRegister } from "../src/adapters/clients/orphan-register";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { scanKeyStore } from "../src/workflows/orphan-cleanup/scan";
import { ScanStepSchema } from "../src/workflows/orphan-cleanup/step-inputs";

/** orphan-cleanup step 2: the KMS side of the reconciliation, with no downtime. */
export const cleanupScan = (event: unknown) =>
  scanKeyStore(
    { keyStores, orphans: orphanRegister, now: () => new Date(), sleep: (ms) => sleep(ms) },
    parseOrThrow(ScanStepSchema, event),
  );

export const handler = middy(cleanupScan).use(injectLambdaContext(logger));
