import { z } from "zod";

/* Inputs of the Secrets Manager operations, as the API Reference bounds them. */

const Name = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9/_+=.@-]+$/);
const Token = z.string().min(32).max(64);
const SecretString = z.string().max(65536);
const Stage = z.string().min(1).max(256);

/**
 * KmsKeyId names a key as KMS's KeyId does: a key id, a key ARN, an alias name or an alias ARN, at most 2048
 * characters (Secrets Manager API reference, CreateSecret, KmsKeyId: "The ARN, key ID, or alias of the KMS key";
 * KMS API reference, DescribeKey, KeyId). Which key it is does not matter locally: values are sealed by the vault.
 */
const KmsKeyId = z
  .string()
  .min(1)
  .max(2048)
  .regex(
    /^(?:(?:mrk-)?[0-9a-f-]{32,36}|alias\/[A-Za-z0-9/_-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key\/(?:mrk-)?[0-9a-f-]{32,36}|alias\/[A-Za-z0-9/_-]+))$/,
    "must be a KMS key id, key ARN, alias name or alias ARN",
  );
/** A resource policy is a JSON document of 1 to 20480 characters (API reference, PutResourcePolicy, ResourcePolicy). */
const ResourcePolicy = z
  .string()
  .min(1)
  .max(20480)
  .refine((text) => {
    try {
      const doc: unknown = JSON.parse(text);
      return doc !== null && typeof doc === "object" && !Array.isArray(doc);
    } catch {
      return false;
    }
  }, "must be a JSON policy document");

export const CreateSecretInput = z.object({
  Name,
  ClientRequestToken: Token.optional(),
  Description: z.string().max(2048).optional(),
  SecretString: SecretString.optional(),
  KmsKeyId: KmsKeyId.optional(),
  Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).optional(),
});
export const SecretIdInput = z.object({ SecretId: z.string().min(1).max(2048) });
export const PutResourcePolicyInput = SecretIdInput.extend({
  ResourcePolicy,
  BlockPublicPolicy: z.boolean().optional(),
});
export const GetSecretValueInput = SecretIdInput.extend({
  VersionId: Token.optional(),
  VersionStage: Stage.optional(),
});
export const PutSecretValueInput = SecretIdInput.extend({
  ClientRequestToken: Token.optional(),
  SecretString,
  VersionStages: z.array(Stage).min(1).max(20).optional(),
});
const MaxResults = z.number().int().min(1).max(100);
const NextToken = z.string().min(1).max(4096);
/**
 * ListSecrets filters (API_Filter): `name` matches the beginning of the name, case-sensitive; `description` the words of
 * the description, not case-sensitive; a value starting with `!` negates ("Find secrets in AWS Secrets Manager",
 * manage_search-secret.html). The other keys (tag-key, tag-value, owning-service, primary-region, all) need data the
 * local account does not keep, so they are refused rather than answered wrongly.
 */
const Filter = z.object({
  Key: z.enum(["name", "description"]),
  Values: z.array(z.string().min(1).max(512)).min(1).max(10),
});
export const ListSecretsInput = z.object({
  MaxResults: MaxResults.optional(),
  NextToken: NextToken.optional(),
  Filters: z.array(Filter).max(10).optional(),
  SortOrder: z.enum(["asc", "desc"]).optional(),
  IncludePlannedDeletion: z.boolean().optional(),
});
export const ListSecretVersionIdsInput = SecretIdInput.extend({
  MaxResults: MaxResults.optional(),
  NextToken: NextToken.optional(),
  IncludeDeprecated: z.boolean().optional(),
});
export const UpdateSecretVersionStageInput = SecretIdInput.extend({
  VersionStage: Stage,
  MoveToVersionId: Token.optional(),
  RemoveFromVersionId: Token.optional(),
});
