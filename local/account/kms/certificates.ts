import { generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { bitString, bool, explicit, integer, octetString, oid, pem, seq, set, time, utf8 } from "../der";

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
  return pem("CERTIFICATE", seq(tbs, algorithm, bitString(signature)));
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
