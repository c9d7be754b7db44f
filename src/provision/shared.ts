import { type CloudHSMV2Client, type Cluster, DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { DescribeCustomKeyStoresCommand } from "@aws-sdk/client-kms";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { KmsPort } from "../key-store-lookups";
import type { Hsm } from "../ports/hsm";
import { SecretMalformedError, type SecretsStore } from "../ports/secrets";
import { tokenFor } from "../tokens";
import type { CaMaterial } from "./certificates";
import { CaSecretInvalidError, ClusterNotFoundError, ClusterUnusableError } from "./errors";
import { KEY_STORE_TAG } from "./model";

/**
 * What the provision-key-store steps share: their ports and the cluster, key store and secret lookups. Each step
 * lives in a module of its own concern (steps.ts, certificate-steps.ts), so a handler loads only what it runs.
 */

export type ProvisionDeps = {
  cloudhsm: Pick<CloudHSMV2Client, "send">;
  kms: KmsPort;
  sfn: Pick<SFNClient, "send">;
  secrets: SecretsStore;
  hsm: Hsm;
  now: () => Date;
};

/** DEGRADED HSMs replaced per provisioning before it stops (DOMAIN.md §6: DEGRADED's meaning is unconfirmed). */
export const MAX_HSM_REPLACEMENTS = 3;
export const GONE = new Set(["DELETED", "DELETE_IN_PROGRESS"]);

export async function findCluster(deps: ProvisionDeps, clusterId: string): Promise<Cluster | undefined> {
  const out = await deps.cloudhsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
  return out.Clusters?.find((c) => c.ClusterId === clusterId && c.State !== "DELETED");
}

export async function cluster(deps: ProvisionDeps, clusterId: string): Promise<Cluster> {
  const found = await findCluster(deps, clusterId);
  if (!found) throw new ClusterNotFoundError(clusterId);
  return found;
}

/** The cluster an earlier run of this provisioning created (tagged with the key store name), if any. */
export async function taggedCluster(deps: ProvisionDeps, keyStoreName: string): Promise<Cluster | undefined> {
  let token: string | undefined;
  do {
    const out = await deps.cloudhsm.send(new DescribeClustersCommand({ MaxResults: 25, NextToken: token }));
    const found = (out.Clusters ?? []).find(
      (c) => !GONE.has(c.State ?? "") && c.TagList?.some((t) => t.Key === KEY_STORE_TAG && t.Value === keyStoreName),
    );
    if (found) return found;
    token = out.NextToken;
  } while (token);
  return undefined;
}

export async function allKeyStores(deps: ProvisionDeps) {
  const stores: { id: string; name: string; clusterId?: string }[] = [];
  let marker: string | undefined;
  do {
    const out = await deps.kms.send(new DescribeCustomKeyStoresCommand({ Marker: marker }));
    for (const s of out.CustomKeyStores ?? []) {
      if (s.CustomKeyStoreId)
        stores.push({
          id: s.CustomKeyStoreId,
          name: s.CustomKeyStoreName ?? "",
          ...(s.CloudHsmClusterId ? { clusterId: s.CloudHsmClusterId } : {}),
        });
    }
    marker = out.Truncated ? out.NextMarker : undefined;
  } while (marker);
  return stores;
}

export function parseJsonSecret(raw: string, secretId: string): Record<string, unknown> {
  try {
    const value = JSON.parse(raw) as unknown;
    if (value && typeof value === "object") return value as Record<string, unknown>;
  } catch {
    // fall through: the message never shows the value
  }
  throw new SecretMalformedError(`Secret ${secretId} is not a JSON object`);
}

export async function customerCa(deps: ProvisionDeps, secretId: string): Promise<CaMaterial> {
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
  deps: ProvisionDeps,
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

export async function clusterCsr(deps: ProvisionDeps, clusterId: string): Promise<string> {
  const found = await cluster(deps, clusterId);
  const csr = found.Certificates?.ClusterCsr;
  if (found.State !== "UNINITIALIZED" || !csr)
    throw new ClusterUnusableError(clusterId, `${found.State} without a CSR`);
  return csr;
}
