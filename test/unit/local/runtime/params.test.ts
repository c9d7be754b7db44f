import { paramsFromText } from "../../../../local/runtime/serverless-config";

describe("paramsFromText (LOCAL_RUNTIME_PARAMS)", () => {
  it("returns each name=value pair, values keeping their commas, and none for an empty or absent setting", () => {
    expect(paramsFromText("backupCopyRegions=eu-west-1, us-west-2; backupPurgeStores=all")).toEqual({
      backupCopyRegions: "eu-west-1, us-west-2",
      backupPurgeStores: "all",
    });
    expect(paramsFromText("")).toEqual({});
    expect(paramsFromText(undefined)).toEqual({});
  });

  it("throws naming the entry when one has no name or no =", () => {
    expect(() => paramsFromText("backupPurgeStores")).toThrow('Invalid LOCAL_RUNTIME_PARAMS entry "backupPurgeStores"');
    expect(() => paramsFromText("=all")).toThrow('Invalid LOCAL_RUNTIME_PARAMS entry "=all"');
    expect(() => paramsFromText("two words=x")).toThrow('Invalid LOCAL_RUNTIME_PARAMS entry "two words=x"');
  });
});
