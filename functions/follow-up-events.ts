import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { executions } from "../src/adapters/clients/executions";
import { keyStores } from "../src/adapters/clients/key-stores";
import { orphanRegister } from "../src/adapters/clients/orphan-register";
import { required } from "../src/config";
import { fromAnotherRegion } from "../src/event-region";
import { logger } from "../src/observability";
import { InvalidInputError } from "../src/validation";
import { type EventOutcome, handleDeletionEvent } from "../src/workflows/deletion-follow-up/starter";

/**
 * EventBridge target for ScheduleKeyDeletion, CancelKeyDeletion, DeleteKey and KMS CMK Deletion: starts, stops or
 * informs the key's deletion follow-up. A bad event is rejected with one log line naming the field and starts
 * nothing; it is not thrown, because Lambda's asynchronous retries could not make it valid. An event from another
 * Region is ignored with a log line.
 */
export const followUpEvents = async (
  event: unknown,
): Promise<EventOutcome | { outcome: "rejected"; field: string }> => {
  const id = (event as { id?: unknown } | null)?.id;
  if (typeof id === "string") logger.appendKeys({ correlation_id: id });
  if (fromAnotherRegion(event)) return { outcome: "ignored", reason: "event from another Region" };
  try {
    const outcome = await handleDeletionEvent(
      {
        keyStores,
        executions,
        orphans: orphanRegister,
        stateMachineArn: required("FOLLOW_UP_STATE_MACHINE_ARN"),
        accountId: required("ACCOUNT_ID"),
      },
      event,
    );
    logger.info("Deletion event handled", { ...outcome });
    return outcome;
  } catch (error: unknown) {
    if (!(error instanceof InvalidInputError)) throw error;
    logger.error(`Rejected deletion event: ${error.message}`, { field: error.field });
    return { outcome: "rejected", field: error.field };
  }
};

export const handler = middy(followUpEvents).use(injectLambdaContext(logger));
