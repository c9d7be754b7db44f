import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A secret value as it rests in the store: AES-256-GCM under the account's secrets key, never in clear. */
export type Sealed = { iv: string; tag: string; data: string };

/**
 * Encryption at rest for the local Secrets Manager: one AES-256 key in `<dataDir>/secretsmanager/key` (0600), made on
 * first start, as local/account/hsm/softhsm.ts keeps its PINs. The SQLite file only ever holds sealed values.
 */
export class Vault {
  private readonly key: Buffer;

  constructor(dataDir: string) {
    const dir = join(dataDir, "secretsmanager");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, "key");
    if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600 });
    chmodSync(file, 0o600);
    this.key = Buffer.from(readFileSync(file, "utf8").trim(), "hex");
    if (this.key.length !== 32) throw new Error(`${file} must hold a 256-bit key in hex`);
  }

  /** `aad` binds the ciphertext to its secret and version, so a sealed value cannot be moved to another record. */
  seal(plain: string, aad: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return { iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") };
  }

  open(sealed: Sealed, aad: string): string {
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(sealed.iv, "base64"));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]).toString("utf8");
  }
}
