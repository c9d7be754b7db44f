import type { KeyStore, KeyStores } from "./ports/key-stores";
import { KeyStoreNotFoundError, UnsupportedKeyStoreTypeError } from "./workflows/connect-key-store/errors";

/** The ids of every AWS CloudHSM key store of the account and Region. */
export async function cloudHsmKeyStoreIds(keyStores: Pick<KeyStores, "list">): Promise<string[]> {
  return (await keyStores.list()).filter((s) => s.type === "AWS_CLOUDHSM").map((s) => s.customKeyStoreId);
}

/**
 * The CloudHSM key store `customKeyStoreId` as KMS describes it, with its cluster id; KeyStoreNotFoundError or
 * UnsupportedKeyStoreTypeError (an XKS store) otherwise. Shared by the steps that act on a store's cluster.
 */
export async function cloudHsmStore(
  keyStores: Pick<KeyStores, "get">,
  customKeyStoreId: string,
): Promise<KeyStore & { clusterId: string }> {
  const store = await keyStores.get(customKeyStoreId).catch((error: unknown) => {
    if ((error as Error).name === "CustomKeyStoreNotFoundException") throw new KeyStoreNotFoundError(customKeyStoreId);
    throw error;
  });
  if (!store) throw new KeyStoreNotFoundError(customKeyStoreId);
  if (store.type !== "AWS_CLOUDHSM" || !store.clusterId) {
    throw new UnsupportedKeyStoreTypeError(customKeyStoreId, store.type);
  }
  return { ...store, clusterId: store.clusterId };
}
