import type { AccountContext } from "../account";
import { operation, type Service } from "../protocol";
import { getResourcePolicy, putResourcePolicy } from "./policies";
import {
  CreateSecretInput,
  GetSecretValueInput,
  ListSecretsInput,
  ListSecretVersionIdsInput,
  PutResourcePolicyInput,
  PutSecretValueInput,
  SecretIdInput,
  UpdateSecretVersionStageInput,
} from "./schemas";
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
      CreateSecret: operation(CreateSecretInput, (request) => createSecret(deps, request)),
      GetSecretValue: operation(GetSecretValueInput, (request) => getSecretValue(deps, request)),
      PutSecretValue: operation(PutSecretValueInput, (request) => putSecretValue(deps, request)),
      UpdateSecretVersionStage: operation(UpdateSecretVersionStageInput, (request) =>
        updateSecretVersionStage(deps, request),
      ),
      PutResourcePolicy: operation(PutResourcePolicyInput, (request) => putResourcePolicy(deps, request)),
      GetResourcePolicy: operation(SecretIdInput, (request) => getResourcePolicy(deps, request)),
      DescribeSecret: operation(SecretIdInput, (request) => describeSecret(deps, request)),
      ListSecrets: operation(ListSecretsInput, (request) => listSecrets(deps, request)),
      ListSecretVersionIds: operation(ListSecretVersionIdsInput, (request) => listSecretVersionIds(deps, request)),
    },
  };
}
