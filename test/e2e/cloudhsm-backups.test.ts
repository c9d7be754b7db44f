import {
  type Backup,
  CopyBackupToRegionCommand,
  CreateClusterCommand,
  DeleteBackupCommand,
  DeleteHsmCommand,
  DescribeBackupsCommand,
  ModifyBackupAttributesCommand,
  ModifyClusterCommand,
  RestoreBackupCommand,
} from "@aws-sdk/client-cloudhsm-v2";
import { LocalAccountProcess } from "../../local/account/process";
import {
  type ActiveCluster,
  addHsm,
  cliOk,
  describeCluster,
  provisionActiveCluster,
  subnetIdInZone,
} from "../support/cloudhsm";

describe("CloudHSM backups", () => {
  let account: LocalAccountProcess;
  let active: ActiveCluster;

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    active = await provisionActiveCluster(account);
  });
  afterAll(() => account.stop());

  const client = () => account.cloudhsm();
  const backupsOf = async (clusterId: string, states?: string[]): Promise<Backup[]> =>
    (
      await client().send(
        new DescribeBackupsCommand({
          Filters: { clusterIds: [clusterId], ...(states ? { states } : {}) },
          SortAscending: true,
        }),
      )
    ).Backups ?? [];

  it("returns a READY backup for the activation and one for the added HSM when a cluster is provisioned", async () => {
    const backups = await backupsOf(active.clusterId);

    expect(backups).toHaveLength(2);
    expect(backups[0]).toMatchObject({
      ClusterId: active.clusterId,
      BackupState: "READY",
      NeverExpires: false,
    });
    expect(backups[0]?.BackupId).toMatch(/^backup-[2-7a-z]{11}$/);
    expect(backups[0]?.CreateTimestamp).toBeInstanceOf(Date);
  });

  it("returns a new backup every 24 hours while the cluster is active", async () => {
    const before = (await backupsOf(active.clusterId)).length;

    await account.advance("25h");

    expect(await backupsOf(active.clusterId)).toHaveLength(before + 1);
  });

  it("returns backups newest first by default, ascending on request, and page by page", async () => {
    const ascending = await backupsOf(active.clusterId);
    const descending =
      (await client().send(new DescribeBackupsCommand({ Filters: { clusterIds: [active.clusterId] } }))).Backups ?? [];
    const first = await client().send(
      new DescribeBackupsCommand({ Filters: { clusterIds: [active.clusterId] }, MaxResults: 1, SortAscending: true }),
    );
    const second = await client().send(
      new DescribeBackupsCommand({
        Filters: { clusterIds: [active.clusterId] },
        MaxResults: 1,
        SortAscending: true,
        NextToken: first.NextToken,
      }),
    );

    expect(descending.map((b) => b.BackupId)).toEqual([...ascending].reverse().map((b) => b.BackupId));
    expect(first.Backups?.[0]?.BackupId).toBe(ascending[0]?.BackupId);
    expect(second.Backups?.[0]?.BackupId).toBe(ascending[1]?.BackupId);
  });

  it("returns PENDING_DELETION with a DeleteTimestamp 7 days on when DeleteBackup is called, and READY after RestoreBackup", async () => {
    const [oldest] = await backupsOf(active.clusterId);
    const backupId = oldest?.BackupId as string;

    const deleted = await client().send(new DeleteBackupCommand({ BackupId: backupId }));
    const restored = await client().send(new RestoreBackupCommand({ BackupId: backupId }));

    expect(deleted.Backup?.BackupState).toBe("PENDING_DELETION");
    const now = await account.now();
    const days = ((deleted.Backup?.DeleteTimestamp?.getTime() ?? 0) - now.getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(7);
    expect(restored.Backup?.BackupState).toBe("READY");
    expect(restored.Backup?.DeleteTimestamp).toBeUndefined();
    await expect(client().send(new RestoreBackupCommand({ BackupId: backupId }))).rejects.toMatchObject({
      name: "CloudHsmInvalidRequestException",
    });
  });

  it("returns the backup purged with a BackupDeletedPermanently event when 7 days pass after DeleteBackup", async () => {
    const [oldest] = await backupsOf(active.clusterId);
    const backupId = oldest?.BackupId as string;
    await client().send(new DeleteBackupCommand({ BackupId: backupId }));

    await account.advance("7d1h");

    expect((await backupsOf(active.clusterId)).map((b) => b.BackupId)).not.toContain(backupId);
    await expect(client().send(new RestoreBackupCommand({ BackupId: backupId }))).rejects.toMatchObject({
      name: "CloudHsmResourceNotFoundException",
    });
    const events = (await account.events()).map((e) => e.event);
    expect(events).toContainEqual(
      expect.objectContaining({
        "detail-type": "AWS Service Event via CloudTrail",
        detail: expect.objectContaining({
          eventName: "BackupDeletedPermanently",
          eventType: "AwsServiceEvent",
          requestParameters: { backupId },
        }),
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        detail: expect.objectContaining({ eventName: "DeleteBackup", eventType: "AwsApiCall" }),
      }),
    );
  });

  it("returns old backups deleted by the retention policy, except NeverExpires ones and the newest", async () => {
    const [keep, ...others] = await backupsOf(active.clusterId, ["READY"]);
    await client().send(new ModifyBackupAttributesCommand({ BackupId: keep?.BackupId, NeverExpires: true }));
    await client().send(
      new ModifyClusterCommand({ ClusterId: active.clusterId, BackupRetentionPolicy: { Type: "DAYS", Value: "7" } }),
    );
    // HSMs cannot be deleted while the cluster is MODIFY_IN_PROGRESS (local/account/cloudhsm/records.ts).
    await account.advance("11m");
    // Delete both HSMs so no new backup is taken while the clock runs.
    for (const hsm of (await describeCluster(account, active.clusterId)).Hsms ?? []) {
      await client().send(new DeleteHsmCommand({ ClusterId: active.clusterId, HsmId: hsm.HsmId }));
    }
    await account.advance("3m");
    const newest = (await backupsOf(active.clusterId, ["READY"])).at(-1);

    await account.advance("8d");

    const after = await client().send(
      new DescribeBackupsCommand({ Filters: { clusterIds: [active.clusterId], states: ["READY"] } }),
    );
    expect(new Set(after.Backups?.map((b) => b.BackupId))).toEqual(new Set([keep?.BackupId, newest?.BackupId]));
    const neverExpires = await client().send(new DescribeBackupsCommand({ Filters: { neverExpires: ["true"] } }));
    expect(neverExpires.Backups?.map((b) => b.BackupId)).toEqual([keep?.BackupId]);
    const deletedByService = (await account.events())
      .map((e) => e.event.detail)
      .filter((d) => d.eventName === "DeleteBackup" && d.eventType === "AwsServiceEvent")
      .map((d) => (d.requestParameters as { backupId: string }).backupId);
    expect(deletedByService.length).toBeGreaterThan(0);
    for (const backup of others) {
      if (backup.BackupId !== newest?.BackupId) expect(deletedByService).toContain(backup.BackupId);
    }
  });

  it("returns a copy in the destination Region, READY after its copy and never expired, found by its source backup", async () => {
    const [source] = await backupsOf(active.clusterId, ["READY"]);
    const elsewhere = account.cloudhsm("eu-west-1");

    const out = await client().send(
      new CopyBackupToRegionCommand({ BackupId: source?.BackupId, DestinationRegion: "eu-west-1" }),
    );

    expect(out.DestinationBackup).toEqual({
      CreateTimestamp: source?.CreateTimestamp,
      SourceBackup: source?.BackupId,
      SourceCluster: active.clusterId,
      SourceRegion: account.region,
    });
    const copiesOf = async () =>
      (await elsewhere.send(new DescribeBackupsCommand({ Filters: { sourceBackupIds: [source?.BackupId as string] } })))
        .Backups ?? [];
    const [copy] = await copiesOf();
    expect(copy).toMatchObject({ BackupState: "CREATE_IN_PROGRESS", CreateTimestamp: source?.CreateTimestamp });
    // Each Region sees its own backups only.
    const home = (await client().send(new DescribeBackupsCommand({}))).Backups ?? [];
    expect(home.map((b) => b.BackupId)).not.toContain(copy?.BackupId);
    await expect(client().send(new DeleteBackupCommand({ BackupId: copy?.BackupId }))).rejects.toMatchObject({
      name: "CloudHsmResourceNotFoundException",
    });

    await account.advance("400d");

    const [later] = await copiesOf();
    expect(later).toMatchObject({ BackupId: copy?.BackupId, BackupState: "READY" });
    expect(later?.CopyTimestamp).toBeInstanceOf(Date);
    const deleted = await elsewhere.send(new DeleteBackupCommand({ BackupId: copy?.BackupId }));
    expect(deleted.Backup?.BackupState).toBe("PENDING_DELETION");
  });

  it("returns CloudHsmInvalidRequestException when a backup is copied to its own Region", async () => {
    const [source] = await backupsOf(active.clusterId, ["READY"]);

    await expect(
      client().send(new CopyBackupToRegionCommand({ BackupId: source?.BackupId, DestinationRegion: account.region })),
    ).rejects.toMatchObject({ name: "CloudHsmInvalidRequestException" });
  });

  it("returns an ACTIVE cluster with the backup's users, certificate and passwords when a cluster is created from a backup", async () => {
    const newest = (await backupsOf(active.clusterId, ["READY"])).at(-1) as Backup;

    const out = await client().send(
      new CreateClusterCommand({
        HsmType: "hsm2m.medium",
        SubnetIds: [subnetIdInZone("a"), subnetIdInZone("c")],
        SourceBackupId: newest.BackupId,
      }),
    );
    const clusterId = out.Cluster?.ClusterId as string;
    expect(out.Cluster).toMatchObject({ State: "CREATE_IN_PROGRESS", SourceBackupId: newest.BackupId });
    await account.advance("5m");
    const restored = await describeCluster(account, clusterId);
    expect(restored.State).toBe("ACTIVE");
    expect(restored.Hsms).toEqual([]);
    expect(restored.Certificates?.ClusterCertificate).toBe(active.signedCert);

    await addHsm(account, clusterId, "c");

    const users = cliOk(account, clusterId, ["user", "list"], active.admin) as { users: { username: string }[] };
    expect(users.users.map((u) => u.username)).toEqual(expect.arrayContaining(["admin", "kmsuser"]));
    expect(cliOk(account, clusterId, ["key", "list"], active.kmsuser)).toMatchObject({ total_key_count: 0 });
    expect(await backupsOf(clusterId)).toHaveLength(1);
  });

  it("returns CloudHsmInvalidRequestException when the source backup is pending deletion", async () => {
    const [backup] = await backupsOf(active.clusterId, ["READY"]);
    await client().send(new ModifyBackupAttributesCommand({ BackupId: backup?.BackupId, NeverExpires: false }));
    const newer = (await backupsOf(active.clusterId, ["READY"])).find((b) => b.BackupId !== backup?.BackupId);
    await client().send(new DeleteBackupCommand({ BackupId: newer?.BackupId }));

    await expect(
      client().send(
        new CreateClusterCommand({
          HsmType: "hsm2m.medium",
          SubnetIds: [subnetIdInZone("a")],
          SourceBackupId: newer?.BackupId,
        }),
      ),
    ).rejects.toMatchObject({
      name: "CloudHsmInvalidRequestException",
      message: expect.stringContaining("PENDING_DELETION"),
    });
  });

  it("returns ValidationException naming the field when a backup id is malformed", async () => {
    await expect(client().send(new DeleteBackupCommand({ BackupId: "nope" }))).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringContaining("'backupId'"),
    });
  });

  it("returns the backups as before when the account is killed and restarted", async () => {
    const before = await backupsOf(active.clusterId);

    await account.crashAndRestart();

    expect(await backupsOf(active.clusterId)).toEqual(before);
  });
});
