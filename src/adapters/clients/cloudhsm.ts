import { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { config } from "../../config";
import { traced } from "../../observability";

// client-cloudhsm-v2 3.332 (the newest on the registry) predates the SDK reading AWS_ENDPOINT_URL itself.
export const cloudhsm = traced(
  new CloudHSMV2Client({
    region: config.AWS_REGION,
    ...(config.AWS_ENDPOINT_URL ? { endpoint: config.AWS_ENDPOINT_URL } : {}),
  }),
);
