import { randomBytes, randomUUID } from "node:crypto";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** A lower-case base32 suffix as in `cluster-[2-7a-zA-Z]{11,16}` and `hsm-…` ids. */
export function base32(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += BASE32[b % 32];
  return out;
}

export const newClusterId = () => `cluster-${base32(11)}`;
export const newHsmId = () => `hsm-${base32(11)}`;
export const newBackupId = () => `backup-${base32(11)}`;
export const newKeyStoreId = () => `cks-${randomBytes(8).toString("hex").slice(0, 17)}`;
export const newKeyId = () => randomUUID();
/** 64 hex characters, like the backingKeyId values in KMS's CloudTrail records. */
export const newBackingKeyId = () => randomBytes(32).toString("hex");

/** AWS JSON protocols carry timestamps as epoch seconds. */
export const epochSeconds = (ms: number) => ms / 1000;
