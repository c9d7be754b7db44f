import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { auditLog } from "../src/adapters/clients/audit-log";
import { clusters } from "../src/adapters/clients/clusters";
import { keyStores } from "../src/adapters/clients/key-stores";
import { orphanRegister } from "../src/adapters/clients/orphan-register";
import { proofs } from "../src/adapters/clients/proofs";
import { config } from "../src/config";
import { logger } from "../src/observability";
import { parseOrThrow } from "../src/validation";
import { checkFollowUp } from "../src/workflows/deletion-follow-up/check";
import { copyRegions } from "../src/workflows/deletion-follow-up/proof";
import { CheckStepSchema } from "../src/workflows/deletion-follow-up/step-inputs";

/** Deletion follow-up step 2: is the key gone, and its material? Registers orphans; lists backups. */
export const followUpCheck = (event: unknown) =>
  checkFollowUp(
    {
      keyStores,
      clusters,
      auditLog,
      orphans: orphanRegister,
      proofs,
      region: config.AWS_REGION,
      copyRegions: copyRegions(config.BACKUP_COPY_REGIONS),
      now: () => new Date(),
    },
    parseOrThrow(CheckStepSchema, event),
  );

export const handler = middy(followUpCheck).use(injectLambdaContext(logger));
