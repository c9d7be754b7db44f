import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  X509Certificate as NodeCertificate,
  randomBytes,
  sign,
  verify,
} from "node:crypto";
import {
  BOOLEAN_TRUE,
  bitString,
  bytesOf,
  children,
  contentOf,
  explicit,
  NULL,
  octetString,
  oid,
  oidOf,
  pemBody,
  readElement,
  sequence,
  set,
  smallInteger,
  time,
  toPem,
  unsignedInteger,
  utf8String,
} from "./der";
import { CertificateRejectedError } from "./errors";

/**
 * The customer CA side of cluster initialization (DOMAIN.md §6): making a CA, signing the cluster CSR with it, and
 * checking certificates someone else signed before they reach InitializeCluster. Private keys only pass through
 * these functions on their way to or from Secrets Manager; they are never returned in a step result. node:crypto
 * makes keys, signs and verifies; ./der writes and reads the few X.509 structures around them.
 */

const YEAR_MS = 365 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;
const CURVES = new Set(["prime256v1", "secp384r1", "secp521r1"]);
/** Signature algorithms (RFC 5758, RFC 4055): OID → hash, and how an AlgorithmIdentifier for them is written. */
const SIGNATURE_HASH: Record<string, string> = {
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
};
const ECDSA_SHA256 = sequence(oid("1.2.840.10045.4.3.2"));
const RSA_SHA256 = sequence(oid("1.2.840.113549.1.1.11"), NULL);

/** A CA as held in its secret: PEM certificate and PKCS#8 PEM private key. */
export type CaMaterial = { certificate: string; privateKey: string };

/** 16 random bytes as a positive serial number. */
const serialNumber = () => {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return unsignedInteger(bytes);
};

/** `CN=…, O=…` as a DER Name, in the order given. */
const name = (cn: string, o: string) =>
  sequence(set(sequence(oid("2.5.4.3"), utf8String(cn))), set(sequence(oid("2.5.4.10"), utf8String(o))));

const extension = (id: string, critical: boolean, value: Uint8Array) =>
  sequence(oid(id), ...(critical ? [BOOLEAN_TRUE] : []), octetString(value));

/** The certificate over `tbs`: TBSCertificate, its algorithm, the signature of `key` over it. */
function signed(tbs: Buffer, algorithm: Buffer, key: Parameters<typeof sign>[2]): string {
  return toPem(sequence(tbs, algorithm, bitString(sign("sha256", tbs, key))), "CERTIFICATE");
}

type Tbs = { issuer: Uint8Array; subject: Uint8Array; spki: Uint8Array; from: Date; to: Date; algorithm: Buffer };
const tbsCertificate = (t: Tbs, extensions: Buffer[]) =>
  sequence(
    explicit(0, smallInteger(2)),
    serialNumber(),
    t.algorithm,
    t.issuer,
    sequence(time(t.from), time(t.to)),
    t.subject,
    t.spki,
    ...(extensions.length > 0 ? [explicit(3, sequence(...extensions))] : []),
  );

/** A self-signed ECDSA P-256 root CA for one cluster (Basic Constraints CA:TRUE, keyCertSign), valid 10 years. */
export async function createCa(clusterId: string, now: Date): Promise<CaMaterial> {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const subject = name(`keystore-autopilot CA for ${clusterId}`, "keystore-autopilot");
  const spkiElement = readElement(spki);
  const keyBits = children(spki, spkiElement)[1];
  const keyId = createHash("sha1")
    .update(keyBits ? contentOf(spki, keyBits).subarray(1) : spki)
    .digest();
  const tbs = tbsCertificate(
    {
      issuer: subject,
      subject,
      spki,
      from: new Date(now.getTime() - DAY_MS),
      to: new Date(now.getTime() + 10 * YEAR_MS),
      algorithm: ECDSA_SHA256,
    },
    [
      extension("2.5.29.19", true, sequence(BOOLEAN_TRUE)), // basicConstraints CA:TRUE
      extension("2.5.29.15", true, bitString(Buffer.from([0x06]), 1)), // keyUsage keyCertSign, cRLSign
      extension("2.5.29.14", false, octetString(keyId)), // subjectKeyIdentifier (RFC 5280 §4.2.1.2, method 1)
    ],
  );
  return {
    certificate: signed(tbs, ECDSA_SHA256, privateKey),
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

/** The parts of a PKCS#10 request the signer needs; its own signature checked. */
function parseCsr(csrPem: string): { subject: Buffer; spki: Buffer } {
  const der = pemBody(csrPem, /CERTIFICATE REQUEST$/);
  if (!der) throw new CertificateRejectedError("The cluster CSR is not a PEM-encoded certificate request");
  try {
    const [info, algorithm, signature] = children(der, readElement(der));
    if (!info || !algorithm || !signature) throw new Error("not a CertificationRequest");
    const [, subject, spki] = children(der, info);
    const [algorithmId] = children(der, algorithm);
    if (!subject || !spki || !algorithmId) throw new Error("not a CertificationRequestInfo");
    const hash = SIGNATURE_HASH[oidOf(contentOf(der, algorithmId))];
    const key = createPublicKey({ key: bytesOf(der, spki), format: "der", type: "spki" });
    if (hash && verify(hash, bytesOf(der, info), key, contentOf(der, signature).subarray(1))) {
      return { subject: bytesOf(der, subject), spki: bytesOf(der, spki) };
    }
  } catch {
    throw new CertificateRejectedError("The cluster CSR is not a valid PKCS#10 certificate request");
  }
  throw new CertificateRejectedError("The cluster CSR's signature does not verify");
}

/** The subject Name of a certificate, as DER (the issuer of what it signs). */
function subjectOf(cert: NodeCertificate): Buffer {
  const der = cert.raw;
  const tbs = children(der, readElement(der))[0];
  const fields = tbs ? children(der, tbs) : [];
  const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
  if (!subject) throw new CertificateRejectedError("The CA certificate is not a valid X.509 certificate");
  return bytesOf(der, subject);
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
  let algorithm: Buffer;
  if (key.asymmetricKeyType === "ec") {
    if (!CURVES.has(key.asymmetricKeyDetails?.namedCurve ?? "")) {
      throw new CertificateRejectedError("The CA key uses an EC curve CloudHSM does not accept");
    }
    algorithm = ECDSA_SHA256;
  } else if (key.asymmetricKeyType === "rsa") {
    algorithm = RSA_SHA256;
  } else {
    throw new CertificateRejectedError(`The CA key is ${key.asymmetricKeyType}; use an RSA or EC key`);
  }
  const tbs = tbsCertificate(
    {
      issuer: subjectOf(issuer),
      subject: csr.subject,
      spki: csr.spki,
      from: new Date(now.getTime() - DAY_MS),
      to: new Date(Math.min(now.getTime() + 10 * YEAR_MS, new Date(issuer.validTo).getTime())),
      algorithm,
    },
    [],
  );
  return signed(tbs, algorithm, key);
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

/** Whether a certificate has an X509v3 extensions field ([3] of its TBSCertificate). */
function hasExtensions(cert: NodeCertificate): boolean {
  const der = cert.raw;
  const tbs = children(der, readElement(der))[0];
  return tbs ? children(der, tbs).some((field) => field.tag === 0xa3) : false;
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
