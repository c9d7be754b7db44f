import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { alerts } from "../src/adapters/clients/alerts";
import { keyStores } from "../src/adapters/clients/key-stores";
import { retirements } from "../src/adapters/clients/retirements";
import { config, required } from "../src/config";
import { fromAnotherRegion } from "../src/event-region";
import { storeSelection } from "../src/key-stores";
import { logger } from "../src/observability";
import { InvalidInputError } from "../src/validation";
import { handleRefusedUse, type UseOutcome } from "../src/workflows/deletion-follow-up/uses";

const cancelOnUse = storeSelection("CANCEL_DELETION_ON_USE", config.CANCEL_DELETION_ON_USE);

/**
 * EventBridge target for cryptographic calls KMS refused with a key pending deletion or disabled (a rule in the state
 * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: they are read-only events): alerts, and cancels the deletion where
 * the operator asked for it; records a use of a key in its retirement's probation. A bad event is rejected with one
 * log line naming the field.
 */
export const followUpUses = async (event: unknown): Promise<UseOutcome | { outcome: "rejected"; field: string }> => {
  const id = (event as { id?: unknown } | null)?.id;
  if (typeof id === "string") logger.appendKeys({ correlation_id: id });
  if (fromAnotherRegion(event)) return { outcome: "ignored", reason: "event from another Region" };
  try {
    const outcome = await handleRefusedUse(
      { alerts, keyStores, retirements, cancelOnUse, accountId: required("ACCOUNT_ID") },
      event,
    );
    logger.info("Refused use handled", { ...outcome });
    return outcome;
  } catch (error: unknown) {
    if (!(error instanceof InvalidInputError)) throw error;
    logger.error(`Rejected refused-use event: ${error.message}`, { field: error.field });
    return { outcome: "rejected", field: error.field };
  }
};

export const handler = middy(followUpUses).use(injectLambdaContext(logger));
