import { setTimeout as sleep } from "node:timers/promises";
import { dynamodb } from "../adapters/clients/dynamodb";
import { eventbridge } from "../adapters/clients/eventbridge";
import { kms } from "../adapters/clients/kms";
import { secretsStore } from "../adapters/clients/secrets";
import { sfn } from "../adapters/clients/sfn";
import { hsm } from "../adapters/hsm";
import { config, required } from "../config";
import type { CleanupDeps } from "./deps";

/** The orphan-cleanup ports, made once per container (STYLE.md §4); one Hsm adapter and secrets store per container. */
export function cleanupDeps(): CleanupDeps {
  return {
    kms,
    sfn,
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
  };
}
