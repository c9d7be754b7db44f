import { generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";

/**
 * Just enough X.509 to issue real, verifiable certificates synchronously (control routes are synchronous): an
 * ECDSA P-256 self-signed trust anchor (RFC 5280, Basic Constraints CA:TRUE, as CloudHSM requires) and a cluster
 * certificate it signs. node:crypto parses certificates but cannot build them, hence this small DER encoder.
 */
export type Issued = { pem: string; privateKey: KeyObject; publicKey: KeyObject; subject: Buffer };

const OID = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  basicConstraints: "2.5.29.19",
};

export function selfSignedTrustAnchor(commonName: string, notBefore: Date, years = 10): Issued {
  const keys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const subject = name(commonName);
  const pem = certificate({
    issuer: subject,
    subject,
    publicKey: keys.publicKey,
    signer: keys.privateKey,
    notBefore,
    notAfter: addYears(notBefore, years),
    ca: true,
  });
  return { pem, ...keys, subject };
}

export function issueCertificate(issuer: Issued, commonName: string, notBefore: Date, years = 10): Issued {
  const keys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const subject = name(commonName);
  const pem = certificate({
    issuer: issuer.subject,
    subject,
    publicKey: keys.publicKey,
    signer: issuer.privateKey,
    notBefore,
    notAfter: addYears(notBefore, years),
    ca: false,
  });
  return { pem, ...keys, subject };
}

function certificate(spec: {
  issuer: Buffer;
  subject: Buffer;
  publicKey: KeyObject;
  signer: KeyObject;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
}): string {
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01;
  const basicConstraints = seq(oid(OID.basicConstraints), bool(true), octetString(spec.ca ? seq(bool(true)) : seq()));
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    spec.issuer,
    seq(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spec.publicKey.export({ type: "spki", format: "der" }),
    explicit(3, seq(basicConstraints)),
  );
  const signature = sign("sha256", tbs, spec.signer);
  const der = seq(tbs, algorithm, bitString(signature));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

function name(commonName: string): Buffer {
  return seq(
    set(seq(oid(OID.organization), utf8("keystore-autopilot local account"))),
    set(seq(oid(OID.commonName), utf8(commonName))),
  );
}

function addYears(date: Date, years: number): Date {
  const out = new Date(date.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const explicit = (n: number, body: Buffer) => tlv(0xa0 + n, body);
const octetString = (body: Buffer) => tlv(0x04, body);
const bitString = (body: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), body]));
const bool = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0]));
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, "utf8"));

function integer(value: Buffer): Buffer {
  return tlv(0x02, (value[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const out = [40 * first + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}
