/**
 * The little DER the certificate steps need (X.690): read the elements of a CSR or certificate, and write those of
 * a TBSCertificate. Small on purpose: an X.509 library pulled ~230 KB into the zip of every function that loaded it
 * (scripts/package-checks.ts, MAX_ZIP_BYTES); node:crypto signs, verifies and parses the rest.
 */

/** One element: its tag, where it starts (header included), where its content starts, where it ends. */
export type Element = { tag: number; start: number; contentStart: number; end: number };

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

/** The element at `offset` of `der` (single-byte tags; definite lengths, as DER requires). */
export function readElement(der: Uint8Array, offset = 0): Element {
  const tag = der[offset];
  let lengthByte = der[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new DerError("truncated DER");
  let contentStart = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new DerError("unsupported DER length");
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = der[contentStart + i];
      if (lengthByte === undefined) throw new DerError("truncated DER");
      length = length * 256 + lengthByte;
    }
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > der.length) throw new DerError("truncated DER");
  return { tag, start: offset, contentStart, end };
}

/** The elements inside a constructed element (a SEQUENCE, SET or explicit tag). */
export function children(der: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readElement(der, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

export const bytesOf = (der: Uint8Array, e: Element) => Buffer.from(der.subarray(e.start, e.end));
export const contentOf = (der: Uint8Array, e: Element) => Buffer.from(der.subarray(e.contentStart, e.end));

/** Decodes an OBJECT IDENTIFIER's content to dotted form. */
export function oidOf(content: Uint8Array): string {
  const first = content[0] ?? 0;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (const byte of content.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

/** Writes one element: tag, DER length, content. */
export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  if (n > 0xffff) throw new DerError("element too long");
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

export const sequence = (...content: Uint8Array[]) => tlv(0x30, ...content);
export const set = (...content: Uint8Array[]) => tlv(0x31, ...content);
export const octetString = (content: Uint8Array) => tlv(0x04, content);
/** A BIT STRING with `unused` trailing bits in its last byte. */
export const bitString = (content: Uint8Array, unused = 0) => tlv(0x03, Buffer.from([unused]), content);
export const utf8String = (text: string) => tlv(0x0c, Buffer.from(text, "utf8"));
export const BOOLEAN_TRUE = Buffer.from([0x01, 0x01, 0xff]);
export const NULL = Buffer.from([0x05, 0x00]);
/** [n] EXPLICIT, constructed context-specific tag. */
export const explicit = (n: number, ...content: Uint8Array[]) => tlv(0xa0 + n, ...content);

/** A non-negative INTEGER from its big-endian bytes (a leading 0x00 keeps the high bit from making it negative). */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export const smallInteger = (n: number) => tlv(0x02, Buffer.from([n]));

export function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [a * 40 + b];
  for (const value of rest) {
    const chunk = [value & 0x7f];
    for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), to the second. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-11-23T10:14:20.123Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), "ascii")) : tlv(0x18, Buffer.from(digits, "ascii"));
}

/** The DER of the first PEM block labelled `label` in `pem` (undefined when there is none). */
export function pemBody(pem: string, label: RegExp): Buffer | undefined {
  for (const block of pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    if (label.test(block[1] ?? "")) return Buffer.from((block[2] ?? "").replace(/\s+/g, ""), "base64");
  }
  return undefined;
}

export const toPem = (der: Uint8Array, label: string) =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? []
  ).join("\n")}\n-----END ${label}-----\n`;
