import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseHsmAuditRecord } from "../../../../../src/hsm-audit-records";
import type { AuditLogAnswer, HsmAuditEvent } from "../../../../../src/ports/audit-log";
import type { ClusterBackup } from "../../../../../src/ports/clusters";
import type { Proof } from "../../../../../src/ports/proofs";
import {
  AUDIT_RECORDS_KEPT,
  AUDIT_WINDOW_AFTER_MS,
  AUDIT_WINDOW_BEFORE_MS,
  auditEvidence,
  auditWindow,
  buildProof,
  DELETION_MARGIN_MS,
  HISTORY_KEPT,
  materialFate,
  type ProofDeps,
  ProofRefreshFailedError,
  refreshProofs,
} from "../../../../../src/workflows/deletion-follow-up/proof";
import { backup, deleted, KEY_ARN, subject } from "../../../../support/proof-fixtures";

/** A documented audit record (test/events/aws, SOURCES.md) as the audit log port answers it. */
const auditEvent = (name: string, hsmId = "hsm-nwbbiqbj4jk"): HsmAuditEvent => {
  const message = readFileSync(join(__dirname, `../../../../events/aws/cloudhsm-audit-${name}.txt`), "utf8");
  const record = parseHsmAuditRecord(message);
  if (!record) throw new Error(`${name} does not parse`);
  return { ...record, hsmId, eventId: `${hsmId}-${record.sequenceNo}`, message };
};
const build = (
  listing: Partial<Parameters<typeof buildProof>[0]["listing"]> & { own: ClusterBackup[] },
  previous?: Proof,
  now = "2026-11-12T00:00:00Z",
) =>
  buildProof({
    ...(previous ? { previous } : {}),
    subject,
    status: deleted,
    listing: { region: "us-east-1", retentionDays: 90, copies: [], ...listing },
    openedBy: "followup-a",
    now: new Date(now),
  });

describe("buildProof", () => {
  it("returns only the backups taken between the key's creation and its material's deletion (with the margin)", () => {
    const proof = build({
      own: [
        backup("before-key", "2026-10-31T00:00:00Z"),
        backup("during", "2026-11-05T00:00:00Z"),
        backup("in-margin", new Date(Date.parse(deleted.deleteKeyEventAt) + DELETION_MARGIN_MS).toISOString()),
        backup("after", "2026-11-11T00:00:00Z"),
      ],
    });

    expect(proof.backups.map((b) => b.backupId)).toEqual(["during", "in-margin"]);
    expect(proof).toMatchObject({ status: "OPEN", material: { state: "DELETED", by: "kms" }, version: 1 });
  });

  it("returns every backup since the key's creation while the material is still in the cluster (an orphan)", () => {
    const proof = buildProof({
      subject,
      status: { ...deleted, backingKeysDeletionStatus: "FAILURE" },
      orphan: {
        keyArn: KEY_ARN,
        customKeyStoreId: subject.customKeyStoreId,
        status: "FAILURE",
        foundAt: "2026-11-11T00:00:00Z",
        followUp: "followup-a",
      },
      listing: { region: "us-east-1", own: [backup("after", "2026-11-11T00:00:00Z")], copies: [] },
      openedBy: "followup-a",
      now: new Date("2026-11-12T00:00:00Z"),
    });

    expect(proof).toMatchObject({
      status: "OPEN",
      material: { state: "IN_CLUSTER" },
      backups: [{ backupId: "after" }],
    });
    expect(proof.reason).toContain("still in the cluster");
  });

  it("returns no retention date for the cluster's newest backup, one marked NeverExpires, or a copy", () => {
    const proof = build({
      own: [
        backup("older", "2026-11-02T00:00:00Z"),
        backup("kept", "2026-11-03T00:00:00Z", { neverExpires: true }),
        backup("newest", "2026-11-04T00:00:00Z"),
      ],
      copies: [{ ...backup("copy", "2026-11-02T00:00:00Z", { sourceBackupId: "older" }), region: "eu-west-1" }],
    });

    const byId = Object.fromEntries(proof.backups.map((b) => [b.backupId, b]));
    expect(byId.older?.expiresAt).toBe("2027-01-31T00:00:00.000Z");
    expect(byId.kept?.expiresAt).toBeUndefined();
    expect(byId.newest?.expiresAt).toBeUndefined();
    expect(byId.copy).toMatchObject({ region: "eu-west-1", sourceBackupId: "older" });
    expect(byId.copy?.expiresAt).toBeUndefined();
    expect(proof.reason).toContain("copy (copy in eu-west-1) a copy has no retention: delete it");
  });

  it("returns PENDING_PURGE while a deleted backup can be restored, then CLOSED once it is no longer listed", () => {
    const pending = build({
      own: [
        backup("b1", "2026-11-05T00:00:00Z", { state: "PENDING_DELETION", deleteAt: new Date("2026-11-20T00:00:00Z") }),
      ],
    });
    expect(pending).toMatchObject({
      status: "PENDING_PURGE",
      backups: [{ state: "PENDING_DELETION", purgeAt: "2026-11-20T00:00:00.000Z" }],
    });

    const closed = build({ own: [] }, pending, "2026-11-21T00:00:00Z");

    expect(closed).toMatchObject({
      status: "CLOSED",
      closedAt: "2026-11-21T00:00:00.000Z",
      backups: [{ backupId: "b1", state: "GONE", goneAt: "2026-11-21T00:00:00.000Z" }],
      version: 2,
      openedAt: pending.openedAt,
    });
    expect(closed.backups[0]?.purgeAt).toBeUndefined();
    expect(closed.history.map((h) => h.status)).toEqual(["PENDING_PURGE", "CLOSED"]);
  });

  it("returns OPEN again when a backup pending deletion is listed READY (restored)", () => {
    const pending = build({
      own: [
        backup("b1", "2026-11-05T00:00:00Z", { state: "PENDING_DELETION", deleteAt: new Date("2026-11-20T00:00:00Z") }),
      ],
    });

    const restored = build({ own: [backup("b1", "2026-11-05T00:00:00Z")] }, pending, "2026-11-13T00:00:00Z");

    expect(restored.status).toBe("OPEN");
    expect(restored.history.map((h) => h.status)).toEqual(["PENDING_PURGE", "OPEN"]);
  });

  it("returns OPEN, never CLOSED, when the key's cluster is unknown and no backup could be listed", () => {
    const proof = buildProof({
      subject: { keyArn: KEY_ARN, customKeyStoreId: subject.customKeyStoreId },
      status: deleted,
      openedBy: "followup-a",
      now: new Date("2026-11-12T00:00:00Z"),
    });

    expect(proof.status).toBe("OPEN");
    expect(proof.reason).toContain("cluster is not known");
  });

  it("returns a history bounded to the last changes when the status keeps flipping", () => {
    let proof: Proof | undefined;
    for (let i = 0; i < HISTORY_KEPT + 10; i++) {
      const state = i % 2 === 0 ? "READY" : "PENDING_DELETION";
      proof = build(
        { own: [backup("b1", "2026-11-05T00:00:00Z", { state, deleteAt: new Date("2026-11-20T00:00:00Z") })] },
        proof,
      );
    }

    expect(proof?.history).toHaveLength(HISTORY_KEPT);
  });
});

describe("materialFate", () => {
  it("returns a cleanup's deletion over KMS's FAILURE, naming the window and the key reference", () => {
    expect(
      materialFate(
        { ...deleted, backingKeysDeletionStatus: "FAILURE" },
        {
          keyArn: KEY_ARN,
          customKeyStoreId: subject.customKeyStoreId,
          status: "FAILURE",
          foundAt: "2026-11-11T00:00:00Z",
          followUp: "followup-a",
          resolution: "DELETED",
          resolvedAt: "2026-11-14T03:00:00Z",
          resolvedBy: "cleanup-1",
          hsmKeyReference: "0x0000000000000042",
        },
      ),
    ).toEqual({ state: "DELETED", at: "2026-11-14T03:00:00Z", by: "cleanup-1", hsmKeyReference: "0x0000000000000042" });
  });

  it("returns UNVERIFIED when KMS reported nothing and no cleanup has looked", () => {
    expect(materialFate(undefined, undefined)).toEqual({ state: "UNVERIFIED" });
  });
});

describe("auditWindow", () => {
  it("returns a window around the material's deletion by KMS or a cleanup, and around DeleteKey when found absent", () => {
    const at = Date.parse("2026-11-10T00:00:00Z");
    const around = { from: new Date(at - AUDIT_WINDOW_BEFORE_MS), to: new Date(at + AUDIT_WINDOW_AFTER_MS) };

    expect(auditWindow({ state: "DELETED", at: "2026-11-10T00:00:00Z", by: "kms" })).toEqual(around);
    expect(auditWindow({ state: "DELETED", at: "2026-11-10T00:00:00Z", by: "cleanup-1" })).toEqual(around);
    expect(auditWindow({ state: "NOT_PRESENT", at: "2026-11-20T00:00:00Z" }, deleted)).toEqual(around);
  });

  it("returns undefined while the material is not known gone, or its time is not known", () => {
    expect(auditWindow({ state: "IN_CLUSTER" }, deleted)).toBeUndefined();
    expect(auditWindow({ state: "UNVERIFIED" }, deleted)).toBeUndefined();
    expect(auditWindow({ state: "DELETED", by: "kms" })).toBeUndefined();
    expect(auditWindow({ state: "NOT_PRESENT" })).toBeUndefined();
  });
});

describe("auditEvidence", () => {
  const context = {
    clusterId: "cluster-jxhlf7644ne",
    window: { from: new Date("2017-12-13T00:00:00Z"), to: new Date("2017-12-14T00:00:00Z") },
    now: new Date("2026-11-12T00:00:00Z"),
  };
  const read = (records: HsmAuditEvent[], truncated = false): AuditLogAnswer => ({
    status: "READ",
    records,
    truncated,
  });

  it("returns every deletion in the window, tied to the key by time only, when no key reference is known", () => {
    const evidence = auditEvidence(
      read([auditEvent("destroy-object-public-key"), auditEvent("destroy-object")]),
      context,
    );

    expect(evidence).toMatchObject({
      status: "FOUND",
      logGroup: "/aws/cloudhsm/cluster-jxhlf7644ne",
      from: "2017-12-13T00:00:00.000Z",
      to: "2017-12-14T00:00:00.000Z",
      readAt: "2026-11-12T00:00:00.000Z",
      matchedBy: "time-window",
      leftOut: 0,
      truncated: false,
    });
    expect(evidence.records[1]).toEqual({
      hsmId: "hsm-nwbbiqbj4jk",
      time: "2017-12-13T23:09:04.815Z",
      sequenceNo: "0x2b",
      opcode: "CN_DESTROY_OBJECT",
      response: "0:HSM Return: SUCCESS",
      keyHandle: "131079",
      sessionHandle: "0x2014004",
      eventId: "hsm-nwbbiqbj4jk-0x2b",
      message: auditEvent("destroy-object").message,
    });
  });

  it("returns only the records whose key handle is the cleanup's key reference, the others counted as left out", () => {
    const evidence = auditEvidence(read([auditEvent("destroy-object-public-key"), auditEvent("destroy-object")]), {
      ...context,
      keyReference: "0x0000000000020007",
    });

    expect(evidence).toMatchObject({ status: "FOUND", matchedBy: "key-reference", leftOut: 1 });
    expect(evidence.records.map((r) => [r.keyHandle, r.matchesKeyReference])).toEqual([["131079", true]]);
  });

  it("returns NONE when no record is the key's, and at most AUDIT_RECORDS_KEPT records", () => {
    const many = Array.from({ length: AUDIT_RECORDS_KEPT + 3 }, (_, i) => auditEvent("destroy-object", `hsm-${i}`));

    expect(auditEvidence(read([auditEvent("destroy-object")]), { ...context, keyReference: "0x42" })).toMatchObject({
      status: "NONE",
      records: [],
      leftOut: 1,
    });
    expect(auditEvidence(read(many, true), context)).toMatchObject({
      status: "FOUND",
      leftOut: 3,
      truncated: true,
      records: expect.arrayContaining([expect.objectContaining({ hsmId: "hsm-0" })]),
    });
    expect(auditEvidence(read(many), context).records).toHaveLength(AUDIT_RECORDS_KEPT);
  });

  it("returns the failure to read with its error, and no records", () => {
    expect(
      auditEvidence({ status: "ACCESS_DENIED", error: "AccessDeniedException: not authorized" }, context),
    ).toMatchObject({ status: "ACCESS_DENIED", records: [], error: "AccessDeniedException: not authorized" });
  });
});

describe("refreshProofs", () => {
  const stored = new Map<string, Proof>();
  const published: { type: string; keyArn?: string }[] = [];
  let listing: ClusterBackup[] = [];
  let auditAnswer: AuditLogAnswer = { status: "READ", records: [], truncated: false };
  const keyDeletions = jest.fn(
    async (_query: { clusterId: string; from: Date; to: Date; limit: number }) => auditAnswer,
  );
  const deps: ProofDeps & { alerts: { publish: jest.Mock; requestSignature: jest.Mock } } = {
    proofs: {
      get: async (arn) => stored.get(arn),
      save: async (proof) => {
        if ((stored.get(proof.keyArn)?.version ?? 0) !== proof.version - 1) return false;
        stored.set(proof.keyArn, proof);
        return true;
      },
      listOpen: async () => [...stored.values()].filter((p) => p.status !== "CLOSED").map((p) => p.keyArn),
    },
    orphans: { deletionStatus: async () => deleted, get: async () => undefined },
    clusters: {
      get: async () => ({
        clusterId: subject.clusterId,
        state: "ACTIVE",
        hsms: [],
        subnets: {},
        tags: {},
        backupRetentionDays: 90,
      }),
      backups: async () => listing,
      copiesOf: async () => [],
    },
    auditLog: { keyDeletions },
    alerts: { publish: jest.fn(async (a) => void published.push(a)), requestSignature: jest.fn() },
    region: "us-east-1",
    copyRegions: [],
    now: () => new Date("2026-11-12T00:00:00Z"),
  };
  beforeEach(() => {
    stored.clear();
    published.length = 0;
    keyDeletions.mockClear();
    auditAnswer = { status: "READ", records: [], truncated: false };
  });

  it("returns the proof CLOSED with the audit log's deletion records of the window attached", async () => {
    listing = [];
    stored.set(KEY_ARN, build({ own: [backup("b1", "2026-11-05T00:00:00Z")] }));
    auditAnswer = { status: "READ", records: [auditEvent("destroy-object")], truncated: false };

    await refreshProofs(deps, {});

    const at = Date.parse(deleted.deleteKeyEventAt);
    expect(keyDeletions).toHaveBeenCalledWith({
      clusterId: subject.clusterId,
      from: new Date(at - AUDIT_WINDOW_BEFORE_MS),
      to: new Date(at + AUDIT_WINDOW_AFTER_MS),
      limit: 100,
    });
    expect(stored.get(KEY_ARN)).toMatchObject({
      status: "CLOSED",
      auditRecords: { status: "FOUND", matchedBy: "time-window", records: [{ opcode: "CN_DESTROY_OBJECT" }] },
    });
  });

  it.each([
    [
      "NO_LOG_GROUP",
      { status: "NO_LOG_GROUP", error: "ResourceNotFoundException: The specified log group does not exist." },
    ],
    ["ACCESS_DENIED", { status: "ACCESS_DENIED", error: "AccessDeniedException: not authorized" }],
    ["NONE", { status: "READ", records: [], truncated: false }],
  ] as [string, AuditLogAnswer][])(
    "returns the proof CLOSED all the same when the audit log answers %s",
    async (status, answer) => {
      listing = [];
      stored.set(KEY_ARN, build({ own: [backup("b1", "2026-11-05T00:00:00Z")] }));
      auditAnswer = answer;

      const report = await refreshProofs(deps, {});

      expect(report).toMatchObject({ closed: 1, failed: [] });
      expect(stored.get(KEY_ARN)).toMatchObject({ status: "CLOSED", auditRecords: { status, records: [] } });
    },
  );

  it("returns the records found once without reading the log again, and reads it again while none were found", async () => {
    listing = [backup("b1", "2026-11-05T00:00:00Z")];
    stored.set(KEY_ARN, build({ own: listing }));

    await refreshProofs(deps, {});
    auditAnswer = { status: "READ", records: [auditEvent("destroy-object")], truncated: false };
    await refreshProofs(deps, {});
    auditAnswer = { status: "UNAVAILABLE", error: "ThrottlingException: Rate exceeded" };
    await refreshProofs(deps, {});

    expect(keyDeletions).toHaveBeenCalledTimes(2);
    expect(stored.get(KEY_ARN)).toMatchObject({ status: "OPEN", auditRecords: { status: "FOUND" }, version: 4 });
  });

  it("returns the proof reopened and publishes DeletedKeyMaterialRestored when a deleted backup is READY again", async () => {
    listing = [
      backup("b1", "2026-11-05T00:00:00Z", { state: "PENDING_DELETION", deleteAt: new Date("2026-11-20T00:00:00Z") }),
    ];
    stored.set(KEY_ARN, build({ own: listing }));
    listing = [backup("b1", "2026-11-05T00:00:00Z")];

    const report = await refreshProofs(deps, {});

    expect(report).toMatchObject({
      refreshed: 1,
      open: 1,
      reopened: [KEY_ARN],
      failed: [],
      stores: { [subject.customKeyStoreId]: { openProofs: 1, backupsHoldingMaterial: 1 } },
    });
    expect(published).toEqual([
      expect.objectContaining({ type: "DeletedKeyMaterialRestored", keyArn: KEY_ARN, severity: "CRITICAL" }),
    ]);
  });

  it("returns nothing published when a proof only moves forward", async () => {
    listing = [backup("b1", "2026-11-05T00:00:00Z")];
    stored.set(KEY_ARN, build({ own: listing }));
    listing = [];

    const report = await refreshProofs(deps, {});

    expect(report).toMatchObject({
      refreshed: 1,
      closed: 1,
      reopened: [],
      stores: { [subject.customKeyStoreId]: { openProofs: 0, backupsHoldingMaterial: 0 } },
    });
    expect(published).toEqual([]);
  });

  it("throws ProofRefreshFailedError naming the key after refreshing the others when one cannot be listed", async () => {
    const other = KEY_ARN.replace("0987dcba", "1111aaaa");
    listing = [backup("b1", "2026-11-05T00:00:00Z")];
    stored.set(KEY_ARN, build({ own: listing }));
    stored.set(other, { ...build({ own: listing }), keyArn: other, clusterId: "cluster-broken0000" });
    const backups = deps.clusters.backups;
    deps.clusters.backups = async (id) => {
      if (id === "cluster-broken0000") throw Object.assign(new Error("denied"), { name: "AccessDeniedException" });
      return listing;
    };

    const error = await refreshProofs(deps, {}).catch((e: unknown) => e);

    deps.clusters.backups = backups;
    expect(error).toBeInstanceOf(ProofRefreshFailedError);
    expect((error as ProofRefreshFailedError).report).toMatchObject({
      refreshed: 1,
      failed: [{ keyArn: other, error: "AccessDeniedException: denied" }],
    });
  });
});
