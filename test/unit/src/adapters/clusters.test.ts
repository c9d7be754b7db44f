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
