import { createHash, createPublicKey, type KeyObject, randomBytes, sign, verify } from "node:crypto";
import * as asn1 from "asn1js";

/**
 * The X.509 the product and the local account build and read: PKCS#10 requests (RFC 2986) and certificates
 * (RFC 5280), synchronously (the local account's operations run inside one SQLite transaction). asn1js encodes and
 * decodes the DER; node:crypto makes keys, signs and verifies. asn1js alone: the @peculiar/asn1-* schemas built on
 * it took provisionSignCsr's zip to 299 KiB (asn1js alone: 232 KiB), over the budget of scripts/package-checks.ts
 * (MAX_ZIP_BYTES), and @peculiar/x509 adds tsyringe and reflect-metadata on top.
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

const oid = (value: string) => new asn1.ObjectIdentifier({ value });
const sequence = (...value: asn1.AsnType[]) => new asn1.Sequence({ value });
/** An element already DER-encoded (a Name, a SubjectPublicKeyInfo), decoded to be written again as it was. */
function raw(der: Uint8Array): asn1.AsnType {
  const { offset, result } = asn1.fromBER(der);
  if (offset === -1) throw new Error(`not DER: ${result.error}`);
  return result;
}
/** [n] EXPLICIT. */
const explicit = (tagNumber: number, ...value: asn1.AsnType[]) =>
  new asn1.Constructed({ idBlock: { tagClass: 3, tagNumber }, value });
const derOf = (value: asn1.AsnType) => Buffer.from(value.toBER(false));

/** The algorithm a key signs with here: ECDSA (no parameters) or RSA PKCS#1 v1.5 (NULL parameters), with SHA-256. */
function algorithmOf(key: KeyObject): asn1.Sequence {
  if (key.asymmetricKeyType === "ec") return sequence(oid("1.2.840.10045.4.3.2"));
  if (key.asymmetricKeyType === "rsa") return sequence(oid("1.2.840.113549.1.1.11"), new asn1.Null());
  throw new Error(`cannot sign with a ${key.asymmetricKeyType} key`);
}

/** A DER Name of one attribute per RDN, in the order given; `printable` writes a PrintableString, else UTF8String. */
export function distinguishedName(...attributes: { type: string; value: string; printable?: boolean }[]): Buffer {
  return derOf(
    sequence(
      ...attributes.map(
        ({ type, value, printable }) =>
          new asn1.Set({
            value: [
              sequence(oid(type), printable ? new asn1.PrintableString({ value }) : new asn1.Utf8String({ value })),
            ],
          }),
      ),
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

/** The elements of a DER SEQUENCE (or of any constructed element); throws when `der` is not one. */
function elementsOf(der: Uint8Array): asn1.AsnType[] {
  const { offset, result } = asn1.fromBER(der);
  if (offset === -1 || !(result instanceof asn1.Constructed)) throw new Error("not a DER SEQUENCE");
  return result.valueBlock.value;
}
const bytesOf = (element: asn1.AsnType | undefined) => {
  if (!element) throw new Error("missing DER element");
  return Buffer.from(element.valueBeforeDecodeView);
};

/** A PKCS#10 request (DER) for the DER Name `subject`, signed by `privateKey`, the private half of `publicKey`. */
export function createCsr(subject: Uint8Array, publicKey: KeyObject, privateKey: KeyObject): Buffer {
  const info = derOf(
    sequence(
      new asn1.Integer({ value: 0 }),
      raw(subject),
      raw(publicKey.export({ type: "spki", format: "der" })),
      new asn1.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [] }), // attributes [0], none
    ),
  );
  const signature = sign("sha256", info, privateKey);
  return derOf(sequence(raw(info), algorithmOf(privateKey), new asn1.BitString({ valueHex: signature })));
}

/** A parsed PKCS#10 request: its DER subject and key, and whether its own signature verifies. */
export type ParsedCsr = { subject: Buffer; spki: Buffer; signatureVerifies: boolean };

/** Parses a DER PKCS#10 request; throws when it is not one. */
export function parseCsr(der: Uint8Array): ParsedCsr {
  const [info, algorithm, signature] = elementsOf(der);
  const [, subject, spki] = elementsOf(bytesOf(info));
  const [algorithmId] = elementsOf(bytesOf(algorithm));
  if (!(algorithmId instanceof asn1.ObjectIdentifier) || !(signature instanceof asn1.BitString)) {
    throw new Error("not a CertificationRequest");
  }
  const key = createPublicKey({ key: bytesOf(spki), format: "der", type: "spki" });
  const hash = SIGNATURE_HASH[algorithmId.valueBlock.toString()];
  return {
    subject: bytesOf(subject),
    spki: bytesOf(spki),
    signatureVerifies:
      hash !== undefined &&
      verify(hash, bytesOf(info), key, Buffer.from(signature.valueBlock.valueHexView.subarray(0))),
  };
}

/** A certificate's DER subject Name and whether it has an X509v3 extensions field; throws when it is not one. */
export function certificateFields(der: Uint8Array): { subject: Buffer; hasExtensions: boolean } {
  const [tbs] = elementsOf(der);
  const fields = elementsOf(bytesOf(tbs));
  const versioned = fields[0]?.idBlock.tagClass === 3 && fields[0].idBlock.tagNumber === 0;
  return {
    subject: bytesOf(fields[versioned ? 5 : 4]),
    hasExtensions: fields.some((field) => field.idBlock.tagClass === 3 && field.idBlock.tagNumber === 3),
  };
}

/** One extension (RFC 5280 §4.1.2.9): its OID, criticality and DER value. */
export type Extension = { id: string; critical: boolean; value: asn1.AsnType };

/** Basic Constraints (RFC 5280 §4.2.1.9), critical; CA:FALSE is the empty SEQUENCE (DEFAULT FALSE). */
export const basicConstraints = (ca: boolean): Extension => ({
  id: "2.5.29.19",
  critical: true,
  value: ca ? sequence(new asn1.Boolean({ value: true })) : sequence(),
});

/** Key Usage keyCertSign and cRLSign (RFC 5280 §4.2.1.3: bits 5 and 6), critical: a CA's. */
export const caKeyUsage = (): Extension => ({
  id: "2.5.29.15",
  critical: true,
  value: new asn1.BitString({ valueHex: new Uint8Array([0x06]), unusedBits: 1 }),
});

/** Subject Key Identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1). */
export function subjectKeyIdentifier(spki: Uint8Array): Extension {
  const [, bits] = elementsOf(spki);
  if (!(bits instanceof asn1.BitString)) throw new Error("not a SubjectPublicKeyInfo");
  const id = createHash("sha1").update(bits.valueBlock.valueHexView).digest();
  return { id: "2.5.29.14", critical: false, value: new asn1.OctetString({ valueHex: id }) };
}

/** 16 random bytes as a positive serial number (RFC 5280 §4.1.2.2: at most 20 octets). */
function serialNumber(): asn1.Integer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return new asn1.Integer({ valueHex: bytes });
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), to the second (no fractions). */
function time(date: Date): asn1.AsnType {
  const valueDate = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return valueDate.getUTCFullYear() < 2050 ? new asn1.UTCTime({ valueDate }) : new asn1.GeneralizedTime({ valueDate });
}

/**
 * An X.509 v3 certificate (DER) for `spki` under the DER Name `subject`, issued by the DER Name `issuer` and signed
 * by `signer` (ECDSA or RSA with SHA-256).
 */
export function issueCertificate(spec: {
  issuer: Uint8Array;
  subject: Uint8Array;
  spki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
  signer: KeyObject;
}): Buffer {
  const algorithm = algorithmOf(spec.signer);
  const extensions = spec.extensions.map((e) =>
    sequence(
      oid(e.id),
      ...(e.critical ? [new asn1.Boolean({ value: true })] : []),
      new asn1.OctetString({ valueHex: derOf(e.value) }),
    ),
  );
  const tbs = derOf(
    sequence(
      explicit(0, new asn1.Integer({ value: 2 })), // v3
      serialNumber(),
      algorithm,
      raw(spec.issuer),
      sequence(time(spec.notBefore), time(spec.notAfter)),
      raw(spec.subject),
      raw(spec.spki),
      ...(extensions.length > 0 ? [explicit(3, sequence(...extensions))] : []),
    ),
  );
  return derOf(sequence(raw(tbs), algorithm, new asn1.BitString({ valueHex: sign("sha256", tbs, spec.signer) })));
}
