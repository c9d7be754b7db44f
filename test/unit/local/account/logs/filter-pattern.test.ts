import { compileFilterPattern } from "../../../../../local/account/logs/filter-pattern";

// The examples of the CloudWatch Logs User Guide, FilterAndPatternSyntax.html ("Matching terms in unstructured log
// events"), on lines of an HSM audit record.
const login = "Opcode : CN_LOGIN (0xd)\nResponse : 163:HSM Error: RET_USER_LOGIN_FAILURE";
const deletion = "Opcode : CN_DESTROY_OBJECT (0x11)\nResponse : 0:HSM Return: SUCCESS";

describe("compileFilterPattern", () => {
  it("returns a match for every event when the pattern is empty or absent", () => {
    expect(compileFilterPattern("")(login)).toBe(true);
    expect(compileFilterPattern(undefined)(deletion)).toBe(true);
  });

  it("returns a match only when every plain term appears, case-sensitively", () => {
    expect(compileFilterPattern("CN_LOGIN RET_USER_LOGIN_FAILURE")(login)).toBe(true);
    expect(compileFilterPattern("CN_LOGIN SUCCESS")(login)).toBe(false);
    expect(compileFilterPattern("cn_login")(login)).toBe(false);
  });

  it("returns a match when any ?term appears, and none when a -term appears", () => {
    const either = compileFilterPattern("?CN_DESTROY_OBJECT ?CN_TOMBSTONE_OBJECT");

    expect(either(deletion)).toBe(true);
    expect(either(login)).toBe(false);
    expect(compileFilterPattern("-CN_LOGIN")(login)).toBe(false);
    expect(compileFilterPattern("-CN_LOGIN")(deletion)).toBe(true);
  });

  it("returns a quoted phrase matched as one term", () => {
    expect(compileFilterPattern('"HSM Return: SUCCESS"')(deletion)).toBe(true);
    expect(compileFilterPattern('"HSM Return: SUCCESS"')(login)).toBe(false);
  });

  it("throws InvalidParameterException for JSON, space-delimited and regex patterns, which it does not model", () => {
    for (const pattern of ['{ $.opcode = "CN_LOGIN" }', "[opcode, response]", "%CN_[A-Z]+%"]) {
      expect(() => compileFilterPattern(pattern)).toThrow(
        expect.objectContaining({ code: "InvalidParameterException" }),
      );
    }
  });
});
