import "reflect-metadata";
import { createPublicKey, generateKeyPairSync, X509Certificate as NodeCertificate, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { createCsr, distinguishedName, NAME_OID, toPem } from "../../../src/workflows/provision-key-store/x509";
import { AwsServiceError } from "../errors";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/**
 * The cluster's certificate signing request and the checks InitializeCluster makes on what the customer sends back
 * (DOMAIN.md §6). Everything here is synchronous because operations run inside one SQLite transaction: certificates
 * are parsed with @peculiar/x509 and signatures checked with node:crypto; the CSR is built by the product's own
 * src/workflows/provision-key-store/x509.
 */

const invalid = (message: string) => new AwsServiceError("CloudHsmInvalidRequestException", message);

/** An HSM's CSR: the private key never leaves the "HSM", so only the CSR and its public key are returned. */
export function generateClusterCsr(clusterId: string, hsmType: string): { csrPem: string; publicKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const subject = distinguishedName(
    { type: NAME_OID.country, value: "US", printable: true },
    { type: NAME_OID.organization, value: "AWS CloudHSM (local account)" },
    { type: NAME_OID.organizationalUnit, value: hsmType },
    { type: NAME_OID.commonName, value: clusterId },
  );
  return {
    csrPem: toPem(createCsr(subject, publicKey, privateKey), "CERTIFICATE REQUEST"),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** CloudHSM accepts at most 4 certificates (ICA→root) and 16 KB in the chain it is given as trust anchor. */
export const MAX_CHAIN_CERTIFICATES = 4;
export const MAX_CHAIN_BYTES = 16 * 1024;

const SUPPORTED_HASHES = new Set(["SHA-224", "SHA-256", "SHA-384", "SHA-512"]);
const SUPPORTED_CURVES = new Set(["prime256v1", "secp384r1", "secp521r1"]);
const SUPPORTED_RSA_BITS = new Set([2048, 3072, 4096]);

type Parsed = { label: string; cert: x509.X509Certificate; node: NodeCertificate };

/**
 * Checks InitializeCluster's SignedCert and TrustAnchor and throws CloudHsmInvalidRequestException naming the
 * problem. The TrustAnchor is a self-signed root, or a chain ordered from the issuing CA to the root.
 */
export function verifyInitialization(input: {
  signedCert: string;
  trustAnchor: string;
  csrPublicKeyPem: string;
  now: number;
}): void {
  const signed = parsePem(input.signedCert, "SignedCert");
  if (signed.length !== 1) {
    throw invalid(`SignedCert must contain exactly one certificate (the signed cluster CSR); it has ${signed.length}`);
  }
  const chain = parsePem(input.trustAnchor, "TrustAnchor");
  if (chain.length > MAX_CHAIN_CERTIFICATES) {
    throw invalid(`TrustAnchor holds ${chain.length} certificates; a chain may have at most ${MAX_CHAIN_CERTIFICATES}`);
  }
  if (Buffer.byteLength(input.trustAnchor) > MAX_CHAIN_BYTES) {
    throw invalid(`TrustAnchor is larger than ${MAX_CHAIN_BYTES / 1024} KB`);
  }
  const cluster = signed[0] as Parsed;
  for (const parsed of [cluster, ...chain]) checkAlgorithms(parsed);
  for (const parsed of [cluster, ...chain]) checkValidity(parsed, input.now);

  const csrKey = createPublicKey(input.csrPublicKeyPem).export({ type: "spki", format: "der" });
  if (!cluster.node.publicKey.export({ type: "spki", format: "der" }).equals(csrKey)) {
    throw invalid(
      "SignedCert does not match the cluster's CSR: its public key is not the key in Certificates.ClusterCsr",
    );
  }

  const root = chain[chain.length - 1] as Parsed;
  if (root.cert.subject !== root.cert.issuer || !root.node.verify(root.node.publicKey)) {
    throw invalid(`${root.label} is not self-signed (subject '${root.cert.subject}', issuer '${root.cert.issuer}')`);
  }
  if (root.cert.extensions.length > 0 && !isCa(root)) {
    throw invalid(`${root.label} has X509v3 extensions but no Basic Constraints extension with CA:TRUE`);
  }
  for (let i = 0; i < chain.length - 1; i++) {
    const ica = chain[i] as Parsed;
    if (!isCa(ica)) throw invalid(`${ica.label} is not a CA certificate (Basic Constraints CA:TRUE is required)`);
    checkIssued(ica, chain[i + 1] as Parsed);
  }
  checkIssued(cluster, chain[0] as Parsed);
}

function parsePem(text: string, field: string): Parsed[] {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
  const outside = text.replace(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g, "").trim();
  if (blocks.length === 0 || outside !== "") throw invalid(`${field} is not a PEM-encoded certificate`);
  return blocks.map((block, index) => {
    const label = blocks.length === 1 ? field : `${field} certificate ${index + 1}`;
    if (block[1] !== "CERTIFICATE") throw invalid(`${label} is a PEM ${block[1]}, not a CERTIFICATE`);
    const der = Buffer.from((block[2] ?? "").replace(/\s+/g, ""), "base64");
    try {
      return { label, cert: new x509.X509Certificate(der), node: new NodeCertificate(der) };
    } catch {
      throw invalid(`${label} is not a valid X.509 certificate`);
    }
  });
}

function checkAlgorithms({ label, cert, node }: Parsed): void {
  let signature: { name: string; hash?: { name: string } };
  try {
    signature = cert.signatureAlgorithm as { name: string; hash?: { name: string } };
  } catch {
    throw invalid(`${label} uses an unsupported signature algorithm`);
  }
  const hash = signature.hash?.name ?? "none";
  if (!["RSASSA-PKCS1-v1_5", "RSA-PSS", "ECDSA"].includes(signature.name) || !SUPPORTED_HASHES.has(hash)) {
    throw invalid(
      `${label} uses an unsupported signature algorithm (${signature.name} with ${hash}); use RSA PKCS#1 v1.5, RSA-PSS or ECDSA with SHA-224 to SHA-512`,
    );
  }
  const type = node.publicKey.asymmetricKeyType;
  const details = node.publicKey.asymmetricKeyDetails ?? {};
  if (type === "rsa" || type === "rsa-pss") {
    if (!SUPPORTED_RSA_BITS.has(details.modulusLength ?? 0)) {
      throw invalid(`${label} has an unsupported RSA key size (${details.modulusLength} bits); use 2048, 3072 or 4096`);
    }
  } else if (type === "ec") {
    if (!SUPPORTED_CURVES.has(details.namedCurve ?? "")) {
      throw invalid(`${label} has an unsupported EC curve (${details.namedCurve}); use P-256, P-384 or P-521`);
    }
  } else {
    throw invalid(`${label} has an unsupported key type (${type}); use RSA or EC keys`);
  }
}

function checkValidity({ label, cert }: Parsed, now: number): void {
  if (cert.notBefore.getTime() > now || cert.notAfter.getTime() < now) {
    throw invalid(
      `${label} is not valid now (valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`,
    );
  }
}

function isCa({ cert }: Parsed): boolean {
  return cert.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

function checkIssued(child: Parsed, issuer: Parsed): void {
  if (child.cert.issuer !== issuer.cert.subject || !child.node.verify(issuer.node.publicKey)) {
    throw invalid(
      `${child.label} was not signed by ${issuer.label} (issuer '${child.cert.issuer}', trust anchor subject '${issuer.cert.subject}')`,
    );
  }
}
