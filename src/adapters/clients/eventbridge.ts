import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { config } from "../../config";
import { traced } from "../../observability";
import { HTTP_TIMEOUTS } from "./http";

export const eventbridge = traced(new EventBridgeClient({ region: config.AWS_REGION, requestHandler: HTTP_TIMEOUTS }));
