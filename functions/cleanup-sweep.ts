import { setTimeout as sleep } from "node:timers/promises";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { alerts } from "../src/adapters/clients/alerts";
import { keyStores } from "../src/adapters/clients/key-stores";
import { orphanRegister } from "../src/adapters/clients/orphan-register";
import { secretsStore } from "../src/adapters/clients/secrets";
import { hsm } from "../src/adapters/hsm";
import { config, required } from "../src/config";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { SweepStepSchema } from "../src/workflows/orphan-cleanup/step-inputs";
import { sweepOrphans } from "../src/workflows/orphan-cleanup/sweep";

/** orphan-cleanup, in the window: deletes orphaned key material as kmsuser, each deletion re-checked with KMS. */
export const cleanupSweep = (event: unknown) =>
  sweepOrphans(
    {
      keyStores,
      secrets: secretsStore,
      hsm,
      orphans: orphanRegister,
      alerts,
      accountId: required("ACCOUNT_ID"),
      region: config.AWS_REGION,
      now: () => new Date(),
      sleep: (ms) => sleep(ms),
      quarantineMs: config.DISCOVERY_QUARANTINE_HOURS * 3_600_000,
    },
    parseOrThrow(SweepStepSchema, event),
  );

export const handler = middy(cleanupSweep).use(injectLambdaContext(logger));
