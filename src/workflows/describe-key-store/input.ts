import * as z from "zod/mini";
import { KeyStoreRefSchema } from "../../key-stores";

/**
 * Input of describe-key-store, and of its one function (the state's Parameters pass exactly this):
 * `keystore-autopilot start describe-key-store --input '{"customKeyStoreId":"cks-…"}'`.
 */
export const DescribeKeyStoreInputSchema = z.strictObject(KeyStoreRefSchema.shape);
export type DescribeKeyStoreInput = z.infer<typeof DescribeKeyStoreInputSchema>;
