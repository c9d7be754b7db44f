import {
  type Backup,
  type Cluster as CloudHsmCluster,
  CopyBackupToRegionCommand,
  CreateClusterCommand,
  CreateHsmCommand,
  DeleteBackupCommand,
  DeleteHsmCommand,
  DescribeBackupsCommand,
  DescribeClustersCommand,
} from "@aws-sdk/client-cloudhsm-v2";
import type { Cluster, ClusterBackup, Clusters, NewCluster } from "../ports/clusters";
import type { CloudHsmPort } from "./clients/types";
import { pages } from "./pages";

/** A bound on pages, so a service answering NextToken forever cannot hold a step until its timeout. */
const MAX_PAGES = 100;

/** Clusters through the CloudHSM API (cloudhsmv2). */
export class CloudHsmClusters implements Clusters {
  constructor(
    private readonly cloudhsm: CloudHsmPort,
    /** A client for another Region, made when first needed (copies of backups live in other Regions). */
    private readonly inRegion: (region: string) => CloudHsmPort = () => {
      throw new Error("No CloudHSM client for other Regions");
    },
  ) {}

  async get(clusterId: string, options: { abortSignal?: AbortSignal } = {}): Promise<Cluster | undefined> {
    const out = await this.cloudhsm.send(
      new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }),
      options,
    );
    const found = out.Clusters?.find((c) => c.ClusterId === clusterId);
    return found && cluster(found);
  }

  async list(): Promise<Cluster[]> {
    const found: Cluster[] = [];
    const listed = pages(
      (token) => this.cloudhsm.send(new DescribeClustersCommand({ MaxResults: 25, NextToken: token })),
      (page) => page.NextToken,
      MAX_PAGES,
    );
    for await (const page of listed) for (const c of page.Clusters ?? []) if (c.ClusterId) found.push(cluster(c));
    return found;
  }

  async create(request: NewCluster): Promise<string> {
    const out = await this.cloudhsm.send(
      new CreateClusterCommand({
        HsmType: request.hsmType,
        SubnetIds: request.subnetIds,
        ...(request.backupRetentionDays !== undefined
          ? { BackupRetentionPolicy: { Type: "DAYS", Value: String(request.backupRetentionDays) } }
          : {}),
        TagList: Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    if (!out.Cluster?.ClusterId) throw new Error("CreateCluster returned no ClusterId");
    return out.Cluster.ClusterId;
  }

  async createHsm(clusterId: string, availabilityZone: string): Promise<{ hsmId?: string; state: string }> {
    const out = await this.cloudhsm.send(
      new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: availabilityZone }),
    );
    return { ...(out.Hsm?.HsmId ? { hsmId: out.Hsm.HsmId } : {}), state: out.Hsm?.State ?? "CREATE_IN_PROGRESS" };
  }

  async deleteHsm(clusterId: string, hsmId: string): Promise<void> {
    await this.cloudhsm.send(new DeleteHsmCommand({ ClusterId: clusterId, HsmId: hsmId }));
  }

  async backups(clusterId: string): Promise<ClusterBackup[]> {
    return (await describeBackups(this.cloudhsm, { clusterIds: [clusterId] })).map(backup);
  }

  /**
   * DescribeBackups in `region` with the `sourceBackupIds` filter: "Use the sourceBackupIds filter to return only the
   * backups created from a source backup" (API_DescribeBackups.html). Asked in chunks, as the filter's size limit is
   * not documented.
   */
  async copiesOf(region: string, sourceBackupIds: string[]): Promise<ClusterBackup[]> {
    const client = this.inRegion(region);
    const found: ClusterBackup[] = [];
    for (let i = 0; i < sourceBackupIds.length; i += SOURCE_IDS_PER_CALL) {
      const ids = sourceBackupIds.slice(i, i + SOURCE_IDS_PER_CALL);
      for (const b of await describeBackups(client, { sourceBackupIds: ids })) found.push(backup(b));
    }
    return found;
  }

  /** DeleteBackup answers CloudHsmInvalidRequestException for a backup not READY (API_DeleteBackup.html). */
  async deleteBackup(backupId: string, region?: string): Promise<"PENDING_DELETION" | "NOT_READY"> {
    const client = region ? this.inRegion(region) : this.cloudhsm;
    try {
      await client.send(new DeleteBackupCommand({ BackupId: backupId }));
      return "PENDING_DELETION";
    } catch (error: unknown) {
      if (!isInvalidRequest(error)) throw error;
      // Refused for another reason while still READY: not ours to hide.
      const [now] = await describeBackups(client, { backupIds: [backupId] });
      if (now?.BackupState === "READY") throw error;
      return "NOT_READY";
    }
  }

  /** Tagged as ours rather than with the source's tags, so the role's TagResource is held to that one key. */
  async copyBackup(backupId: string, destinationRegion: string): Promise<void> {
    await this.cloudhsm.send(
      new CopyBackupToRegionCommand({
        BackupId: backupId,
        DestinationRegion: destinationRegion,
        TagList: [{ Key: COPY_TAG, Value: backupId }],
      }),
    );
  }
}

const SOURCE_IDS_PER_CALL = 20;

/** On the copies the product makes (CopyBackupToRegion), naming their source. */
export const COPY_TAG = "keystore-autopilot:copy-of";

const isInvalidRequest = (error: unknown) => (error as Error)?.name === "CloudHsmInvalidRequestException";

async function describeBackups(client: CloudHsmPort, filters: Record<string, string[]>): Promise<Backup[]> {
  const found: Backup[] = [];
  const listed = pages(
    (token) =>
      client.send(
        new DescribeBackupsCommand({ Filters: filters, MaxResults: 50, ...(token ? { NextToken: token } : {}) }),
      ),
    (page) => page.NextToken,
    MAX_PAGES,
  );
  for await (const page of listed) found.push(...(page.Backups ?? []));
  return found;
}

function backup(b: Backup): ClusterBackup {
  return {
    backupId: b.BackupId ?? "",
    state: b.BackupState ?? "UNKNOWN",
    ...(b.CreateTimestamp ? { createdAt: new Date(b.CreateTimestamp) } : {}),
    ...(b.DeleteTimestamp ? { deleteAt: new Date(b.DeleteTimestamp) } : {}),
    neverExpires: Boolean(b.NeverExpires),
    ...(b.SourceBackup ? { sourceBackupId: b.SourceBackup } : {}),
  };
}

function cluster(c: CloudHsmCluster): Cluster {
  const policy = c.BackupRetentionPolicy;
  const days = policy?.Type === "DAYS" && policy.Value ? Number(policy.Value) : undefined;
  return {
    clusterId: c.ClusterId ?? "",
    state: c.State ?? "",
    hsms: (c.Hsms ?? []).map((h) => ({
      hsmId: h.HsmId ?? "",
      availabilityZone: h.AvailabilityZone ?? "",
      state: h.State ?? "",
      ...(h.EniIp ? { eniIp: h.EniIp } : {}),
    })),
    subnets: { ...(c.SubnetMapping ?? {}) },
    tags: Object.fromEntries((c.TagList ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
    ...(c.Certificates?.ClusterCsr ? { csr: c.Certificates.ClusterCsr } : {}),
    ...(c.CreateTimestamp ? { createdAt: new Date(c.CreateTimestamp) } : {}),
    ...(days !== undefined && Number.isFinite(days) ? { backupRetentionDays: days } : {}),
  };
}
