import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { executions } from "../src/adapters/clients/executions";
import { keyStores } from "../src/adapters/clients/key-stores";
import { orphanRegister } from "../src/adapters/clients/orphan-register";
import { config, required } from "../src/config";
import { fromAnotherRegion } from "../src/event-region";
import { logger } from "../src/observability";
import { startCleanups } from "../src/workflows/orphan-cleanup/starter";

/**
 * Starts cleanup windows: from the schedule, and from follow-ups' orphan alerts (booked into the next window); events
 * from another Region are ignored.
 */
export const cleanupStart = async (event: unknown) => {
  if (fromAnotherRegion(event)) return [];
  const started = await startCleanups(
    {
      keyStores,
      executions,
      orphans: orphanRegister,
      stateMachineArn: required("CLEANUP_STATE_MACHINE_ARN"),
      windowHourUtc: config.CLEANUP_WINDOW_HOUR_UTC,
    },
    event,
  );
  logger.info("Cleanup windows", { started });
  return started;
};

export const handler = middy(cleanupStart).use(injectLambdaContext(logger));
