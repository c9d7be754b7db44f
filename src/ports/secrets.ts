/**
 * Port: the secrets store (AWS Secrets Manager). Secrets move through the product by name or ARN only; values are
 * read here, used, and dropped.
 */
export interface SecretsStore {
  /** Creates an empty secret when none has this name; returns its ARN either way. */
  ensure(name: string, description: string): Promise<string>;
  /**
   * Whether the secret exists with an AWSCURRENT version, from its metadata (DescribeSecret) without reading the
   * value: existence checks need no permission to read the secret.
   */
  exists(secretId: string): Promise<boolean>;
  /** The AWSCURRENT value, cached for a short TTL (Powertools Parameters); `fresh` bypasses the cache. */
  current(secretId: string, options?: { fresh?: boolean }): Promise<string | undefined>;
  /** One version by id, always read fresh (it may have just been written). */
  version(secretId: string, versionId: string): Promise<string | undefined>;
  /** The version ids holding each staging label. */
  stages(secretId: string): Promise<Record<string, string[]>>;
  /** Writes a version under a caller-chosen id (ClientRequestToken), so a retry converges on the same version. */
  put(secretId: string, versionId: string, value: string, stages: string[]): Promise<void>;
  /** Moves AWSCURRENT to `versionId` (the old current becomes AWSPREVIOUS) and removes AWSPENDING from it. */
  promote(secretId: string, versionId: string): Promise<void>;
}

export class SecretNotFoundError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SecretNotFoundError";
  }
}

/** The secret exists but its value is not what the product expects (names the secret, never shows the value). */
export class SecretMalformedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretMalformedError";
  }
}
