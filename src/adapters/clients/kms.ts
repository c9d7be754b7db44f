import { KMSClient } from "@aws-sdk/client-kms";
import { config } from "../../config";
import { traced } from "../../observability";

/** One traced client per container; endpoint from AWS_ENDPOINT_URL when set (the local account). */
export const kms = traced(new KMSClient({ region: config.AWS_REGION }));
