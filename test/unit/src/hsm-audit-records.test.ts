import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isKeyDeletion, parseHsmAuditRecord, sameKeyNumber } from "../../../src/hsm-audit-records";

/** One verbatim audit record of test/events/aws (SOURCES.md, "CloudHSM audit log records"). */
const record = (name: string) => readFileSync(join(__dirname, `../../events/aws/cloudhsm-audit-${name}.txt`), "utf8");

describe("parseHsmAuditRecord", () => {
  it("returns the time, sequence, opcode, session, response and key handle of the documented key deletion", () => {
    expect(parseHsmAuditRecord(record("destroy-object"))).toEqual({
      time: "2017-12-13T23:09:04.815Z",
      usecs: "1513206544815530",
      sequenceNo: "0x2b",
      rebootCounter: "0xe8",
      commandType: "CN_MGMT_CMD (0x0)",
      opcode: "CN_DESTROY_OBJECT",
      opcodeCode: "0x11",
      sessionHandle: "0x2014004",
      response: { code: 0, message: "HSM Return: SUCCESS" },
      logType: "MGMT_KEY_DETAILS_LOG (1)",
      keyHandle: "131079",
      publicKeyHandle: "0",
    });
  });

  it("returns the user name and type of logins, and the error code of a refused one", () => {
    expect(parseHsmAuditRecord(record("login-crypto-user"))).toMatchObject({
      opcode: "CN_LOGIN",
      opcodeCode: "0xd",
      userName: "crypto_user",
      userType: "CN_CRYPTO_USER (1)",
      response: { code: 0 },
    });
    expect(parseHsmAuditRecord(record("login-failure"))).toMatchObject({
      opcode: "CN_LOGIN",
      userName: "testuser",
      response: { code: 163, message: "HSM Error: RET_USER_LOGIN_FAILURE" },
    });
    expect(parseHsmAuditRecord(record("login-unknown-user"))?.response).toEqual({
      code: 157,
      message: "HSM Error: user isn't initialized or user with this name doesn't exist",
    });
  });

  it("returns the same fields whatever separator the record uses (' : ', ': ' or a tab)", () => {
    expect(parseHsmAuditRecord(record("generate-key"))).toMatchObject({
      opcode: "CN_GENERATE_KEY",
      keyHandle: "262152",
      publicKeyHandle: "0",
      sequenceNo: "0x1",
    });
    expect(parseHsmAuditRecord(record("share-object"))).toMatchObject({
      opcode: "CN_SHARE_OBJECT",
      opcodeCode: "0x12",
      sequenceNo: "0x3f",
      sessionHandle: "0x3014007",
      logType: "UNKNOWN_LOG_TYPE (5)",
    });
    expect(parseHsmAuditRecord(record("change-password"))).toMatchObject({
      opcode: "CN_CHANGE_PSWD",
      userName: "admin",
      userType: "CN_CRYPTO_PRE_OFFICER (6)",
    });
  });

  it("returns every documented record parsed, none of them carrying a password field", () => {
    const names = [
      "change-password",
      "login-crypto-officer",
      "login-unknown-user",
      "login-failure",
      "login-crypto-user",
      "generate-key-pair",
      "destroy-object-public-key",
      "destroy-object",
      "logout-crypto-user",
      "generate-key",
      "share-object",
    ];

    const parsed = names.map((name) => parseHsmAuditRecord(record(name)));

    expect(parsed.every((r) => r !== undefined)).toBe(true);
    expect(parsed.flatMap((r) => Object.keys(r ?? {})).filter((k) => /pass|pswd/i.test(k))).toEqual([]);
  });

  it("returns undefined for what is not an HSM audit record", () => {
    // A certificate storage audit log line (pkcs11-certificate-storage-audit-logs.html, DestroyObject example).
    const certificate =
      '{"object_handle": 463180677312929947, "op_code": "DestroyObject", "response": "OK", "attributes": null, "timestamp": 1725482484559}';
    const withoutOpcode = record("destroy-object").replace(/^Opcode.*$/m, "");

    expect(parseHsmAuditRecord(certificate)).toBeUndefined();
    expect(parseHsmAuditRecord("")).toBeUndefined();
    expect(parseHsmAuditRecord(withoutOpcode)).toBeUndefined();
  });
});

describe("isKeyDeletion", () => {
  it("returns true for CN_DESTROY_OBJECT and CN_TOMBSTONE_OBJECT that succeeded, false otherwise", () => {
    const destroyed = parseHsmAuditRecord(record("destroy-object"));
    // No page shows a CN_TOMBSTONE_OBJECT record: the documented deletion with its opcode swapped, number left out.
    const tombstoned = parseHsmAuditRecord(
      record("destroy-object").replace("CN_DESTROY_OBJECT (0x11)", "CN_TOMBSTONE_OBJECT"),
    );
    const refused = parseHsmAuditRecord(
      record("destroy-object").replace("0:HSM Return: SUCCESS", "163:HSM Error: RET_USER_LOGIN_FAILURE"),
    );

    expect(destroyed && isKeyDeletion(destroyed)).toBe(true);
    expect(tombstoned).toMatchObject({ opcode: "CN_TOMBSTONE_OBJECT" });
    expect(tombstoned && isKeyDeletion(tombstoned)).toBe(true);
    expect(refused && isKeyDeletion(refused)).toBe(false);
    expect(isKeyDeletion(parseHsmAuditRecord(record("generate-key-pair")) as never)).toBe(false);
  });
});

describe("sameKeyNumber", () => {
  it("returns true only when the decimal handle and the hex key reference are the same number", () => {
    expect(sameKeyNumber("131079", "0x0000000000020007")).toBe(true);
    expect(sameKeyNumber("131078", "0x0000000000020007")).toBe(false);
    expect(sameKeyNumber(undefined, "0x0000000000020007")).toBe(false);
    expect(sameKeyNumber("0x20007", "0x0000000000020007")).toBe(false);
  });
});
