import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SoftHsm } from "../../../../../local/account/hsm/softhsm";

const LIBRARY = process.env.SOFTHSM2_LIBRARY ?? "/usr/lib/softhsm/libsofthsm2.so";

describe("SoftHsm backups of key material", () => {
  let hsm: SoftHsm;
  beforeAll(() => {
    const dataDir = mkdtempSync(join(tmpdir(), "softhsm-"));
    hsm = new SoftHsm(dataDir, LIBRARY);
    hsm.open();
  });
  afterAll(() => hsm.close());

  it("returns the original plaintext when a key exported from one token is imported into another and decrypts", () => {
    hsm.ensureToken("cluster-source11111");
    hsm.ensureToken("cluster-restored111");
    const key = { label: "arn:aws:kms:us-east-1:111122223333:key/one", id: "backing-key-one" };
    hsm.generateKey("cluster-source11111", key);
    const aad = Buffer.from("context");
    const blob = hsm.encrypt("cluster-source11111", key.id, Buffer.from("top secret"), aad);

    const exported = hsm.exportKeys("cluster-source11111");
    hsm.importKeys("cluster-restored111", exported);

    expect(exported).toEqual([{ ...key, wrapped: expect.any(String) }]);
    expect(hsm.listKeys("cluster-restored111")).toEqual([key]);
    expect(hsm.decrypt("cluster-restored111", key.id, blob, aad).toString()).toBe("top secret");
  });

  it("returns the material from an export taken before the key was deleted from the token", () => {
    hsm.ensureToken("cluster-deleted1111");
    hsm.ensureToken("cluster-recovered11");
    const key = { label: "arn:aws:kms:us-east-1:111122223333:key/two", id: "backing-key-two" };
    hsm.generateKey("cluster-deleted1111", key);
    const blob = hsm.encrypt("cluster-deleted1111", key.id, Buffer.from("still here"), Buffer.alloc(0));
    const backup = hsm.exportKeys("cluster-deleted1111");

    hsm.deleteKey("cluster-deleted1111", key.id);
    hsm.importKeys("cluster-recovered11", backup);

    expect(hsm.hasKey("cluster-deleted1111", key.id)).toBe(false);
    expect(hsm.decrypt("cluster-recovered11", key.id, blob, Buffer.alloc(0)).toString()).toBe("still here");
  });

  it("throws when ciphertext is decrypted with a different context", () => {
    hsm.ensureToken("cluster-tampered111");
    const key = { label: "l", id: "backing-key-three" };
    hsm.generateKey("cluster-tampered111", key);
    const blob = hsm.encrypt("cluster-tampered111", key.id, Buffer.from("x"), Buffer.from("a"));

    expect(() => hsm.decrypt("cluster-tampered111", key.id, blob, Buffer.from("b"))).toThrow();
  });
});
