import * as z from "zod/mini";
import type { HsmCredential } from "./ports/hsm";
import { SecretMalformedError, type SecretsStore } from "./ports/secrets";

/** A cluster admin secret: JSON {"username", "password"} (username "admin" when absent), or the password alone. */
const AdminSecretSchema = z.object({
  username: z._default(z.string().check(z.minLength(1)), "admin"),
  password: z.string().check(z.minLength(1)),
});

/**
 * The cluster admin's credential from its secret, read fresh (an operator may have just changed it, and a stale
 * password spends one of the admin's five logins), or undefined when the secret has no value. Provisioning writes
 * JSON; an operator may store the plain password of the user "admin". Errors name the secret, never the value.
 */
export async function readAdminCredential(
  secrets: Pick<SecretsStore, "current">,
  secretId: string,
): Promise<HsmCredential | undefined> {
  const raw = await secrets.current(secretId, { fresh: true });
  if (raw === undefined) return undefined;
  if (!raw.trim().startsWith("{")) return { username: "admin", role: "admin", password: raw };
  const { username, password } = parseSecret(AdminSecretSchema, raw, secretId);
  return { username, role: "admin", password };
}

/**
 * A secret's JSON value checked against `schema`; SecretMalformedError naming the secret, never quoting the value,
 * when it is not JSON or not of that shape.
 */
export function parseSecret<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  raw: string,
  secretId: string,
): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new SecretMalformedError(`Secret ${secretId} is not JSON`);
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new SecretMalformedError(`Secret ${secretId} does not have the expected fields`);
  return result.data;
}
