import { type ConnectDeps, pendingPassword, type SecretRef } from "./steps";

/**
 * Tells KMS the password now set on kmsuser (UpdateCustomKeyStore KeyStorePassword, §1.5), then promotes the version
 * to AWSCURRENT. Both are idempotent, so a retry after either converges.
 */
export async function tellKms(
  deps: Pick<ConnectDeps, "keyStores" | "secrets">,
  ref: SecretRef & { customKeyStoreId: string },
): Promise<{ versionId: string }> {
  const password = await pendingPassword(deps, ref);
  await deps.keyStores.setKmsuserPassword(ref.customKeyStoreId, password);
  await deps.secrets.promote(ref.kmsuserSecretId, ref.versionId);
  return { versionId: ref.versionId };
}
