import { KMSClient } from "@aws-sdk/client-kms";
import { readConfig } from "../config";
import { tracer } from "../observability";

const config = readConfig();

/** SDK clients made once per container and traced; injected into the domain as ports. */
export const kms = tracer.captureAWSv3Client(new KMSClient({ region: config.AWS_REGION }));
