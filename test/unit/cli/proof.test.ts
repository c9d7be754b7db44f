import { renderAuditRecords, renderProof } from "../../../cli/commands/proof";
import type { AuditRecords, Proof } from "../../../src/ports/proofs";

const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
const audit = (more: Partial<AuditRecords> = {}): AuditRecords => ({
  status: "FOUND",
  logGroup: "/aws/cloudhsm/cluster-jxhlf7644ne",
  from: "2026-11-09T00:00:00.000Z",
  to: "2026-11-10T01:00:00.000Z",
  readAt: "2026-11-12T00:00:00.000Z",
  matchedBy: "time-window",
  records: [
    {
      hsmId: "hsm-nwbbiqbj4jk",
      time: "2026-11-09T23:59:58.000Z",
      sequenceNo: "0x2b",
      opcode: "CN_DESTROY_OBJECT",
      response: "0:HSM Return: SUCCESS",
      keyHandle: "131079",
      message: "Time: …",
    },
  ],
  leftOut: 0,
  truncated: false,
  ...more,
});
const proof = (more: Partial<Proof> = {}): Proof => ({
  keyArn: KEY_ARN,
  customKeyStoreId: "cks-1234567890abcdef0",
  clusterId: "cluster-jxhlf7644ne",
  deletion: { deleteKeyEventAt: "2026-11-10T00:00:00Z", backingKeysDeletionStatus: "SUCCESS" },
  material: { state: "DELETED", at: "2026-11-10T00:00:00Z", by: "kms" },
  backups: [],
  status: "CLOSED",
  reason: "the material is gone",
  openedBy: "followup-a",
  openedAt: "2026-11-12T00:00:00.000Z",
  updatedAt: "2026-11-12T00:00:00.000Z",
  closedAt: "2026-11-12T00:00:00.000Z",
  history: [],
  version: 1,
  ...more,
});

describe("renderProof", () => {
  it("returns the audit log's deletion records under the material, saying how they are tied to the key", () => {
    const text = renderProof(proof({ auditRecords: audit() }));

    expect(text).toContain("audit log: 1 deletion record(s) in /aws/cloudhsm/cluster-jxhlf7644ne");
    expect(text).toContain("not tied to this key");
    expect(text).toMatch(/hsm-nwbbiqbj4jk\s+0x2b\s+2026-11-09T23:59:58.000Z\s+CN_DESTROY_OBJECT\s+131079/);
    expect(renderAuditRecords(audit({ matchedBy: "key-reference" }))[0]).toContain("the cleanup's key reference");
  });

  it("returns why no record is shown: not read yet, none found, no log group, access denied, unavailable", () => {
    const none = { records: [], leftOut: 2 };

    expect(renderProof(proof())).toContain("audit log: not read");
    expect(renderAuditRecords(audit({ status: "NONE", ...none }))[0]).toContain(
      "no deletion record of this key in /aws/cloudhsm/cluster-jxhlf7644ne",
    );
    expect(renderAuditRecords(audit({ status: "NONE", ...none }))[0]).toContain("2 other deletion record(s)");
    expect(
      renderAuditRecords(audit({ status: "NO_LOG_GROUP", records: [], error: "ResourceNotFoundException: gone" }))[0],
    ).toContain("no log group /aws/cloudhsm/cluster-jxhlf7644ne");
    expect(
      renderAuditRecords(audit({ status: "ACCESS_DENIED", records: [], error: "AccessDeniedException" }))[0],
    ).toContain("not readable");
    expect(
      renderAuditRecords(audit({ status: "UNAVAILABLE", records: [], error: "ThrottlingException" }))[0],
    ).toContain("tried again at the next refresh");
  });
});
