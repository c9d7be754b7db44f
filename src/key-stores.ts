import { DescribeCustomKeyStoresCommand, type KMSClient } from "@aws-sdk/client-kms";
import * as z from "zod/mini";

export const CUSTOM_KEY_STORE_ID = /^cks-[a-z0-9]{1,60}$/;

export const KeyStoreRefSchema = z.object({
  customKeyStoreId: z
    .string()
    .check(z.regex(CUSTOM_KEY_STORE_ID, "customKeyStoreId must look like cks-1234567890abcdef0")),
});
export type KeyStoreRef = z.infer<typeof KeyStoreRefSchema>;

export type KeyStoreSummary = {
  customKeyStoreId: string;
  name: string;
  type: string;
  clusterId?: string;
  connectionState: string;
  connectionErrorCode?: string;
};

/** Port: the KMS calls the key store steps make. */
export type KmsPort = Pick<KMSClient, "send">;

/** Reads one custom key store's connection state. KMS errors (not found, throttling) propagate by name. */
export async function describeKeyStore(kms: KmsPort, ref: KeyStoreRef): Promise<KeyStoreSummary> {
  const out = await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: ref.customKeyStoreId }));
  const store = out.CustomKeyStores?.[0];
  if (!store?.CustomKeyStoreId) throw new Error(`KMS returned no entry for ${ref.customKeyStoreId}`);
  return {
    customKeyStoreId: store.CustomKeyStoreId,
    name: store.CustomKeyStoreName ?? "",
    type: store.CustomKeyStoreType ?? "AWS_CLOUDHSM",
    ...(store.CloudHsmClusterId ? { clusterId: store.CloudHsmClusterId } : {}),
    connectionState: store.ConnectionState ?? "DISCONNECTED",
    ...(store.ConnectionErrorCode ? { connectionErrorCode: store.ConnectionErrorCode } : {}),
  };
}

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
