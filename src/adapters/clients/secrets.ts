import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { config } from "../../config";
import { tracer } from "../../observability";

export const secrets = tracer.captureAWSv3Client(new SecretsManagerClient({ region: config.AWS_REGION }));
