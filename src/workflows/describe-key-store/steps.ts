import { DescribeCustomKeyStoresCommand } from "@aws-sdk/client-kms";
import type { DescribeKeyStoreDeps } from "./deps";
import { KeyStoreEntryMissingError } from "./errors";
import type { DescribeKeyStoreInput } from "./input";

/** What describe-key-store reports of a store: its connection state, and the error code when it failed. */
export type KeyStoreSummary = {
  customKeyStoreId: string;
  name: string;
  type: string;
  clusterId?: string;
  connectionState: string;
  connectionErrorCode?: string;
};

/**
 * Reads one custom key store's connection state (DescribeCustomKeyStores, KMS API Reference). KMS errors (not found,
 * throttling) propagate by name for the ASL's Retry and Catch.
 */
export async function describeKeyStore(
  deps: DescribeKeyStoreDeps,
  input: DescribeKeyStoreInput,
): Promise<KeyStoreSummary> {
  const out = await deps.kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: input.customKeyStoreId }));
  const store = out.CustomKeyStores?.[0];
  if (!store?.CustomKeyStoreId) throw new KeyStoreEntryMissingError(input.customKeyStoreId);
  return {
    customKeyStoreId: store.CustomKeyStoreId,
    name: store.CustomKeyStoreName ?? "",
    type: store.CustomKeyStoreType ?? "AWS_CLOUDHSM",
    ...(store.CloudHsmClusterId ? { clusterId: store.CloudHsmClusterId } : {}),
    connectionState: store.ConnectionState ?? "DISCONNECTED",
    ...(store.ConnectionErrorCode ? { connectionErrorCode: store.ConnectionErrorCode } : {}),
  };
}
