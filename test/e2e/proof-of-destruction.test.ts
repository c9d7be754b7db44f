import {
  CopyBackupToRegionCommand,
  DeleteBackupCommand,
  DescribeBackupsCommand,
  ModifyClusterCommand,
  RestoreBackupCommand,
} from "@aws-sdk/client-cloudhsm-v2";
import { CreateKeyCommand, type KMSClient, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { connect, createStore, patientKms, seedCluster } from "../../local/account/driver";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";
import { DynamoProofs } from "../../src/adapters/proofs";
import type { Proof } from "../../src/ports/proofs";
import { runAutopilot } from "../support/autopilot-cli";
import { eventually } from "../support/eventually";

const FOLLOW_UP = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-deletionFollowUp";
const TABLE = "keystore-autopilot-dev-orphans";
const COPY_REGION = "eu-west-1";

/**
 * The proof of destruction on the local account with serverless.yml deployed: the follow-up opens it, the daily
 * refresh (its schedule, on the simulated clock) follows the backups through retention, deletion, a restore and the
 * purge, the HSM audit log's record of the deletion is attached, and `keystore-autopilot proof` reads it.
 */
describe("proof of destruction on the local runtime", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let sfn: SFNClient;
  let proofs: DynamoProofs;
  let storeId: string;
  let clusterId: string;

  beforeAll(async () => {
    // Copies of the cluster's backups may be in eu-west-1 (serverless.yml param backupCopyRegions).
    account = await LocalAccountProcess.start({
      entry: "local/start.ts",
      env: { LOCAL_RUNTIME_PARAMS: `backupCopyRegions=${COPY_REGION}` },
    });
    kms = patientKms(account);
    sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS, maxAttempts: 1 });
    const cluster = await seedCluster(account);
    clusterId = cluster.clusterId;
    // The shortest retention AWS allows (manage-backup-retention.html: 7 to 379 days), so backups expire in the test.
    await account
      .cloudhsm()
      .send(new ModifyClusterCommand({ ClusterId: clusterId, BackupRetentionPolicy: { Type: "DAYS", Value: "7" } }));
    await account.advance("1h");
    storeId = await createStore(kms, cluster, "proof-store");
    await connect(account, kms, storeId);
    proofs = new DynamoProofs(await account.register({ maxAttempts: 1 }), TABLE);
  });
  afterAll(() => account.stop());

  const backups = async () =>
    (await account.cloudhsm().send(new DescribeBackupsCommand({ Filters: { clusterIds: [clusterId] } }))).Backups ?? [];
  const proofOf = (keyArn: string, done: (p: Proof | undefined) => boolean, what: string) =>
    eventually(() => proofs.get(keyArn), done, what);

  it("returns a proof that follows the backups to CLOSED, and goes back to OPEN when a deleted backup is restored", async () => {
    const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata;
    const keyArn = key?.Arn as string;
    // Two daily backups hold the key's material before its deletion is even scheduled.
    await account.advance("2d");
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: 7 }));
    const [execution] = await eventually(
      async () =>
        ((await sfn.send(new ListExecutionsCommand({ stateMachineArn: FOLLOW_UP }))).executions ?? []).filter((e) =>
          e.name?.startsWith(`followup-${key?.KeyId}-`),
        ),
      (l) => l.length === 1,
      "the follow-up to start",
    );

    await account.advance("8d");
    const done = await eventually(
      () => sfn.send(new DescribeExecutionCommand({ executionArn: execution?.executionArn })),
      (d) => d.status !== "RUNNING",
      "the follow-up to finish",
    );

    expect(JSON.parse(done.output ?? "{}")).toMatchObject({ result: "MATERIAL_DELETED", proofStatus: "OPEN" });
    const opened = await proofOf(keyArn, (p) => p !== undefined, "the proof to open");
    expect(opened).toMatchObject({
      status: "OPEN",
      material: { state: "DELETED", by: "kms" },
      deletion: { backingKeysDeletionStatus: "SUCCESS" },
      openedBy: done.name,
    });
    // The HSM audit log of the cluster recorded KMS's deletion of the backing key: attached as evidence, tied to the
    // key by time only (the record names a key handle, which no page relates to KMS's backing key id).
    expect(opened?.auditRecords).toMatchObject({
      status: "FOUND",
      logGroup: `/aws/cloudhsm/${clusterId}`,
      matchedBy: "time-window",
      records: [{ opcode: "CN_DESTROY_OBJECT", response: "0:HSM Return: SUCCESS", keyHandle: expect.any(String) }],
    });
    expect(opened?.auditRecords?.records[0]?.message).toMatch(/^Time: .*usecs:\d+\nSequence No : 0x/);
    const holding = opened?.backups ?? [];
    // The key lived 9 days: its first backups are already past the 7-day retention, the last ones READY.
    expect(holding.length).toBeGreaterThanOrEqual(8);
    expect(holding.filter((b) => b.state === "PENDING_DELETION" && b.purgeAt).length).toBeGreaterThan(0);
    expect(holding.filter((b) => b.state === "READY" && b.expiresAt).length).toBeGreaterThan(0);
    expect(holding.every((b) => b.state === "READY" || b.state === "PENDING_DELETION")).toBe(true);
    // Backups taken after the material was deleted hold nothing: the cluster has more than the proof lists.
    expect((await backups()).length).toBeGreaterThan(holding.length);

    // Retention marks every holding backup for deletion within 7 days; the daily refresh sees them pending.
    await account.advance("8d");
    const pending = await proofOf(keyArn, (p) => p?.status === "PENDING_PURGE", "the proof to be PENDING_PURGE");
    const stillThere = pending?.backups.filter((b) => b.state !== "GONE") ?? [];
    expect(stillThere.length).toBeGreaterThan(0);
    expect(stillThere.every((b) => b.state === "PENDING_DELETION" && b.purgeAt)).toBe(true);

    // Someone restores one, first lengthening the retention so the service does not delete it again ("To prevent a
    // race condition, you should change the backup retention policy for the cluster before you restore a backup
    // deleted by the service", manage-backup-retention.html).
    const restored = stillThere.at(-1)?.backupId as string;
    await account
      .cloudhsm()
      .send(new ModifyClusterCommand({ ClusterId: clusterId, BackupRetentionPolicy: { Type: "DAYS", Value: "30" } }));
    await account.advance("1h");
    await account.cloudhsm().send(new RestoreBackupCommand({ BackupId: restored }));
    await account.advance("1d");

    const reopened = await proofOf(keyArn, (p) => p?.status === "OPEN", "the proof to open again");
    expect(reopened?.backups.find((b) => b.backupId === restored)).toMatchObject({
      state: "READY",
      expiresAt: expect.any(String),
    });
    expect(reopened?.history.map((h) => h.status)).toEqual(["OPEN", "PENDING_PURGE", "OPEN"]);
    const alerts = (await account.events()).map((e) => e.event).filter((e) => e.source === "keystore-autopilot");
    expect(alerts).toContainEqual(
      expect.objectContaining({ detail: expect.objectContaining({ type: "DeletedKeyMaterialRestored", keyArn }) }),
    );
    const open = await runAutopilot(account, ["proof", keyArn]);
    expect(open.code).toBe(1);
    expect(open.stdout).toContain(`${restored}`);
    expect(open.stdout).toContain("retention deletes it");
    expect(open.stdout).toContain("audit log: 1 deletion record(s) in /aws/cloudhsm/");
    expect(open.stdout).toContain("CN_DESTROY_OBJECT");

    // Deleted again: after its seven days, and the others' purge, nothing holds the material.
    await account.cloudhsm().send(new DeleteBackupCommand({ BackupId: restored }));
    await account.advance("8d");

    const closed = await proofOf(keyArn, (p) => p?.status === "CLOSED", "the proof to close");
    expect(closed?.backups.every((b) => b.state === "GONE" && b.goneAt)).toBe(true);
    expect(closed?.closedAt).toBeDefined();
    const shown = await runAutopilot(account, ["proof", keyArn]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("CLOSED");
    const exported = await runAutopilot(account, ["proof", key?.KeyId as string, "--json"]);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({
      keyArn,
      status: "CLOSED",
      version: closed?.version,
      auditRecords: { status: "FOUND", records: [{ opcode: "CN_DESTROY_OBJECT" }] },
    });
  });

  it("returns a proof kept open by a copy in another Region, which no retention deletes, until the copy is purged", async () => {
    await account
      .cloudhsm()
      .send(new ModifyClusterCommand({ ClusterId: clusterId, BackupRetentionPolicy: { Type: "DAYS", Value: "7" } }));
    await account.advance("1h");
    const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata;
    const keyArn = key?.Arn as string;
    await account.advance("2d");
    const [newest] =
      (
        await account
          .cloudhsm()
          .send(new DescribeBackupsCommand({ Filters: { clusterIds: [clusterId], states: ["READY"] } }))
      ).Backups ?? [];
    await account
      .cloudhsm()
      .send(new CopyBackupToRegionCommand({ BackupId: newest?.BackupId, DestinationRegion: COPY_REGION }));
    const elsewhere = account.cloudhsm(COPY_REGION);
    const [copy] =
      (await elsewhere.send(new DescribeBackupsCommand({ Filters: { sourceBackupIds: [newest?.BackupId as string] } })))
        .Backups ?? [];
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: 7 }));

    // The deletion, then every one of the cluster's own holding backups expired by retention and purged.
    await account.advance("8d");
    await account.advance("16d");

    const held = await proofOf(
      keyArn,
      (p) => p?.backups.filter((b) => b.region === account.region).every((b) => b.state === "GONE") === true,
      "the cluster's own backups to be purged",
    );
    expect(held?.status).toBe("OPEN");
    expect(held?.backups.find((b) => b.region === COPY_REGION)).toMatchObject({
      backupId: copy?.BackupId,
      sourceBackupId: newest?.BackupId,
      state: "READY",
    });
    expect(held?.backups.find((b) => b.region === COPY_REGION)?.expiresAt).toBeUndefined();
    expect(held?.reason).toContain(`${copy?.BackupId} (copy in ${COPY_REGION}) a copy has no retention: delete it`);
    const shown = await runAutopilot(account, ["proof", keyArn]);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toContain(COPY_REGION);

    await elsewhere.send(new DeleteBackupCommand({ BackupId: copy?.BackupId }));
    await account.advance("8d");

    const closed = await proofOf(keyArn, (p) => p?.status === "CLOSED", "the proof to close");
    expect(closed?.backups.find((b) => b.backupId === copy?.BackupId)).toMatchObject({
      region: COPY_REGION,
      state: "GONE",
      goneAt: expect.any(String),
    });
    expect(closed?.history.map((h) => h.status)).toEqual(["OPEN", "PENDING_PURGE", "CLOSED"]);
  });

  it("returns a usage error and exit code 2 when no proof exists for the key", async () => {
    const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata;

    const run = await runAutopilot(account, ["proof", key?.Arn as string]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no proof of destruction");
  });
});
