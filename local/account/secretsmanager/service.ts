import type { AccountContext } from "../account";
import type { Service } from "../protocol";
import { getResourcePolicy, putResourcePolicy } from "./policies";
import {
  createSecret,
  describeSecret,
  getSecretValue,
  listSecrets,
  listSecretVersionIds,
  putSecretValue,
  updateSecretVersionStage,
} from "./secrets";
import { Vault } from "./vault";

/**
 * Secrets Manager (`secretsmanager`, JSON 1.1): the subset the product and its tests use — CreateSecret, GetSecretValue,
 * PutSecretValue, DescribeSecret, UpdateSecretVersionStage, PutResourcePolicy, GetResourcePolicy, ListSecrets,
 * ListSecretVersionIds — with AWS's version and staging-label semantics: versions that lose their last label stay as
 * deprecated versions.
 * Values are sealed with AES-256-GCM under a key file in the data directory, never stored in clear, never logged and
 * never put in an error message or event.
 */
export function createSecretsManagerService(ctx: AccountContext): Service {
  const deps = { ctx, vault: new Vault(ctx.config.dataDir) };
  return {
    target: "secretsmanager",
    name: "secretsmanager",
    jsonVersion: "1.1",
    internalError: { code: "InternalServiceError", status: 500 },
    operations: {
      CreateSecret: (input) => createSecret(deps, input),
      GetSecretValue: (input) => getSecretValue(deps, input),
      PutSecretValue: (input) => putSecretValue(deps, input),
      UpdateSecretVersionStage: (input) => updateSecretVersionStage(deps, input),
      PutResourcePolicy: (input) => putResourcePolicy(deps, input),
      GetResourcePolicy: (input) => getResourcePolicy(deps, input),
      DescribeSecret: (input) => describeSecret(deps, input),
      ListSecrets: (input) => listSecrets(deps, input),
      ListSecretVersionIds: (input) => listSecretVersionIds(deps, input),
    },
  };
}
