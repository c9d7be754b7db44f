import { storeSelection } from "../../../src/key-stores";

const CKS = "cks-1234567890abcdef0";

describe("storeSelection", () => {
  it("returns false for every store with none, true with all, and true only for the listed stores otherwise", () => {
    expect(storeSelection("CANCEL_DELETION_ON_USE", "none")(CKS)).toBe(false);
    expect(storeSelection("CANCEL_DELETION_ON_USE", "")(CKS)).toBe(false);
    expect(storeSelection("CANCEL_DELETION_ON_USE", "all")(CKS)).toBe(true);
    const listed = storeSelection("BACKUP_PURGE_STORES", `${CKS}, cks-0987654321fedcba0`);
    expect([listed(CKS), listed("cks-0987654321fedcba0"), listed("cks-1111111111aaaaaaa")]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("throws naming the setting and the bad value when an entry is not a key store id", () => {
    expect(() => storeSelection("BACKUP_PURGE_STORES", `${CKS},my-store`)).toThrow(
      "Invalid configuration: BACKUP_PURGE_STORES: 'my-store' is not a custom key store id",
    );
  });
});
