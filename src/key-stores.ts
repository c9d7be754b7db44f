import * as z from "zod/mini";

export const CUSTOM_KEY_STORE_ID = /^cks-[a-z0-9]{1,60}$/;

/** A custom key store id, with the message every input schema gives for a malformed one. */
export const CustomKeyStoreIdSchema = z
  .string()
  .check(z.regex(CUSTOM_KEY_STORE_ID, "customKeyStoreId must look like cks-1234567890abcdef0"));

export const KeyStoreRefSchema = z.object({ customKeyStoreId: CustomKeyStoreIdSchema });
export type KeyStoreRef = z.infer<typeof KeyStoreRefSchema>;
