/**
 * KMS as the workflows need it: the custom key stores and the keys in them. src/adapters/key-stores.ts answers
 * through the KMS API; KMS's own errors propagate by name (CustomKeyStoreNotFoundException, ThrottlingException, ...),
 * because the state machines' Retry and Catch name them.
 */

/** A custom key store (KMS API Reference, CustomKeyStoresListEntry). */
export type KeyStore = {
  customKeyStoreId: string;
  name: string;
  /** AWS_CLOUDHSM or EXTERNAL_KEY_STORE; KMS leaves it out for CloudHSM key stores, the first kind. */
  type: string;
  clusterId?: string;
  /** DISCONNECTED when KMS leaves it out. */
  connectionState: string;
  connectionErrorCode?: string;
};

/** A KMS key (KMS API Reference, KeyMetadata): the fields the workflows decide on. */
export type KmsKey = {
  keyArn: string;
  keyState?: string;
  origin?: string;
  customKeyStoreId?: string;
  clusterId?: string;
  creationDate?: Date;
  deletionDate?: Date;
};

/**
 * What KMS says about one key. Only NotFoundException means `gone`. KMS is eventually consistent (KMS Developer
 * Guide, "Eventual consistency"): a key minutes old may answer NotFoundException too, so `gone` is never enough on
 * its own to destroy material (src/workflows/orphan-cleanup/sweep.ts).
 */
export type KeyAnswer = { gone: true } | { gone: false; key: KmsKey };

export type NewKeyStore = {
  name: string;
  clusterId: string;
  trustAnchorCertificate: string;
  kmsuserPassword: string;
};

export interface KeyStores {
  /** Every custom key store of the account and Region, every page. */
  list(): Promise<KeyStore[]>;
  /** One store by id; undefined when KMS answers without an entry for it. */
  get(customKeyStoreId: string): Promise<KeyStore | undefined>;
  /** CreateCustomKeyStore for a CloudHSM cluster; answers the new store's id. */
  create(store: NewKeyStore): Promise<string>;
  /** Tells KMS kmsuser's current password (UpdateCustomKeyStore KeyStorePassword; the store must be DISCONNECTED). */
  setKmsuserPassword(customKeyStoreId: string, password: string): Promise<void>;
  describeKey(keyArn: string): Promise<KeyAnswer>;
  /**
   * Cancels a key's scheduled deletion; the key comes back Disabled (KMS API Reference, CancelKeyDeletion).
   * `not-pending` when it was not pending deletion (someone cancelled first, or a retry), `gone` when it no longer
   * exists: both leave nothing to do.
   */
  cancelKeyDeletion(keyArn: string): Promise<"cancelled" | "not-pending" | "gone">;
  /** A key's tags (ListResourceTags, every page); none for a key that no longer exists. */
  keyTags(keyArn: string): Promise<Record<string, string>>;
  /** Disables a key; a key already Disabled stays so (KMS API Reference, DisableKey). */
  disableKey(keyArn: string): Promise<void>;
  /**
   * Schedules a key's deletion after `pendingWindowInDays` (7-30) and returns its deletion date; when the key is
   * already pending deletion (a retry), the date it has (KMS API Reference, ScheduleKeyDeletion; key-state [3]).
   */
  scheduleKeyDeletion(keyArn: string, pendingWindowInDays: number): Promise<{ deletionDate: Date }>;
  /** One page of the account's key ARNs (ListKeys, at most 1,000), so a caller paces and counts its calls. */
  keyArnPage(marker?: string): Promise<{ keyArns: string[]; nextMarker?: string }>;
}
