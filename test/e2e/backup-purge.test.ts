import {
  type Backup,
  CopyBackupToRegionCommand,
  DescribeBackupsCommand,
  ModifyBackupAttributesCommand,
} from "@aws-sdk/client-cloudhsm-v2";
import {
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  type KMSClient,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { connect, createStore, patientKms, seedCluster } from "../../local/account/driver";
import { LocalAccountProcess } from "../../local/account/process";
import { DynamoProofs } from "../../src/adapters/proofs";
import type { Proof } from "../../src/ports/proofs";
import { DELETION_MARGIN_MS } from "../../src/workflows/deletion-follow-up/proof";
import { runAutopilot } from "../support/autopilot-cli";
import { eventually } from "../support/eventually";

const TABLE = "keystore-autopilot-dev-orphans";
const COPY_REGION = "eu-west-1";
const PURGED_BY = "keystore-autopilot-dev-followUpProofs";

/**
 * The approved purge on the local runtime (params backupPurgeStores=all, backupCopyRegions): the daily proof refresh
 * deletes the backups holding a deleted key's material once a later backup is READY, copies that one to the copy
 * Region before deleting the copy there, keeps a NeverExpires backup, and the proof closes after the purge.
 */
describe("backup purge on the local runtime", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let proofs: DynamoProofs;
  let storeId: string;
  let clusterId: string;

  beforeAll(async () => {
    account = await LocalAccountProcess.start({
      entry: "local/start.ts",
      env: { LOCAL_RUNTIME_PARAMS: `backupCopyRegions=${COPY_REGION};backupPurgeStores=all` },
    });
    kms = patientKms(account);
    const cluster = await seedCluster(account);
    clusterId = cluster.clusterId;
    storeId = await createStore(kms, cluster, "purge-store");
    await connect(account, kms, storeId);
    proofs = new DynamoProofs(await account.register({ maxAttempts: 1 }), TABLE);
  });
  afterAll(() => account.stop());

  const ownBackups = async (): Promise<Backup[]> =>
    (await account.cloudhsm().send(new DescribeBackupsCommand({ Filters: { clusterIds: [clusterId] } }))).Backups ?? [];
  const copiesOf = async (sources: string[]): Promise<Backup[]> =>
    (await account.cloudhsm(COPY_REGION).send(new DescribeBackupsCommand({ Filters: { sourceBackupIds: sources } })))
      .Backups ?? [];
  const proofOf = (keyArn: string, done: (p: Proof | undefined) => boolean, what: string) =>
    eventually(() => proofs.get(keyArn), done, what);

  it("returns the holding backups and their copy deleted by the product, a later backup kept, and the proof CLOSED", async () => {
    const live = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata;
    const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata;
    const keyArn = key?.Arn as string;
    await account.advance("2d");
    const held = (await ownBackups()).filter((b) => b.BackupState === "READY");
    const newest = held.reduce((a, b) => ((a.CreateTimestamp ?? 0) > (b.CreateTimestamp ?? 0) ? a : b));
    await account
      .cloudhsm()
      .send(new CopyBackupToRegionCommand({ BackupId: newest.BackupId, DestinationRegion: COPY_REGION }));
    // An operator keeps one on purpose: the purge must leave it.
    const [keep] = held;
    await account.cloudhsm().send(new ModifyBackupAttributesCommand({ BackupId: keep?.BackupId, NeverExpires: true }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: 7 }));

    // The deletion, its follow-up, then two daily refreshes: the first deletes the cluster's holding backups and asks
    // for a copy of a later one in the copy Region, the second deletes the old copy there.
    await account.advance("8d");
    await account.advance("2d");

    const kept = await proofOf(
      keyArn,
      (p) => p?.backups.some((b) => b.region === COPY_REGION && b.deletedBy === PURGED_BY) === true,
      "the purge to delete the holding backups and the copy",
    );
    const deletedAt = Date.parse(kept?.material.at ?? "") + DELETION_MARGIN_MS;
    expect(kept).toMatchObject({ status: "OPEN", material: { state: "DELETED", by: "kms" } });
    expect(kept?.backups.find((b) => b.backupId === keep?.BackupId)).toMatchObject({
      state: "READY",
      neverExpires: true,
    });
    expect(kept?.reason).toContain("never expires: delete it");
    const purged = kept?.backups.filter((b) => b.deletedBy === PURGED_BY) ?? [];
    expect(purged.map((b) => b.region)).toEqual(expect.arrayContaining([account.region, COPY_REGION]));
    expect(purged.every((b) => b.state === "PENDING_DELETION" && Date.parse(b.createdAt) <= deletedAt)).toBe(true);
    // Every backup taken after the material left the cluster is still READY: the recovery point for the rest.
    const later = (await ownBackups()).filter((b) => (b.CreateTimestamp?.getTime() ?? 0) > deletedAt);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((b) => b.BackupState === "READY")).toBe(true);
    const freshCopies = await copiesOf(later.map((b) => b.BackupId as string));
    expect(freshCopies.map((c) => c.BackupState)).toEqual(["READY"]);
    expect(freshCopies[0]?.TagList).toEqual([
      { Key: "keystore-autopilot:copy-of", Value: freshCopies[0]?.SourceBackup },
    ]);
    const sealed = await kms.send(new EncryptCommand({ KeyId: live?.KeyId, Plaintext: Buffer.from("still here") }));
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob }));
    expect(Buffer.from(opened.Plaintext ?? new Uint8Array()).toString()).toBe("still here");

    // The operator lets it go: the next refresh deletes it too, and after the seven days nothing holds the material.
    await account.cloudhsm().send(new ModifyBackupAttributesCommand({ BackupId: keep?.BackupId, NeverExpires: false }));
    await account.advance("1d");
    await account.advance("8d");

    const closed = await proofOf(keyArn, (p) => p?.status === "CLOSED", "the proof to close");
    expect(closed?.backups.find((b) => b.backupId === keep?.BackupId)).toMatchObject({
      state: "GONE",
      deletedBy: PURGED_BY,
    });
    const shown = await runAutopilot(account, ["proof", keyArn]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(PURGED_BY);
  });
});
