/** The certificate steps of provision-key-store: only provisionSignCsr and provisionAcceptCertificates load them. */

import { managedCaSecretFor, trustAnchorSecretFor } from "../../secret-names";
import { tokenFor } from "../../tokens";
import { InvalidInputError } from "../../validation";
import { type CaMaterial, checkCertificates, createCa, signCsr } from "./certificates";
import { clusterCsr } from "./cluster-steps";
import type { SignedCertificates } from "./model";
import { customerCa, generateOnce, type ProvisionDeps, parseJsonSecret } from "./steps";

/**
 * Signs the cluster CSR with the product's CA for this cluster (made once; its private key goes only to Secrets
 * Manager) or with the customer's CA from its secret. Returns certificates only, and the CA secret's reference.
 */
export async function signClusterCsr(
  deps: Pick<ProvisionDeps, "clusters" | "secrets" | "now">,
  ref: { clusterId: string; caMode: "managed" | "secret"; caSecretId?: string | null | undefined },
): Promise<SignedCertificates & { caSecretId: string }> {
  const csr = await clusterCsr(deps, ref.clusterId);
  let ca: CaMaterial;
  let caSecretId: string;
  if (ref.caMode === "managed") {
    const made = await generateOnce(
      deps,
      managedCaSecretFor(ref.clusterId),
      `Customer CA of CloudHSM cluster ${ref.clusterId} (made by keystore-autopilot provision-key-store)`,
      async () => JSON.stringify(await createCa(ref.clusterId, deps.now())),
    );
    const value = parseJsonSecret(made.value, made.secretArn);
    ca = { certificate: String(value.certificate), privateKey: String(value.privateKey) };
    caSecretId = made.secretArn;
  } else {
    if (!ref.caSecretId)
      throw new InvalidInputError("Invalid input: ca.secretId: required for mode secret", "ca.secretId");
    ca = await customerCa(deps, ref.caSecretId);
    caSecretId = ref.caSecretId;
  }
  const signedCert = await signCsr(csr, ca, deps.now());
  return { signedCert, trustAnchor: ca.certificate, caSecretId };
}

/**
 * Checks the certificates against the cluster's CSR before InitializeCluster sees them (CertificateRejectedError
 * leaves the cluster untouched), then keeps the trust anchor for CreateCustomKeyStore.
 */
export async function acceptCertificates(
  deps: Pick<ProvisionDeps, "clusters" | "secrets" | "now">,
  ref: SignedCertificates & { clusterId: string },
): Promise<{ trustAnchorSecretId: string }> {
  const csrPem = await clusterCsr(deps, ref.clusterId);
  checkCertificates({ signedCert: ref.signedCert, trustAnchor: ref.trustAnchor, csrPem, now: deps.now() });
  const secretId = trustAnchorSecretFor(ref.clusterId);
  const arn = await deps.secrets.ensure(secretId, `Trust anchor of CloudHSM cluster ${ref.clusterId} (public)`);
  const versionId = tokenFor(`${secretId}/${ref.trustAnchor}`);
  if ((await deps.secrets.version(secretId, versionId)) === undefined) {
    await deps.secrets.put(secretId, versionId, ref.trustAnchor, ["AWSCURRENT"]);
  }
  return { trustAnchorSecretId: arn };
}
