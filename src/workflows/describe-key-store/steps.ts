import type { KeyStore } from "../../ports/key-stores";
import type { DescribeKeyStoreDeps } from "./deps";
import { KeyStoreEntryMissingError } from "./errors";
import type { DescribeKeyStoreInput } from "./input";

/** What describe-key-store reports of a store: its connection state, and the error code when it failed. */
export type KeyStoreSummary = KeyStore;

/**
 * Reads one custom key store's connection state (DescribeCustomKeyStores, KMS API Reference). KMS errors (not found,
 * throttling) propagate by name for the ASL's Retry and Catch.
 */
export async function describeKeyStore(
  deps: DescribeKeyStoreDeps,
  input: DescribeKeyStoreInput,
): Promise<KeyStoreSummary> {
  const store = await deps.keyStores.get(input.customKeyStoreId);
  if (!store) throw new KeyStoreEntryMissingError(input.customKeyStoreId);
  return store;
}
