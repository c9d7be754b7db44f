import { setTimeout as sleep } from "node:timers/promises";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import * as z from "zod/mini";
import { dynamodb } from "../src/adapters/clients/dynamodb";
import { eventbridge } from "../src/adapters/clients/eventbridge";
import { kms } from "../src/adapters/clients/kms";
import { secretsStore } from "../src/adapters/clients/secrets";
import { hsm } from "../src/adapters/hsm";
import { config, required } from "../src/config";
import { CUSTOM_KEY_STORE_ID } from "../src/key-stores";
import { logger } from "../src/observability";
import { SECRET_KINDS } from "../src/secret-names";
import {
  ClusterIdSchema,
  ExecutionNameSchema,
  parseOrThrow,
  secretRefSchema,
  VersionIdSchema,
} from "../src/validation";
import { type SweepInput, sweepOrphans } from "../src/workflows/orphan-cleanup/sweep";

const SweepStepSchema = z.object({
  customKeyStoreId: z.string().check(z.regex(CUSTOM_KEY_STORE_ID)),
  clusterId: ClusterIdSchema,
  kmsuserSecretId: secretRefSchema(
    "kmsuserSecretId must name a secret under keystore-autopilot/kmsuser/",
    SECRET_KINDS.kmsuser,
  ),
  versionId: VersionIdSchema,
  snapshot: z.object({ id: z.string().check(z.minLength(1)), chunks: z.number().check(z.int(), z.minimum(1)) }),
  maxDeletes: z.number().check(z.int(), z.minimum(1), z.maximum(5_000)),
  executionName: ExecutionNameSchema,
});

/** orphan-cleanup, in the window: deletes orphaned key material as kmsuser, each deletion re-checked with KMS. */
export const cleanupSweep = (event: unknown) =>
  sweepOrphans(
    {
      kms,
      secrets: secretsStore,
      hsm,
      db: dynamodb,
      table: required("ORPHAN_TABLE_NAME"),
      events: eventbridge,
      alertBusName: config.ALERT_BUS_NAME,
      accountId: required("ACCOUNT_ID"),
      region: config.AWS_REGION,
      now: () => new Date(),
      sleep: (ms) => sleep(ms),
      quarantineMs: config.DISCOVERY_QUARANTINE_HOURS * 3_600_000,
    },
    parseOrThrow(SweepStepSchema, event) as SweepInput,
  );

export const handler = middy(cleanupSweep).use(injectLambdaContext(logger));
