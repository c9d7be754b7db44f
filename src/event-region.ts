import { config } from "./config";
import { logger } from "./observability";

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * Whether an EventBridge event came from a Region other than this function's, logging one line when it did. The
 * envelope's `region` is where the event originated (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html),
 * and a rule in another Region can forward its events to this bus
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html): such an event names that Region's
 * keys and stores, so acting on it here would act on the wrong ones. An event without a well-formed `region` is left
 * to the handler's own validation.
 */
export function fromAnotherRegion(event: unknown, region: string = config.AWS_REGION): boolean {
  const from = (event as { region?: unknown } | null)?.region;
  if (typeof from !== "string" || !REGION.test(from) || from === region) return false;
  logger.warn("Ignored an event from another Region", {
    eventRegion: from,
    region,
    eventId: (event as { id?: unknown }).id,
  });
  return true;
}
