import * as z from "zod/mini";

export const CUSTOM_KEY_STORE_ID = /^cks-[a-z0-9]{1,60}$/;

/** A custom key store id, with the message every input schema gives for a malformed one. */
export const CustomKeyStoreIdSchema = z
  .string()
  .check(z.regex(CUSTOM_KEY_STORE_ID, "customKeyStoreId must look like cks-1234567890abcdef0"));

export const KeyStoreRefSchema = z.object({ customKeyStoreId: CustomKeyStoreIdSchema });
export type KeyStoreRef = z.infer<typeof KeyStoreRefSchema>;

/**
 * A param that picks key stores (cancelDeletionOnUse, backupPurgeStores): `none`, `all`, or key store ids separated by
 * commas. Anything else fails the function's start, naming the setting.
 */
export function storeSelection(name: string, setting: string): (customKeyStoreId: string) => boolean {
  const value = setting.trim();
  if (value === "" || value === "none") return () => false;
  if (value === "all") return () => true;
  const ids = value.split(",").map((id) => id.trim());
  const bad = ids.find((id) => !CUSTOM_KEY_STORE_ID.test(id));
  if (bad !== undefined) {
    throw new Error(`Invalid configuration: ${name}: '${bad}' is not a custom key store id (none, all, or cks-… ids)`);
  }
  return (customKeyStoreId) => ids.includes(customKeyStoreId);
}
