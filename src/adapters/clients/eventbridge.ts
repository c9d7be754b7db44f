import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { config } from "../../config";
import { traced } from "../../observability";

export const eventbridge = traced(new EventBridgeClient({ region: config.AWS_REGION }));
