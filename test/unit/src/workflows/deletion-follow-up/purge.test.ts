import type { ClusterBackup } from "../../../../../src/ports/clusters";
import type { Proof } from "../../../../../src/ports/proofs";
import { buildProof, type ProofDeps, refreshProofs } from "../../../../../src/workflows/deletion-follow-up/proof";
import { type PurgeDeps, purgeBackups } from "../../../../../src/workflows/deletion-follow-up/purge";
import { backup, deleted, KEY_ARN, subject } from "../../../../support/proof-fixtures";

const HOME = "us-east-1";
const AWAY = "eu-west-1";
const proofOf = (own: ClusterBackup[], copies: ClusterBackup[] = [], status: object = deleted): Proof =>
  buildProof({
    subject,
    status: status as typeof deleted,
    listing: { region: HOME, retentionDays: 90, own, copies: copies.map((c) => ({ ...c, region: AWAY })) },
    openedBy: "followup-a",
    now: new Date("2026-11-12T00:00:00Z"),
  });

/** A cluster's backups and their copies in AWAY, as CloudHSM lists them; deletions and copies change them. */
function fakeCloudHsm(own: ClusterBackup[], copies: ClusterBackup[] = []) {
  const calls: string[] = [];
  const clusters: PurgeDeps["clusters"] = {
    backups: async () => own.map((b) => ({ ...b })),
    copiesOf: async (_region, sources) =>
      copies.filter((c) => sources.includes(c.sourceBackupId ?? "")).map((c) => ({ ...c })),
    deleteBackup: async (backupId, region) => {
      calls.push(`delete ${region ?? HOME}/${backupId}`);
      const found = [...own, ...copies].find((b) => b.backupId === backupId);
      if (found?.state !== "READY") return "NOT_READY";
      found.state = "PENDING_DELETION";
      return "PENDING_DELETION";
    },
    copyBackup: async (backupId, region) => {
      calls.push(`copy ${backupId} to ${region}`);
      copies.push({
        ...backup(`copy-of-${backupId}`, "2026-11-11T00:00:00Z"),
        sourceBackupId: backupId,
        state: "CREATE_IN_PROGRESS",
      });
    },
  };
  return { clusters, calls, own, copies };
}

describe("purgeBackups", () => {
  it("deletes the READY backups of the key's lifetime once a later backup is READY, keeping that one and NeverExpires", async () => {
    const own = [
      backup("before-key", "2026-10-30T00:00:00Z"),
      backup("held-1", "2026-11-05T00:00:00Z"),
      backup("held-2", "2026-11-09T00:00:00Z"),
      backup("kept", "2026-11-08T00:00:00Z", { neverExpires: true }),
      backup("fresh", "2026-11-11T00:00:00Z"),
    ];
    const cloud = fakeCloudHsm(own);

    const outcome = await purgeBackups({ clusters: cloud.clusters, region: HOME }, proofOf(own));

    expect(cloud.calls.sort()).toEqual([`delete ${HOME}/held-1`, `delete ${HOME}/held-2`]);
    expect(outcome).toEqual({
      deleted: [
        { backupId: "held-1", region: HOME },
        { backupId: "held-2", region: HOME },
      ],
      copied: [],
      kept: [{ backupId: "kept", region: HOME, why: "NeverExpires: kept on purpose" }],
    });
  });

  it("deletes nothing, and says it waits, while no backup taken after the material left the cluster is READY", async () => {
    const own = [
      backup("held", "2026-11-05T00:00:00Z"),
      backup("fresh", "2026-11-11T00:00:00Z", { state: "CREATE_IN_PROGRESS" }),
    ];
    const cloud = fakeCloudHsm(own);

    const outcome = await purgeBackups({ clusters: cloud.clusters, region: HOME }, proofOf(own));

    expect(cloud.calls).toEqual([]);
    expect(outcome.waiting).toContain("no backup taken since the material left the cluster is READY yet");
  });

  it("deletes nothing while the material may still be in the cluster (FAILURE, no cleanup yet)", async () => {
    const own = [backup("held", "2026-11-05T00:00:00Z"), backup("fresh", "2026-11-11T00:00:00Z")];
    const cloud = fakeCloudHsm(own);

    const outcome = await purgeBackups(
      { clusters: cloud.clusters, region: HOME },
      proofOf(own, [], { ...deleted, backingKeysDeletionStatus: "FAILURE" }),
    );

    expect(cloud.calls).toEqual([]);
    expect(outcome.waiting).toContain("not known to be gone from the cluster");
  });

  it("deletes nothing the re-listing shows no longer READY, nor counts a deletion CloudHSM refused as done", async () => {
    const own = [backup("held", "2026-11-05T00:00:00Z"), backup("fresh", "2026-11-11T00:00:00Z")];
    const proof = proofOf(own);
    const cloud = fakeCloudHsm(own);
    (own[0] as ClusterBackup).state = "PENDING_DELETION";

    const outcome = await purgeBackups({ clusters: cloud.clusters, region: HOME }, proof);

    expect(cloud.calls).toEqual([]);
    expect(outcome.deleted).toEqual([]);
  });

  it("copies the fresh backup to a Region first, then deletes the copies there once that copy is READY", async () => {
    const own = [backup("held", "2026-11-05T00:00:00Z"), backup("fresh", "2026-11-11T00:00:00Z")];
    const copies = [{ ...backup("held-copy", "2026-11-05T00:00:00Z"), sourceBackupId: "held" }];
    const cloud = fakeCloudHsm(own, copies);
    const deps = { clusters: cloud.clusters, region: HOME };

    const first = await purgeBackups(deps, proofOf(own, copies));
    // The next day's backup is newer than the one being copied: the copy under way still counts.
    own.push(backup("fresher", "2026-11-12T00:00:00Z"));
    const second = await purgeBackups(deps, proofOf(own, copies));
    (copies[1] as ClusterBackup).state = "READY";
    const third = await purgeBackups(deps, proofOf(own, copies));

    expect(first.copied).toEqual([{ backupId: "fresh", region: AWAY }]);
    expect(first.waiting).toContain(`a copy of fresh is being made in ${AWAY}`);
    expect(second.copied).toEqual([]);
    expect(third.deleted).toEqual([{ backupId: "held-copy", region: AWAY }]);
    expect(cloud.calls).toEqual([`delete ${HOME}/held`, `copy fresh to ${AWAY}`, `delete ${AWAY}/held-copy`]);
  });
});

describe("refreshProofs with an approved purge", () => {
  it("returns the proof PENDING_PURGE with each backup it deleted naming the function, and the purge in the report", async () => {
    const own = [backup("held", "2026-11-05T00:00:00Z"), backup("fresh", "2026-11-11T00:00:00Z")];
    const cloud = fakeCloudHsm(own);
    const stored = new Map<string, Proof>([[KEY_ARN, proofOf(own)]]);
    const deps: ProofDeps & Parameters<typeof refreshProofs>[0] = {
      proofs: {
        get: async (arn) => stored.get(arn),
        save: async (proof) => {
          if ((stored.get(proof.keyArn)?.version ?? 0) !== proof.version - 1) return false;
          stored.set(proof.keyArn, proof);
          return true;
        },
        listOpen: async () => [...stored.keys()],
      },
      orphans: { deletionStatus: async () => deleted, get: async () => undefined },
      clusters: {
        get: async () => undefined,
        backups: async () =>
          own.map((b) => (b.state === "PENDING_DELETION" ? { ...b, deleteAt: new Date("2026-11-19T00:00:00Z") } : b)),
        copiesOf: async () => [],
      },
      auditLog: { keyDeletions: async () => ({ status: "NO_LOG_GROUP", error: "none here" }) },
      alerts: { publish: jest.fn(), requestSignature: jest.fn() },
      region: HOME,
      copyRegions: [],
      now: () => new Date("2026-11-12T00:00:00Z"),
      purge: (proof) => purgeBackups({ clusters: cloud.clusters, region: HOME }, proof),
      purgedBy: "keystore-autopilot-dev-followUpProofs",
    };

    const report = await refreshProofs(deps, {});

    expect(report.purged).toEqual([
      { keyArn: KEY_ARN, deleted: [{ backupId: "held", region: HOME }], copied: [], kept: [] },
    ]);
    expect(stored.get(KEY_ARN)).toMatchObject({
      status: "PENDING_PURGE",
      backups: [{ backupId: "held", state: "PENDING_DELETION", deletedBy: "keystore-autopilot-dev-followUpProofs" }],
    });
  });
});
