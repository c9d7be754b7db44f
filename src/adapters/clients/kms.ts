import { KMSClient } from "@aws-sdk/client-kms";
import { config } from "../../config";
import { traced } from "../../observability";
import { HTTP_TIMEOUTS } from "./http";

/** One traced client per container; endpoint from AWS_ENDPOINT_URL when set (the local account). */
export const kms = traced(new KMSClient({ region: config.AWS_REGION, requestHandler: HTTP_TIMEOUTS }));
