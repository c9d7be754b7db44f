import { randomInt } from "node:crypto";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A kmsuser password: alphanumeric only, 8–32 characters, which satisfies both KMS (7–32) and CloudHSM (8–32, no ':')
 * (DOMAIN.md §9.4). Drawn with the crypto RNG and no modulo bias (randomInt rejects out-of-range draws).
 */
export function generatePassword(length = 32): string {
  if (!Number.isInteger(length) || length < 8 || length > 32) throw new RangeError("length must be 8 to 32");
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}
