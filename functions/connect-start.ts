import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { executions } from "../src/adapters/clients/executions";
import { keyStores } from "../src/adapters/clients/key-stores";
import { required } from "../src/config";
import { fromAnotherRegion } from "../src/event-region";
import { logger } from "../src/observability";
import { startFromEvent } from "../src/workflows/connect-key-store/starter";

/**
 * EventBridge (CloudTrail Connect/Create calls, the rotation schedule) → one connect-key-store execution per store;
 * events from another Region are ignored.
 */
export const connectStart = async (event: unknown) =>
  fromAnotherRegion(event)
    ? []
    : startFromEvent({ executions, keyStores, stateMachineArn: required("CONNECT_STATE_MACHINE_ARN") }, event);

export const handler = middy(connectStart)
  .use(injectLambdaContext(logger, { correlationIdPath: "id" }))
  .before((request) => {
    logger.info("connect-key-store trigger", { eventId: (request.event as { id?: string }).id });
  });
