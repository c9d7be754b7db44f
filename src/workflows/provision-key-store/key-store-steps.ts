import { SecretMalformedError } from "../../ports/secrets";
import {
  adminSecretFor,
  initialKmsuserSecretFor,
  kmsuserSecretFor,
  managedCaSecretFor,
  trustAnchorSecretFor,
} from "../../secret-names";
import {
  AdminPasswordUnknownError,
  ClusterInUseError,
  ClusterUnusableError,
  KeyStoreCreationRefusedError,
  KeyStoreNameInUseError,
} from "./errors";
import { type ProvisionDeps, parseJsonSecret } from "./steps";

/**
 * The provision-key-store step that calls KMS. CloudHSM stays out, so
 * provisionCreateKeyStore loads only KMS's client; its role keeps cloudhsm:DescribeClusters all the same, because
 * KMS requires it of whoever calls CreateCustomKeyStore.
 */

const REFUSALS: Record<string, string> = {
  CloudHsmClusterInUseException:
    "the cluster backs another key store or shares its backup history with one; use a cluster of its own",
  IncorrectTrustAnchorException:
    "the trust anchor is not the certificate the cluster was initialized with; check the CA (ca mode) and start again",
  CloudHsmClusterNotActiveException: "the cluster is not ACTIVE; start provisioning again once it is",
  CloudHsmClusterInvalidConfigurationException:
    "the cluster needs ≥2 ACTIVE HSMs in different AZs, private subnets in ≥2 AZs, the default security group rules, and no mTLS (DOMAIN.md §1.1)",
  CloudHsmClusterNotFoundException: "the cluster no longer exists",
  LimitExceededException:
    "the account has 10 custom key stores in this Region, the quota; delete one or raise the quota",
};

/**
 * CreateCustomKeyStore (DOMAIN.md §1.1), idempotent: a store of this name on this cluster is adopted. Then the
 * cluster's admin secret is copied to the key store's default admin secret, which connect-key-store (and its
 * scheduled rotations) read. Passwords go from Secrets Manager to KMS and nowhere else.
 */
export async function createKeyStore(
  deps: Pick<ProvisionDeps, "keyStores" | "secrets">,
  ref: {
    keyStoreName: string;
    clusterId: string;
    caMode?: "managed" | "secret" | "external";
    caSecretId?: string | null | undefined;
  },
): Promise<{ customKeyStoreId: string; adminSecretId: string; created: boolean; secrets: Record<string, string> }> {
  const stores = await deps.keyStores.list();
  const named = stores.find((s) => s.name === ref.keyStoreName);
  if (named && named.clusterId !== ref.clusterId) {
    throw new KeyStoreNameInUseError(ref.keyStoreName, named.customKeyStoreId);
  }
  let customKeyStoreId = named?.customKeyStoreId;
  if (!customKeyStoreId) {
    const trustAnchor = await deps.secrets.current(trustAnchorSecretFor(ref.clusterId), { fresh: true });
    if (trustAnchor === undefined)
      throw new ClusterUnusableError(ref.clusterId, "initialized without a recorded trust anchor");
    const raw = await deps.secrets.current(initialKmsuserSecretFor(ref.clusterId), { fresh: true });
    const password =
      raw === undefined ? undefined : parseJsonSecret(raw, initialKmsuserSecretFor(ref.clusterId)).password;
    if (typeof password !== "string") throw new SecretMalformedError("The kmsuser secret holds no password");
    try {
      customKeyStoreId = await deps.keyStores.create({
        name: ref.keyStoreName,
        clusterId: ref.clusterId,
        kmsuserPassword: password,
        trustAnchorCertificate: trustAnchor,
      });
    } catch (error: unknown) {
      const name = (error as Error).name;
      if (name === "CustomKeyStoreNameInUseException") {
        throw new KeyStoreNameInUseError(ref.keyStoreName, "(another)");
      }
      if (name === "CloudHsmClusterInUseException")
        throw new ClusterInUseError(ref.clusterId, REFUSALS[name] as string);
      const action = REFUSALS[name];
      if (action) throw new KeyStoreCreationRefusedError(name, action);
      throw error;
    }
  }
  // The admin credential is the cluster's (connect-key-store and orphan-cleanup derive it from the store's cluster).
  const admin = adminSecretFor(ref.clusterId);
  if (!(await deps.secrets.exists(admin))) throw new AdminPasswordUnknownError(ref.clusterId, admin);
  const ca = ref.caMode === "managed" ? managedCaSecretFor(ref.clusterId) : (ref.caSecretId ?? undefined);
  return {
    customKeyStoreId,
    adminSecretId: admin,
    created: !named,
    // References only: where each credential lives. kmsuser's is connect-key-store's (it rotates it on connect).
    secrets: {
      admin,
      kmsuser: kmsuserSecretFor(customKeyStoreId),
      trustAnchor: trustAnchorSecretFor(ref.clusterId),
      initialKmsuser: initialKmsuserSecretFor(ref.clusterId),
      ...(ca ? { ca } : {}),
    },
  };
}
