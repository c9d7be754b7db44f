import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { SecretNotFoundError, type SecretsStore } from "../ports/secrets";
import { kindOf } from "../secret-names";
import { type SecretAccess, secretResourcePolicy } from "../secret-policy";

/** How the product's own secrets are made: under the stack's key, readable only by the roles of their kind. */
export type SecretCreation = { kmsKeyId?: string | undefined; access: SecretAccess };

/** Short: a rotated password must not be served stale for long, and every write is followed by a fresh read. */
export const SECRET_CACHE_SECONDS = 30;

const isNotFound = (error: unknown) =>
  error instanceof Error &&
  (error.name === "ResourceNotFoundException" ||
    (error.cause as Error | undefined)?.name === "ResourceNotFoundException");

/**
 * Secrets Manager behind the SecretsStore port. Reads go through Powertools Parameters: AWSCURRENT through a cached
 * provider, versions by id through a second provider that always fetches (its cache key is the name, so mixing
 * stages in one provider would serve one stage's value for another).
 */
export class SecretsManagerStore implements SecretsStore {
  private readonly cached: SecretsProvider;
  private readonly fresh: SecretsProvider;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly creation: SecretCreation = { access: { byKind: {}, operators: [] } },
  ) {
    this.cached = new SecretsProvider({ awsSdkV3Client: client });
    this.fresh = new SecretsProvider({ awsSdkV3Client: client });
  }

  /**
   * Creates the secret under the stack's key (CreateSecret, KmsKeyId) unless it exists, then attaches its kind's
   * resource policy with BlockPublicPolicy (PutResourcePolicy replaces any policy: Secrets Manager API reference).
   * The policy goes on whether or not this call created the secret, so a retry after a lost answer still attaches
   * it. Configuration is checked before anything is created.
   */
  async ensure(name: string, description: string): Promise<string> {
    const kind = kindOf(name);
    if (!kind) throw new Error(`${name} is not a secret of this product (keystore-autopilot/<kind>/<id>)`);
    const policy = secretResourcePolicy(kind, this.creation.access);
    const kmsKeyId = this.creation.kmsKeyId;
    if (!kmsKeyId) throw new Error("Missing configuration: SECRETS_KMS_KEY_ARN");
    const arn = await this.createOrFind(name, description, kmsKeyId);
    await this.client.send(
      new PutResourcePolicyCommand({ SecretId: arn, ResourcePolicy: policy, BlockPublicPolicy: true }),
    );
    return arn;
  }

  private async createOrFind(name: string, description: string, kmsKeyId: string): Promise<string> {
    try {
      return (await this.client.send(new DescribeSecretCommand({ SecretId: name }))).ARN ?? name;
    } catch (error: unknown) {
      if (!isNotFound(error)) throw error;
    }
    try {
      const created = await this.client.send(
        new CreateSecretCommand({ Name: name, Description: description, KmsKeyId: kmsKeyId }),
      );
      return created.ARN ?? name;
    } catch (error: unknown) {
      // Another step created it in between: the secret exists, which is all we need.
      if ((error as Error).name !== "ResourceExistsException") throw error;
      return (await this.client.send(new DescribeSecretCommand({ SecretId: name }))).ARN ?? name;
    }
  }

  async exists(secretId: string): Promise<boolean> {
    try {
      const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
      // A secret scheduled for deletion cannot be read (DescribeSecret, DeletedDate; GetSecretValue refuses it).
      if (out.DeletedDate !== undefined) return false;
      return Object.values(out.VersionIdsToStages ?? {}).some((stages) => stages.includes("AWSCURRENT"));
    } catch (error: unknown) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async current(secretId: string, options: { fresh?: boolean } = {}): Promise<string | undefined> {
    try {
      const value = await this.cached.get(secretId, {
        maxAge: SECRET_CACHE_SECONDS,
        ...(options.fresh ? { forceFetch: true } : {}),
      });
      return typeof value === "string" ? value : undefined;
    } catch (error: unknown) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async version(secretId: string, versionId: string): Promise<string | undefined> {
    try {
      const value = await this.fresh.get(secretId, { forceFetch: true, sdkOptions: { VersionId: versionId } });
      return typeof value === "string" ? value : undefined;
    } catch (error: unknown) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async stages(secretId: string): Promise<Record<string, string[]>> {
    try {
      const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
      return out.VersionIdsToStages ?? {};
    } catch (error: unknown) {
      if (isNotFound(error)) throw new SecretNotFoundError(`Secret ${secretId} does not exist`, { cause: error });
      throw error;
    }
  }

  async put(secretId: string, versionId: string, value: string, stages: string[]): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: versionId,
        SecretString: value,
        VersionStages: stages,
      }),
    );
  }

  async promote(secretId: string, versionId: string): Promise<void> {
    const stages = await this.stages(secretId);
    const holder = (stage: string) => Object.entries(stages).find(([, s]) => s.includes(stage))?.[0];
    const current = holder("AWSCURRENT");
    if (current !== versionId) {
      await this.client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: "AWSCURRENT",
          MoveToVersionId: versionId,
          ...(current ? { RemoveFromVersionId: current } : {}),
        }),
      );
    }
    if (stages[versionId]?.includes("AWSPENDING")) {
      await this.client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: "AWSPENDING",
          RemoveFromVersionId: versionId,
        }),
      );
    }
    // The next cached read must see the new current value.
    await this.current(secretId, { fresh: true });
  }
}
