import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import * as z from "zod/mini";
import { alerts } from "../src/adapters/clients/alerts";
import { auditLog } from "../src/adapters/clients/audit-log";
import { clusters } from "../src/adapters/clients/clusters";
import { orphanRegister } from "../src/adapters/clients/orphan-register";
import { proofs } from "../src/adapters/clients/proofs";
import { config } from "../src/config";
import { storeSelection } from "../src/key-stores";
import { logger, metrics } from "../src/observability";
import { ScheduledEventSchema } from "../src/scheduled-event";
import { publishProofMetrics } from "../src/store-signals/metrics";
import { KeyArnSchema, parseOrThrow } from "../src/validation";
import { copyRegions, refreshProofs } from "../src/workflows/deletion-follow-up/proof";
import { purgeBackups } from "../src/workflows/deletion-follow-up/purge";

const purgeApproved = storeSelection("BACKUP_PURGE_STORES", config.BACKUP_PURGE_STORES);

/** The schedule's event (every open proof), or `{"keyArn"}` to refresh one key's proof now. */
export const ProofRefreshInputSchema = z.union([ScheduledEventSchema, z.strictObject({ keyArn: KeyArnSchema })]);

/**
 * Deletion follow-up, daily: brings every open proof of destruction up to date with the cluster's backups, and, for
 * the key stores of param backupPurgeStores, deletes the backups that still hold deleted material (purge.ts).
 */
export const followUpProofs = async (event: unknown) => {
  const input = parseOrThrow(ProofRefreshInputSchema, event);
  const report = await refreshProofs(
    {
      proofs,
      orphans: orphanRegister,
      clusters,
      auditLog,
      alerts,
      region: config.AWS_REGION,
      copyRegions: copyRegions(config.BACKUP_COPY_REGIONS),
      now: () => new Date(),
      purge: async (proof) =>
        purgeApproved(proof.customKeyStoreId)
          ? purgeBackups({ clusters, region: config.AWS_REGION }, proof)
          : undefined,
      purgedBy: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "followUpProofs",
    },
    "keyArn" in input ? { keyArn: input.keyArn } : {},
  );
  publishProofMetrics(metrics, report.stores);
  logger.info("Proofs refreshed", { ...report });
  return report;
};

export const handler = middy(followUpProofs).use(injectLambdaContext(logger)).use(logMetrics(metrics));
