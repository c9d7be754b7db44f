import { generateKeyPairSync, type KeyObject } from "node:crypto";
import {
  basicConstraints,
  distinguishedName,
  issueCertificate as issue,
  NAME_OID,
  toPem,
} from "../../../src/workflows/provision-key-store/x509";

/**
 * Just enough X.509 to issue real, verifiable certificates synchronously (control routes are synchronous): an
 * ECDSA P-256 self-signed trust anchor (RFC 5280, Basic Constraints CA:TRUE, as CloudHSM requires) and a cluster
 * certificate it signs, issued by the product's own src/workflows/provision-key-store/x509 (node:crypto parses certificates but cannot
 * build them).
 */
export type Issued = { pem: string; privateKey: KeyObject; publicKey: KeyObject; subject: Buffer };

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
  const der = issue({
    issuer: spec.issuer,
    subject: spec.subject,
    spki: spec.publicKey.export({ type: "spki", format: "der" }),
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    extensions: [basicConstraints(spec.ca)],
    signer: spec.signer,
  });
  return toPem(der, "CERTIFICATE");
}

function name(commonName: string): Buffer {
  return distinguishedName(
    { type: NAME_OID.organization, value: "keystore-autopilot local account" },
    { type: NAME_OID.commonName, value: commonName },
  );
}

function addYears(date: Date, years: number): Date {
  const out = new Date(date.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}
