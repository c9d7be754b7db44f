import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { config } from "../../config";
import { traced } from "../../observability";
import { readSecretAccess } from "../../secret-policy";
import { SecretsManagerStore } from "../secrets-store";
import { HTTP_TIMEOUTS } from "./http";

/** One Secrets Manager client per container (STYLE.md §4). */
export const secretsManager = traced(
  new SecretsManagerClient({ region: config.AWS_REGION, requestHandler: HTTP_TIMEOUTS }),
);

/** The secrets store every workflow's steps use. */
export const secretsStore = new SecretsManagerStore(secretsManager, {
  kmsKeyId: config.SECRETS_KMS_KEY_ARN,
  access: readSecretAccess(config),
});
