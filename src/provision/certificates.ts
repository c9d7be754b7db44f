import "reflect-metadata";
import {
  createPrivateKey,
  createPublicKey,
  X509Certificate as NodeCertificate,
  randomBytes,
  webcrypto,
} from "node:crypto";
import * as x509 from "@peculiar/x509";
import { CertificateRejectedError } from "./errors";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/**
 * The customer CA side of cluster initialization (DOMAIN.md §6): making a CA, signing the cluster CSR with it, and
 * checking certificates someone else signed before they reach InitializeCluster. Private keys only pass through
 * these functions on their way to or from Secrets Manager; they are never returned in a step result.
 */

const YEAR_MS = 365 * 24 * 3600 * 1000;
const EC_SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

/** A CA as held in its secret: PEM certificate and PKCS#8 PEM private key. */
export type CaMaterial = { certificate: string; privateKey: string };

/** A self-signed ECDSA P-256 root CA for one cluster (Basic Constraints CA:TRUE, keyCertSign), valid 10 years. */
export async function createCa(clusterId: string, now: Date): Promise<CaMaterial> {
  const keys = (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const name = `CN=keystore-autopilot CA for ${clusterId}, O=keystore-autopilot`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16)
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    name,
    notBefore: new Date(now.getTime() - 24 * 3600 * 1000),
    notAfter: new Date(now.getTime() + 10 * YEAR_MS),
    keys,
    signingAlgorithm: EC_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { certificate: cert.toString("pem"), privateKey: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") };
}

/** Imports a PKCS#8 (or PKCS#1/SEC1) PEM private key for signing, with the algorithm its type calls for. */
async function signingKey(privateKeyPem: string): Promise<{ key: webcrypto.CryptoKey; algorithm: object }> {
  const node = createPrivateKey(privateKeyPem);
  const der = node.export({ type: "pkcs8", format: "der" });
  if (node.asymmetricKeyType === "ec") {
    const namedCurve = CURVES[node.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!namedCurve) throw new CertificateRejectedError("The CA key uses an EC curve CloudHSM does not accept");
    const algorithm = { name: "ECDSA", namedCurve };
    return { key: await webcrypto.subtle.importKey("pkcs8", der, algorithm, false, ["sign"]), algorithm: EC_SIGNING };
  }
  if (node.asymmetricKeyType === "rsa") {
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return { key: await webcrypto.subtle.importKey("pkcs8", der, algorithm, false, ["sign"]), algorithm };
  }
  throw new CertificateRejectedError(`The CA key is ${node.asymmetricKeyType}; use an RSA or EC key`);
}

/** Signs the cluster CSR with the CA: the cluster certificate, valid 10 years, issued by the CA's subject. */
export async function signCsr(csrPem: string, ca: CaMaterial, now: Date): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  if (!(await csr.verify())) throw new CertificateRejectedError("The cluster CSR's signature does not verify");
  const issuer = new x509.X509Certificate(ca.certificate);
  const { key, algorithm } = await signingKey(ca.privateKey);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(16)
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    subject: csr.subject,
    issuer: issuer.subject,
    notBefore: new Date(now.getTime() - 24 * 3600 * 1000),
    notAfter: new Date(Math.min(now.getTime() + 10 * YEAR_MS, issuer.notAfter.getTime())),
    publicKey: await csr.publicKey.export(),
    signingKey: key,
    signingAlgorithm: algorithm,
  });
  return cert.toString("pem");
}

function parseChain(text: string, field: string): NodeCertificate[] {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
  if (blocks.length === 0) throw new CertificateRejectedError(`${field} is not a PEM-encoded certificate`);
  return blocks.map((block, i) => {
    if (block[1] !== "CERTIFICATE") {
      throw new CertificateRejectedError(`${field} holds a PEM ${block[1]}, not a CERTIFICATE (never send a key)`);
    }
    try {
      return new NodeCertificate(Buffer.from((block[2] ?? "").replace(/\s+/g, ""), "base64"));
    } catch {
      throw new CertificateRejectedError(`${field} certificate ${i + 1} is not a valid X.509 certificate`);
    }
  });
}

const hasExtensions = (cert: NodeCertificate) => new x509.X509Certificate(cert.raw).extensions.length > 0;

/**
 * Checks what InitializeCluster will check (DOMAIN.md §6), so a bad certificate is refused here and the cluster stays
 * UNINITIALIZED: one signed certificate whose key is the CSR's, a trust anchor of 1–4 certificates ordered from the
 * issuing CA to a self-signed root, Basic Constraints CA:TRUE on every CA (required on a root with extensions), each
 * certificate issued by the next, all valid at `now`.
 */
export function checkCertificates(input: { signedCert: string; trustAnchor: string; csrPem: string; now: Date }): void {
  const signed = parseChain(input.signedCert, "The signed certificate");
  if (signed.length !== 1) {
    throw new CertificateRejectedError(
      `The signed certificate must be exactly one certificate (the signed cluster CSR); it has ${signed.length}`,
    );
  }
  const chain = parseChain(input.trustAnchor, "The trust anchor");
  if (chain.length > 4 || Buffer.byteLength(input.trustAnchor) > 16 * 1024) {
    throw new CertificateRejectedError("The trust anchor may hold at most 4 certificates and 16 KB");
  }
  const cluster = signed[0] as NodeCertificate;
  const csr = new x509.Pkcs10CertificateRequest(input.csrPem);
  const csrKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
  if (!cluster.publicKey.equals(csrKey)) {
    throw new CertificateRejectedError(
      "The signed certificate does not match the cluster CSR: its public key is not the CSR's key (was another CSR signed?)",
    );
  }
  for (const [label, cert] of [
    ["The signed certificate", cluster] as const,
    ...chain.map((c, i) => [`Trust anchor certificate ${i + 1}`, c] as const),
  ]) {
    const from = new Date(cert.validFrom).getTime();
    const to = new Date(cert.validTo).getTime();
    if (from > input.now.getTime() || to < input.now.getTime()) {
      throw new CertificateRejectedError(`${label} is not valid now (valid ${cert.validFrom} to ${cert.validTo})`);
    }
  }
  const root = chain[chain.length - 1] as NodeCertificate;
  if (root.subject !== root.issuer || !root.verify(root.publicKey)) {
    throw new CertificateRejectedError("The last certificate of the trust anchor is not a self-signed root CA");
  }
  if (hasExtensions(root) && !root.ca) {
    throw new CertificateRejectedError("The trust anchor root has X509v3 extensions but no Basic Constraints CA:TRUE");
  }
  for (let i = 0; i < chain.length - 1; i++) {
    const ica = chain[i] as NodeCertificate;
    if (!ica.ca)
      throw new CertificateRejectedError(`Trust anchor certificate ${i + 1} is not a CA (Basic Constraints)`);
    if (!ica.checkIssued(chain[i + 1] as NodeCertificate) || !ica.verify((chain[i + 1] as NodeCertificate).publicKey)) {
      throw new CertificateRejectedError(`Trust anchor certificate ${i + 1} was not issued by certificate ${i + 2}`);
    }
  }
  const issuer = chain[0] as NodeCertificate;
  if (!cluster.checkIssued(issuer) || !cluster.verify(issuer.publicKey)) {
    throw new CertificateRejectedError(
      `The signed certificate was not signed by the trust anchor (issuer '${cluster.issuer}', trust anchor '${issuer.subject}')`,
    );
  }
}
