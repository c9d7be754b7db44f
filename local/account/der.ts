/**
 * Just enough DER to build X.509 certificates and PKCS#10 requests synchronously (the local account's operations are
 * synchronous; node:crypto parses certificates but cannot build them).
 */
export function tlv(tag: number, body: Buffer): Buffer {
  const bytes: number[] = [];
  for (let n = body.length; n > 0; n >>>= 8) bytes.unshift(n & 0xff);
  const length = body.length < 0x80 ? [body.length] : [0x80 | bytes.length, ...bytes];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

export const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
export const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
export const explicit = (n: number, body: Buffer) => tlv(0xa0 + n, body);
export const octetString = (body: Buffer) => tlv(0x04, body);
export const bitString = (body: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), body]));
export const bool = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0]));
export const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, "utf8"));
export const printable = (text: string) => tlv(0x13, Buffer.from(text, "ascii"));
/** One relative distinguished name: SET { SEQUENCE { type, value } }. */
export const rdn = (type: string, value: Buffer) => set(seq(oid(type), value));

export function integer(value: Buffer): Buffer {
  return tlv(0x02, (value[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
}

export function oid(dotted: string): Buffer {
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
export function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

export function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
