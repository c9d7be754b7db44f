import type { AccountContext } from "../account";
import { epochSeconds } from "../ids";
import type { KeyRecord, KeyState, KeyStoreRecord } from "../model";
import { customKeyStoreNotFound, invalidArn, notFound } from "./exceptions";
import { defined } from "./trail";

/**
 * The key store as KMS keeps it. `clusterLineage` is KMS's own memory of the cluster's backup history, so
 * UpdateCustomKeyStore can still recognise a related cluster after the original cluster was deleted.
 */
export type StoredKeyStore = KeyStoreRecord & { clusterLineage?: string };

/** What KMS remembers of a deleted key: tells orphaned backing keys (legitimate) from half-created ones. */
export type DeletedKeyRecord = {
  KeyId: string;
  Arn: string;
  CustomKeyStoreId?: string;
  CloudHsmClusterId?: string;
  backingKeyId?: string;
  deletedAt: number;
  backingKeysDeletionStatus?: "SUCCESS" | "FAILURE";
};

export const KIND = { keyStore: "keystore", key: "key", deletedKey: "deletedkey" } as const;

const KEY_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const KMS_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]*):(\d*):(key|alias)\/(.+)$/;

export const isKeyId = (value: string) => KEY_ID.test(value);

export function keyArn(ctx: AccountContext, keyId: string): string {
  return `arn:aws:kms:${ctx.config.region}:${ctx.config.accountId}:key/${keyId}`;
}

export function keyArnPrefix(ctx: AccountContext): string {
  return keyArn(ctx, "");
}

/** Resolves a KeyId as KMS accepts it (key id or key ARN); aliases are not emulated and are never found. */
export function findKey(ctx: AccountContext, keyIdInput: string): KeyRecord {
  const { region, accountId } = ctx.config;
  let id = keyIdInput;
  if (keyIdInput.startsWith("arn:")) {
    const match = KMS_ARN.exec(keyIdInput);
    if (!match) throw invalidArn(`Invalid arn ${keyIdInput}`);
    if (match[3] === "alias") throw notFound(`Alias ${keyIdInput} is not found.`);
    if (match[1] !== region || match[2] !== accountId) throw notFound(`Key '${keyIdInput}' does not exist`);
    id = match[4] as string;
  } else if (keyIdInput.startsWith("alias/")) {
    throw notFound(`Alias arn:aws:kms:${region}:${accountId}:${keyIdInput} is not found.`);
  }
  if (!isKeyId(id)) throw notFound(`Invalid keyId '${keyIdInput}'`);
  const key = ctx.store.get<KeyRecord>(KIND.key, id);
  if (!key) throw notFound(`Key '${keyArn(ctx, id)}' does not exist`);
  return key;
}

export function getKeyStore(ctx: AccountContext, id: string): StoredKeyStore | undefined {
  return ctx.store.get<StoredKeyStore>(KIND.keyStore, id);
}

export function mustGetKeyStore(ctx: AccountContext, id: string): StoredKeyStore {
  const store = getKeyStore(ctx, id);
  if (!store) throw customKeyStoreNotFound();
  return store;
}

export function listKeyStores(ctx: AccountContext): StoredKeyStore[] {
  return ctx.store.list<StoredKeyStore>(KIND.keyStore);
}

/**
 * The state DescribeKey reports. The owner's Enabled/Disabled is kept in `enabled`; keys of a custom key store that
 * is not CONNECTED are Unavailable, except those pending deletion (DOMAIN.md §1.4, §4).
 */
export function effectiveState(ctx: AccountContext, key: KeyRecord, store?: StoredKeyStore): KeyState {
  if (key.KeyState === "PendingDeletion") return "PendingDeletion";
  if (key.CustomKeyStoreId) {
    const owner = store ?? getKeyStore(ctx, key.CustomKeyStoreId);
    if (owner?.ConnectionState !== "CONNECTED") return "Unavailable";
  }
  return key.enabled ? "Enabled" : "Disabled";
}

/** KeyMetadata as DescribeKey and CreateKey return it. */
export function keyMetadata(ctx: AccountContext, key: KeyRecord): Record<string, unknown> {
  const store = key.CustomKeyStoreId ? getKeyStore(ctx, key.CustomKeyStoreId) : undefined;
  const state = effectiveState(ctx, key, store);
  const pending = state === "PendingDeletion";
  return defined({
    AWSAccountId: key.AWSAccountId,
    KeyId: key.KeyId,
    Arn: key.Arn,
    CreationDate: epochSeconds(key.CreationDate),
    Enabled: state === "Enabled",
    Description: key.Description,
    KeyUsage: key.KeyUsage,
    KeyState: state,
    DeletionDate: pending && key.DeletionDate !== undefined ? epochSeconds(key.DeletionDate) : undefined,
    PendingDeletionWindowInDays: pending ? key.PendingDeletionWindowInDays : undefined,
    Origin: key.Origin,
    CustomKeyStoreId: key.CustomKeyStoreId,
    // The store may have moved to a related cluster (restored from a backup) since the key was created.
    CloudHsmClusterId: key.CustomKeyStoreId ? (store?.CloudHsmClusterId ?? key.CloudHsmClusterId) : undefined,
    KeyManager: key.KeyManager,
    CustomerMasterKeySpec: key.KeySpec,
    KeySpec: key.KeySpec,
    EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
    MultiRegion: false,
  });
}
