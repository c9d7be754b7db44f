import { createHash, createPublicKey, type KeyObject, randomBytes, sign, verify } from "node:crypto";
import { Attributes, CertificationRequest, CertificationRequestInfo } from "@peculiar/asn1-csr";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from "@peculiar/asn1-x509";

/**
 * The X.509 the product and the local account build and read: PKCS#10 requests (RFC 2986) and certificates
 * (RFC 5280), from the @peculiar/asn1-* schemas, synchronously (the local account's operations run inside one
 * SQLite transaction). node:crypto makes keys, signs and verifies. Only the schemas, not @peculiar/x509: that one
 * brings tsyringe and reflect-metadata and about 230 KB into a function's zip (scripts/package-checks.ts).
 */

/** Attribute types of a distinguished name (RFC 5280 §4.1.2.4). */
export const NAME_OID = {
  country: "2.5.4.6",
  organization: "2.5.4.10",
  organizationalUnit: "2.5.4.11",
  commonName: "2.5.4.3",
} as const;

/** Signature algorithms (RFC 5758, RFC 4055): OID → hash. */
const SIGNATURE_HASH: Record<string, string> = {
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
};
const ECDSA_WITH_SHA256 = new AlgorithmIdentifier({ algorithm: "1.2.840.10045.4.3.2" });
/** sha256WithRSAEncryption takes NULL parameters (RFC 4055 §5). */
const SHA256_WITH_RSA = new AlgorithmIdentifier({
  algorithm: "1.2.840.113549.1.1.11",
  parameters: new Uint8Array([0x05, 0x00]).buffer,
});

/** A name of one attribute per RDN, in the order given; `printable` writes a PrintableString, else UTF8String. */
export function distinguishedName(...attributes: { type: string; value: string; printable?: boolean }[]): Name {
  return new Name(
    attributes.map(
      ({ type, value, printable }) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({
            type,
            value: new AttributeValue(printable ? { printableString: value } : { utf8String: value }),
          }),
        ]),
    ),
  );
}

/** The PEM blocks of `text`, in order, with their labels. */
export function pemBlocks(text: string): { label: string; der: Buffer }[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)].map((block) => ({
    label: block[1] ?? "",
    der: Buffer.from((block[2] ?? "").replace(/\s+/g, ""), "base64"),
  }));
}

export const toPem = (der: Uint8Array, label: string) =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? []
  ).join("\n")}\n-----END ${label}-----\n`;

/** The algorithm a key signs with here: ECDSA or RSA PKCS#1 v1.5, with SHA-256. */
function algorithmOf(key: KeyObject): AlgorithmIdentifier {
  if (key.asymmetricKeyType === "ec") return ECDSA_WITH_SHA256;
  if (key.asymmetricKeyType === "rsa") return SHA256_WITH_RSA;
  throw new Error(`cannot sign with a ${key.asymmetricKeyType} key`);
}

/** A PKCS#10 request for `subject`, signed by the private half of `publicKey`. */
export function createCsr(subject: Name, publicKey: KeyObject, privateKey: KeyObject): Buffer {
  const info = new CertificationRequestInfo({
    version: 0,
    subject,
    subjectPKInfo: AsnConvert.parse(publicKey.export({ type: "spki", format: "der" }), SubjectPublicKeyInfo),
    attributes: new Attributes(),
  });
  const signature = sign("sha256", Buffer.from(AsnConvert.serialize(info)), privateKey);
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: algorithmOf(privateKey),
    signature: new Uint8Array(signature).buffer,
  });
  return Buffer.from(AsnConvert.serialize(request));
}

/** A parsed PKCS#10 request: its subject and key, and whether its own signature verifies. */
export type ParsedCsr = { subject: Name; spki: Buffer; signatureVerifies: boolean };

/** Parses a DER PKCS#10 request; throws when it is not one. */
export function parseCsr(der: Uint8Array): ParsedCsr {
  const request = AsnConvert.parse(der, CertificationRequest);
  const info = request.certificationRequestInfoRaw;
  const spki = Buffer.from(AsnConvert.serialize(request.certificationRequestInfo.subjectPKInfo));
  const key = createPublicKey({ key: spki, format: "der", type: "spki" });
  const hash = SIGNATURE_HASH[request.signatureAlgorithm.algorithm];
  if (!info) throw new Error("not a CertificationRequest");
  return {
    subject: request.certificationRequestInfo.subject,
    spki,
    signatureVerifies: hash !== undefined && verify(hash, Buffer.from(info), key, Buffer.from(request.signature)),
  };
}

/** Parses a DER certificate; throws when it is not one. */
export const parseCertificate = (der: Uint8Array) => AsnConvert.parse(der, Certificate);

const extension = (extnID: string, critical: boolean, value: unknown) =>
  new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

/** Basic Constraints (RFC 5280 §4.2.1.9), critical. */
export const basicConstraints = (ca: boolean) =>
  extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: ca }));

/** Key Usage keyCertSign and cRLSign (RFC 5280 §4.2.1.3), critical: a CA's. */
export const caKeyUsage = () =>
  extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign));

/** Subject Key Identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1). */
export function subjectKeyIdentifier(spki: Uint8Array): Extension {
  const bits = AsnConvert.parse(spki, SubjectPublicKeyInfo).subjectPublicKey;
  const id = createHash("sha1").update(Buffer.from(bits)).digest();
  return extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(id));
}

/** 16 random bytes as a positive serial number (RFC 5280 §4.1.2.2: at most 20 octets). */
function serialNumber(): ArrayBuffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return new Uint8Array(bytes).buffer;
}

/**
 * An X.509 v3 certificate (DER) for `spki` under `subject`, issued by `issuer` and signed by `signer` (ECDSA or RSA
 * with SHA-256); validity to the second.
 */
export function issueCertificate(spec: {
  issuer: Name;
  subject: Name;
  spki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
  signer: KeyObject;
}): Buffer {
  const algorithm = algorithmOf(spec.signer);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature: algorithm,
    issuer: spec.issuer,
    validity: new Validity({ notBefore: spec.notBefore, notAfter: spec.notAfter }),
    subject: spec.subject,
    subjectPublicKeyInfo: AsnConvert.parse(spec.spki, SubjectPublicKeyInfo),
    ...(spec.extensions.length > 0 ? { extensions: new Extensions(spec.extensions) } : {}),
  });
  const signature = sign("sha256", Buffer.from(AsnConvert.serialize(tbs)), spec.signer);
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: new Uint8Array(signature).buffer,
  });
  return Buffer.from(AsnConvert.serialize(certificate));
}
