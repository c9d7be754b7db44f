import * as z from "zod/mini";
import { KeyStoreRefSchema } from "../../key-stores";
import { SECRET_KINDS } from "../../secret-names";
import { secretRefSchema } from "../../validation";

/**
 * The admin secret's reference, never a value. Optional: it is derived from the store's cluster
 * (keystore-autopilot/admin/<clusterId>), and a value given must name that very secret.
 */
export const SecretRefSchema = secretRefSchema(
  "adminSecretId must be the name or ARN of a secret under keystore-autopilot/admin/ (a reference, never the password)",
  SECRET_KINDS.admin,
);

/** Input of connect-key-store: `keystore-autopilot start connect-key-store --input '{"customKeyStoreId":"cks-…"}'`. */
export const ConnectInputSchema = z.strictObject({
  ...KeyStoreRefSchema.shape,
  /** Secret holding {"username","password"} of the cluster admin: keystore-autopilot/admin/<clusterId>, the only one accepted. */
  adminSecretId: z.optional(SecretRefSchema),
  /** rotate: disconnect if needed, new password, connect (manual, schedule). watch: follow a connect someone started. */
  mode: z._default(z.enum(["rotate", "watch"]), "rotate"),
});
export type ConnectInput = z.infer<typeof ConnectInputSchema>;

/** What the kmsuser secret holds. After a connect, KMS has rotated the password away: the version says so. */
export const KmsuserSecretSchema = z.union([
  z.object({
    username: z._default(z.string(), "kmsuser"),
    password: z.string().check(z.minLength(7), z.maxLength(32)),
  }),
  z.object({ username: z._default(z.string(), "kmsuser"), state: z.literal("ROTATED_BY_KMS"), rotatedAt: z.string() }),
]);

export const KMSUSER = { username: "kmsuser", role: "crypto-user" } as const;

/** The key store as the steps pass it on: ids and references only. */
export type PreparedStore = {
  customKeyStoreId: string;
  clusterId: string;
  kmsuserSecretId: string;
  adminSecretId: string;
  mode: "rotate" | "watch";
  /** The admin secret exists: remediation (which needs the admin) may act. */
  canRemediate: boolean;
};
