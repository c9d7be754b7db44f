import { SFNClient } from "@aws-sdk/client-sfn";
import { config } from "../../config";
import { tracer } from "../../observability";

export const sfn = tracer.captureAWSv3Client(new SFNClient({ region: config.AWS_REGION }));
