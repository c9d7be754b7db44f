import type { DescribeBackupsCommand } from "@aws-sdk/client-cloudhsm-v2";
import type { CloudHsmPort } from "../../../../src/adapters/clients/types";
import { CloudHsmClusters } from "../../../../src/adapters/clusters";

// client-cloudhsm-v2 3.332's types predate aws-sdk-client-mock's: hand-made ports answer instead.
const port = (send: jest.Mock) => ({ send }) as unknown as CloudHsmPort;

describe("CloudHsmClusters.copiesOf", () => {
  it("returns the copies in the other Region, asking there with sourceBackupIds in chunks of 20", async () => {
    const home = jest.fn();
    const away = jest.fn(async (command: DescribeBackupsCommand) => ({
      Backups: (command.input.Filters?.sourceBackupIds ?? []).slice(0, 1).map((source) => ({
        BackupId: `copy-of-${source}`,
        BackupState: "READY",
        CreateTimestamp: new Date("2026-11-02T00:00:00Z"),
        SourceBackup: source,
        SourceRegion: "us-east-1",
      })),
    }));
    const regions: string[] = [];
    const clusters = new CloudHsmClusters(port(home), (region) => {
      regions.push(region);
      return port(away);
    });
    const sources = Array.from({ length: 25 }, (_, i) => `backup-${i}`);

    const copies = await clusters.copiesOf("eu-west-1", sources);

    expect(regions).toEqual(["eu-west-1"]);
    expect(home).not.toHaveBeenCalled();
    expect(away.mock.calls.map(([c]) => c.input.Filters?.sourceBackupIds?.length)).toEqual([20, 5]);
    expect(copies).toEqual([
      {
        backupId: "copy-of-backup-0",
        state: "READY",
        createdAt: new Date("2026-11-02T00:00:00Z"),
        neverExpires: false,
        sourceBackupId: "backup-0",
      },
      {
        backupId: "copy-of-backup-20",
        state: "READY",
        createdAt: new Date("2026-11-02T00:00:00Z"),
        neverExpires: false,
        sourceBackupId: "backup-20",
      },
    ]);
  });
});

describe("CloudHsmClusters.deleteBackup", () => {
  const refused = () =>
    Object.assign(new Error("Backup backup-b1 is PENDING_DELETION"), { name: "CloudHsmInvalidRequestException" });

  it("returns PENDING_DELETION when the call marks it, asking in the copy's Region when one is named", async () => {
    const home = jest.fn(async (_command: { input: unknown }) => ({}));
    const away = jest.fn(async (_command: { input: unknown }) => ({}));
    const clusters = new CloudHsmClusters(port(home), () => port(away));

    expect(await clusters.deleteBackup("backup-b1")).toBe("PENDING_DELETION");
    expect(await clusters.deleteBackup("backup-c1", "eu-west-1")).toBe("PENDING_DELETION");
    expect(home.mock.calls.map(([c]) => c.input)).toEqual([{ BackupId: "backup-b1" }]);
    expect(away.mock.calls.map(([c]) => c.input)).toEqual([{ BackupId: "backup-c1" }]);
  });

  it("returns NOT_READY when CloudHSM refuses a backup it lists as no longer READY (deleted by a retry)", async () => {
    const send = jest.fn(async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === "DeleteBackupCommand") throw refused();
      return { Backups: [{ BackupId: "backup-b1", BackupState: "PENDING_DELETION" }] };
    });

    expect(await new CloudHsmClusters(port(send)).deleteBackup("backup-b1")).toBe("NOT_READY");
  });

  it("throws CloudHSM's refusal when the backup is still READY", async () => {
    const send = jest.fn(async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === "DeleteBackupCommand") throw refused();
      return { Backups: [{ BackupId: "backup-b1", BackupState: "READY" }] };
    });

    await expect(new CloudHsmClusters(port(send)).deleteBackup("backup-b1")).rejects.toMatchObject({
      name: "CloudHsmInvalidRequestException",
    });
  });
});

describe("CloudHsmClusters.copyBackup", () => {
  it("returns after asking for the copy tagged with its source only, not with the source's tags", async () => {
    const send = jest.fn(async (_command: { input: unknown }) => ({ DestinationBackup: {} }));

    await new CloudHsmClusters(port(send)).copyBackup("backup-b1", "eu-west-1");

    expect(send.mock.calls.map(([c]) => c.input)).toEqual([
      {
        BackupId: "backup-b1",
        DestinationRegion: "eu-west-1",
        TagList: [{ Key: "keystore-autopilot:copy-of", Value: "backup-b1" }],
      },
    ]);
  });
});
