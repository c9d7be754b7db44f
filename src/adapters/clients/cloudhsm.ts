import { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { config } from "../../config";
import { tracer } from "../../observability";

export const cloudhsm = tracer.captureAWSv3Client(new CloudHSMV2Client({ region: config.AWS_REGION }));
