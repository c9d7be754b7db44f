import { KMSClient } from "@aws-sdk/client-kms";
import { config } from "../../config";
import { tracer } from "../../observability";

/** One traced client per container; endpoint from AWS_ENDPOINT_URL when set (the local account). */
export const kms = tracer.captureAWSv3Client(new KMSClient({ region: config.AWS_REGION }));
