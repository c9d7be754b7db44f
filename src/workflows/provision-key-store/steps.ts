import { readAdminCredential } from "../../admin-credential";
import type { Clusters } from "../../ports/clusters";
import type { Executions } from "../../ports/executions";
import type { Hsm, HsmCredential } from "../../ports/hsm";
import type { KeyStores } from "../../ports/key-stores";
import { SecretMalformedError, type SecretsStore } from "../../ports/secrets";
import { adminSecretFor, initialKmsuserSecretFor } from "../../secret-names";
import { tokenFor } from "../../tokens";
import { generatePassword } from "../connect-key-store/password";
import type { CaMaterial } from "./certificates";
import { AdminPasswordUnknownError, CaSecretInvalidError, ClusterInUseError, ClusterUnusableError } from "./errors";

/**
 * Every port a provision-key-store step may use. Each step takes only the ones it calls (a Pick), and each function
 * wires only those, so a function loads just the SDK clients its role allows. The steps live by the SDK client they
 * call: cluster-steps.ts (CloudHSM), key-store-steps.ts (KMS), plan.ts (all three), certificate-steps.ts (CloudHSM);
 * this module holds the Secrets Manager helpers they share and the step that needs no SDK client at all.
 */
export type ProvisionDeps = {
  clusters: Clusters;
  keyStores: KeyStores;
  executions: Executions;
  secrets: SecretsStore;
  hsm: Hsm;
  now: () => Date;
};

/** A secret's value as a JSON object; SecretMalformedError (never quoting the value) otherwise. */
export function parseJsonSecret(raw: string, secretId: string): Record<string, unknown> {
  try {
    const value = JSON.parse(raw) as unknown;
    if (value && typeof value === "object") return value as Record<string, unknown>;
  } catch {
    // fall through: the message never shows the value
  }
  throw new SecretMalformedError(`Secret ${secretId} is not a JSON object`);
}

/** The customer CA from its secret (ca mode secret), or CaSecretInvalidError naming what it must hold. */
export async function customerCa(deps: Pick<ProvisionDeps, "secrets">, secretId: string): Promise<CaMaterial> {
  const raw = await deps.secrets.current(secretId, { fresh: true });
  if (raw === undefined) throw new CaSecretInvalidError(secretId, "does not exist or has no AWSCURRENT value");
  let value: Record<string, unknown>;
  try {
    value = parseJsonSecret(raw, secretId);
  } catch {
    throw new CaSecretInvalidError(secretId, 'must hold {"certificate":"<PEM>","privateKey":"<PEM>"}');
  }
  if (typeof value.certificate !== "string" || typeof value.privateKey !== "string") {
    throw new CaSecretInvalidError(secretId, 'must hold {"certificate":"<PEM>","privateKey":"<PEM>"}');
  }
  return { certificate: value.certificate, privateKey: value.privateKey };
}

/** Reads a value this product generates once and then keeps (CA, passwords): the first version wins on a retry. */
export async function generateOnce(
  deps: Pick<ProvisionDeps, "secrets">,
  secretId: string,
  description: string,
  make: () => Promise<string>,
): Promise<{ secretArn: string; value: string }> {
  const secretArn = await deps.secrets.ensure(secretId, description);
  const current = await deps.secrets.current(secretId, { fresh: true });
  if (current !== undefined) return { secretArn, value: current };
  const versionId = tokenFor(`${secretId}/initial`);
  const existing = await deps.secrets.version(secretId, versionId);
  if (existing !== undefined) return { secretArn, value: existing };
  const value = await make();
  await deps.secrets.put(secretId, versionId, value, ["AWSCURRENT"]);
  return { secretArn, value };
}

/** The cluster admin credential provisioning stored (or the operator stored for an adopted cluster). */
export async function adminCredential(deps: Pick<ProvisionDeps, "secrets">, clusterId: string): Promise<HsmCredential> {
  const secretId = adminSecretFor(clusterId);
  const admin = await readAdminCredential(deps.secrets, secretId);
  if (!admin) throw new AdminPasswordUnknownError(clusterId, secretId);
  return admin;
}

/**
 * Creates kmsuser (crypto user, no MFA) with a password generated into Secrets Manager, or adopts an existing
 * kmsuser by setting that password as admin; then checks it is replicated to every HSM.
 */
export async function ensureKmsuser(
  deps: Pick<ProvisionDeps, "secrets" | "hsm">,
  ref: { clusterId: string },
): Promise<{ kmsuserSecretId: string; kmsuser: "created" | "adopted" }> {
  const admin = await adminCredential(deps, ref.clusterId);
  const secretId = initialKmsuserSecretFor(ref.clusterId);
  const { secretArn, value } = await generateOnce(
    deps,
    secretId,
    `Initial kmsuser password of CloudHSM cluster ${ref.clusterId}; connect-key-store rotates it`,
    async () => JSON.stringify({ username: "kmsuser", password: generatePassword() }),
  );
  const password = String(parseJsonSecret(value, secretId).password);
  const kmsuser = { username: "kmsuser", role: "crypto-user" as const };
  const users = await deps.hsm.listUsers(ref.clusterId, admin);
  const existing = users.find((u) => u.username.toLowerCase() === "kmsuser");
  if (existing && existing.role !== "crypto-user") {
    throw new ClusterInUseError(ref.clusterId, `its user kmsuser is a ${existing.role}, not a crypto-user`);
  }
  if (existing) await deps.hsm.changePassword(ref.clusterId, admin, kmsuser, password);
  else await deps.hsm.createUser(ref.clusterId, admin, kmsuser, password);
  const coverage = await deps.hsm.userCoverage(ref.clusterId, admin, "kmsuser");
  if (coverage !== "full") {
    throw new ClusterUnusableError(
      ref.clusterId,
      `ready, but kmsuser is not on every HSM (cluster-coverage ${coverage})`,
    );
  }
  return { kmsuserSecretId: secretArn, kmsuser: existing ? "adopted" : "created" };
}
