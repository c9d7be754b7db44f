import { type CustomKeyStoresListEntry, DescribeCustomKeyStoresCommand } from "@aws-sdk/client-kms";
import type { KmsPort } from "./ports/clients";
import { KeyStoreNotFoundError, UnsupportedKeyStoreTypeError } from "./workflows/connect-key-store/errors";

/** The ids of every AWS CloudHSM key store of the account and Region, every page. */
export async function cloudHsmKeyStoreIds(kms: KmsPort): Promise<string[]> {
  const ids: string[] = [];
  let marker: string | undefined;
  do {
    const out = await kms.send(new DescribeCustomKeyStoresCommand({ ...(marker ? { Marker: marker } : {}) }));
    for (const s of out.CustomKeyStores ?? []) {
      if ((s.CustomKeyStoreType ?? "AWS_CLOUDHSM") === "AWS_CLOUDHSM" && s.CustomKeyStoreId)
        ids.push(s.CustomKeyStoreId);
    }
    marker = out.Truncated ? out.NextMarker : undefined;
  } while (marker);
  return ids;
}

/**
 * The CloudHSM key store `customKeyStoreId` as KMS describes it, with its cluster id; KeyStoreNotFoundError or
 * UnsupportedKeyStoreTypeError (an XKS store) otherwise. Shared by the steps that act on a store's cluster.
 */
export async function cloudHsmStore(
  kms: KmsPort,
  customKeyStoreId: string,
): Promise<CustomKeyStoresListEntry & { CloudHsmClusterId: string }> {
  const out = await kms
    .send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: customKeyStoreId }))
    .catch((error: unknown) => {
      if ((error as Error).name === "CustomKeyStoreNotFoundException")
        throw new KeyStoreNotFoundError(customKeyStoreId);
      throw error;
    });
  const store = out.CustomKeyStores?.[0];
  if (!store) throw new KeyStoreNotFoundError(customKeyStoreId);
  const type = store.CustomKeyStoreType ?? "AWS_CLOUDHSM";
  if (type !== "AWS_CLOUDHSM" || !store.CloudHsmClusterId) {
    throw new UnsupportedKeyStoreTypeError(customKeyStoreId, type);
  }
  return store as CustomKeyStoresListEntry & { CloudHsmClusterId: string };
}
