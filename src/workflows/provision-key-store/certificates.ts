import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  X509Certificate as NodeCertificate,
} from "node:crypto";
import { CertificateRejectedError } from "./errors";
import {
  basicConstraints,
  caKeyUsage,
  certificateFields,
  distinguishedName,
  issueCertificate,
  NAME_OID,
  type ParsedCsr,
  parseCsr as parseCsrDer,
  pemBlocks,
  subjectKeyIdentifier,
  toPem,
} from "./x509";

/**
 * The customer CA side of cluster initialization (DOMAIN.md §6): making a CA, signing the cluster CSR with it, and
 * checking certificates someone else signed before they reach InitializeCluster. Private keys only pass through
 * these functions on their way to or from Secrets Manager; they are never returned in a step result. node:crypto
 * makes keys, signs and verifies; ./x509 writes and reads the X.509 structures around them.
 */

const YEAR_MS = 365 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;
const CURVES = new Set(["prime256v1", "secp384r1", "secp521r1"]);

/** A CA as held in its secret: PEM certificate and PKCS#8 PEM private key. */
export type CaMaterial = { certificate: string; privateKey: string };

/** A self-signed ECDSA P-256 root CA for one cluster (Basic Constraints CA:TRUE, keyCertSign), valid 10 years. */
export async function createCa(clusterId: string, now: Date): Promise<CaMaterial> {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const subject = distinguishedName(
    { type: NAME_OID.commonName, value: `keystore-autopilot CA for ${clusterId}` },
    { type: NAME_OID.organization, value: "keystore-autopilot" },
  );
  const certificate = issueCertificate({
    issuer: subject,
    subject,
    spki,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 10 * YEAR_MS),
    extensions: [basicConstraints(true), caKeyUsage(), subjectKeyIdentifier(spki)],
    signer: privateKey,
  });
  return {
    certificate: toPem(certificate, "CERTIFICATE"),
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

/** The parts of a PKCS#10 request the signer needs; its own signature checked. */
function parseCsr(csrPem: string): ParsedCsr {
  const der = pemBlocks(csrPem).find((block) => /CERTIFICATE REQUEST$/.test(block.label))?.der;
  if (!der) throw new CertificateRejectedError("The cluster CSR is not a PEM-encoded certificate request");
  let csr: ParsedCsr;
  try {
    csr = parseCsrDer(der);
  } catch {
    throw new CertificateRejectedError("The cluster CSR is not a valid PKCS#10 certificate request");
  }
  if (!csr.signatureVerifies) throw new CertificateRejectedError("The cluster CSR's signature does not verify");
  return csr;
}

/** The subject Name of a certificate, as DER (the issuer of what it signs). */
function subjectOf(cert: NodeCertificate): Buffer {
  try {
    return certificateFields(cert.raw).subject;
  } catch {
    throw new CertificateRejectedError("The CA certificate is not a valid X.509 certificate");
  }
}

/** Signs the cluster CSR with the CA: the cluster certificate, valid 10 years, issued by the CA's subject. */
export async function signCsr(csrPem: string, ca: CaMaterial, now: Date): Promise<string> {
  const csr = parseCsr(csrPem);
  let issuer: NodeCertificate;
  try {
    issuer = new NodeCertificate(ca.certificate);
  } catch {
    throw new CertificateRejectedError("The CA certificate is not a valid X.509 certificate");
  }
  const key = createPrivateKey(ca.privateKey);
  if (key.asymmetricKeyType === "ec") {
    if (!CURVES.has(key.asymmetricKeyDetails?.namedCurve ?? "")) {
      throw new CertificateRejectedError("The CA key uses an EC curve CloudHSM does not accept");
    }
  } else if (key.asymmetricKeyType !== "rsa") {
    throw new CertificateRejectedError(`The CA key is ${key.asymmetricKeyType}; use an RSA or EC key`);
  }
  const certificate = issueCertificate({
    issuer: subjectOf(issuer),
    subject: csr.subject,
    spki: csr.spki,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(Math.min(now.getTime() + 10 * YEAR_MS, new Date(issuer.validTo).getTime())),
    extensions: [],
    signer: key,
  });
  return toPem(certificate, "CERTIFICATE");
}

function parseChain(text: string, field: string): NodeCertificate[] {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) throw new CertificateRejectedError(`${field} is not a PEM-encoded certificate`);
  return blocks.map((block, i) => {
    if (block.label !== "CERTIFICATE") {
      throw new CertificateRejectedError(`${field} holds a PEM ${block.label}, not a CERTIFICATE (never send a key)`);
    }
    try {
      return new NodeCertificate(block.der);
    } catch {
      throw new CertificateRejectedError(`${field} certificate ${i + 1} is not a valid X.509 certificate`);
    }
  });
}

/** Whether a certificate has an X509v3 extensions field ([3] of its TBSCertificate). */
function hasExtensions(cert: NodeCertificate): boolean {
  try {
    return certificateFields(cert.raw).hasExtensions;
  } catch {
    return false;
  }
}

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
  const csrKey = createPublicKey({ key: parseCsr(input.csrPem).spki, format: "der", type: "spki" });
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
