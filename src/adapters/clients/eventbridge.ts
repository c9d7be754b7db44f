import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { config } from "../../config";
import { tracer } from "../../observability";

export const eventbridge = tracer.captureAWSv3Client(new EventBridgeClient({ region: config.AWS_REGION }));
