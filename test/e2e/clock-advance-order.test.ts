import { DescribeBackupsCommand, ModifyClusterCommand } from "@aws-sdk/client-cloudhsm-v2";
import { CreateKeyCommand, type KeyMetadata, type KMSClient, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import { lastSeq, type SeededCluster, startWithConnectedStore } from "../../local/account/driver";
import type { LocalAccountProcess } from "../../local/account/process";
import { DAY } from "../../local/account/timing";

type Stored = { seq: number; event: { time: string; detail: Record<string, unknown> } };

/** One clock advance of 30 days: what falls due inside it happens at its own time, in order. */
describe("a 30-day clock advance on the local account", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let cluster: SeededCluster;
  let storeId: string;

  beforeAll(async () => {
    ({ account, kms, cluster, storeId } = await startWithConnectedStore("thirty-days"));
  });
  afterAll(() => account.stop());

  it("returns each deletion, backup, retention and purge stamped with its own due time and in time order", async () => {
    // CloudHSM: a 7-day retention deletes backups 7 days after they were taken; they are purged 7 days later.
    await account.cloudhsm().send(
      new ModifyClusterCommand({
        ClusterId: cluster.clusterId,
        BackupRetentionPolicy: { Type: "DAYS", Value: "7" },
      }),
    );
    const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata as KeyMetadata;
    const { DeletionDate } = await kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }),
    );
    const after = await lastSeq(account);
    const start = (await account.now()).getTime();

    await account.advance("30d");

    const events = (await account.events(after)) as unknown as Stored[];
    const times = events.map((e) => Date.parse(e.event.time));
    // Bus order is time order: nothing is stamped with the end of the jump by accident.
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const named = (name: string) => events.filter((e) => e.event.detail.eventName === name);
    const deletion = named("DeleteKey").find((e) => JSON.stringify(e.event.detail).includes(key.Arn as string));
    // KMS deletes the key within 24 hours after its DeletionDate (the local account: within 6 hours).
    const deletedAt = Date.parse(deletion?.event.time ?? "");
    expect(deletedAt).toBeGreaterThanOrEqual((DeletionDate as Date).getTime() - 1000);
    expect(deletedAt).toBeLessThan((DeletionDate as Date).getTime() + DAY);

    const backups =
      (await account.cloudhsm().send(new DescribeBackupsCommand({ Filters: { clusterIds: [cluster.clusterId] } })))
        .Backups ?? [];
    const taken = backups
      .map((b) => (b.CreateTimestamp as Date).getTime())
      .filter((t) => t > start)
      .sort((a, b) => a - b);
    const retained = named("DeleteBackup");
    const purged = named("BackupDeletedPermanently");
    // A backup every 24 hours through the jump, not one at its end (those taken in its first 16 days are purged).
    expect(taken.length + purged.length).toBeGreaterThanOrEqual(29);
    for (let i = 1; i < taken.length; i++) {
      expect((taken[i] as number) - (taken[i - 1] as number)).toBeGreaterThanOrEqual(DAY);
      expect((taken[i] as number) - (taken[i - 1] as number)).toBeLessThan(DAY + 60_000);
    }
    // Retention and purge happen 7 and 14 days after each backup was taken, each at that time.
    expect(retained.length).toBeGreaterThanOrEqual(20);
    expect(purged.length).toBeGreaterThanOrEqual(10);
    // Events and backup views carry whole seconds.
    const offBy = (e: Stored, days: number) => {
      const created = (e.event.detail.responseElements as { backup: { createTimestamp: number } }).backup
        .createTimestamp;
      return Math.abs(Date.parse(e.event.time) - (created * 1000 + days * DAY));
    };
    for (const e of retained) expect(offBy(e, 7)).toBeLessThan(60_000);
    for (const e of purged) expect(offBy(e, 14)).toBeLessThan(60_000);
  });
});
