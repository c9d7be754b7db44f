import { type Cluster, CreateClusterCommand, DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { CloudHsmClusters } from "../../../../../src/adapters/clusters";
import { ensureCluster } from "../../../../../src/workflows/provision-key-store/cluster-steps";
import { KEY_STORE_TAG } from "../../../../../src/workflows/provision-key-store/model";
import { fakeCloudHsm } from "../../../../support/fake-cloudhsm";

/** A cluster as DescribeClusters lists it (API Reference, "Cluster" data type), tagged for `keyStoreName`. */
const tagged = (id: string, state: string, created: string, keyStoreName = "ks-a"): Cluster => ({
  ClusterId: id,
  State: state as Cluster["State"],
  CreateTimestamp: new Date(created),
  TagList: [{ Key: KEY_STORE_TAG, Value: keyStoreName }],
});

const plan = {
  keyStoreName: "ks-a",
  subnetIds: ["subnet-0a1b2c3d", "subnet-1a2b3c4d"],
  hsmType: "hsm2m.medium" as const,
};

describe("ensureCluster with more than one cluster tagged for the key store", () => {
  const cloudhsm = fakeCloudHsm();
  beforeEach(() => cloudhsm.reset());
  const created = () => cloudhsm.calls.filter((c) => c.command === CreateClusterCommand.name);

  it("resumes on the cluster provisioning got furthest with and reports the empty duplicate, in either listing order", async () => {
    const duplicate = tagged("cluster-aaaaaaaaaaa", "UNINITIALIZED", "2026-12-01T10:00:00Z");
    const resumed = tagged("cluster-bbbbbbbbbbb", "ACTIVE", "2026-12-01T10:00:05Z");
    for (const Clusters of [
      [duplicate, resumed],
      [resumed, duplicate],
    ]) {
      cloudhsm.replies.set(DescribeClustersCommand, { Clusters });
      await expect(ensureCluster({ clusters: new CloudHsmClusters(cloudhsm.port) }, plan)).resolves.toEqual({
        clusterId: "cluster-bbbbbbbbbbb",
        created: false,
        strays: ["cluster-aaaaaaaaaaa"],
      });
    }
    expect(created()).toEqual([]);
  });

  it("between two clusters equally far, resumes on the older one", async () => {
    const older = tagged("cluster-zzzzzzzzzzz", "UNINITIALIZED", "2026-12-01T10:00:00Z");
    const newer = tagged("cluster-ccccccccccc", "UNINITIALIZED", "2026-12-01T10:01:00Z");
    for (const Clusters of [
      [newer, older],
      [older, newer],
    ]) {
      cloudhsm.replies.set(DescribeClustersCommand, { Clusters });
      const out = await ensureCluster({ clusters: new CloudHsmClusters(cloudhsm.port) }, plan);
      expect(out).toMatchObject({ clusterId: "cluster-zzzzzzzzzzz", strays: ["cluster-ccccccccccc"] });
    }
  });

  it("ignores clusters being deleted and other key stores' clusters, and creates a tagged one when none is left", async () => {
    cloudhsm.replies.set(DescribeClustersCommand, {
      Clusters: [
        tagged("cluster-ddddddddddd", "DELETE_IN_PROGRESS", "2026-12-01T09:00:00Z"),
        tagged("cluster-eeeeeeeeeee", "ACTIVE", "2026-12-01T09:00:00Z", "ks-other"),
      ],
    });
    cloudhsm.replies.set(CreateClusterCommand, { Cluster: { ClusterId: "cluster-fffffffffff" } });
    await expect(ensureCluster({ clusters: new CloudHsmClusters(cloudhsm.port) }, plan)).resolves.toEqual({
      clusterId: "cluster-fffffffffff",
      created: true,
      strays: [],
    });
    expect(created()).toEqual([
      expect.objectContaining({ input: expect.objectContaining({ TagList: [{ Key: KEY_STORE_TAG, Value: "ks-a" }] }) }),
    ]);
  });

  it("adopting a named cluster reports the clusters earlier attempts tagged for the key store", async () => {
    cloudhsm.replies.set(DescribeClustersCommand, {
      Clusters: [tagged("cluster-ggggggggggg", "UNINITIALIZED", "2026-12-01T09:00:00Z")],
    });
    await expect(
      ensureCluster({ clusters: new CloudHsmClusters(cloudhsm.port) }, { ...plan, clusterId: "cluster-hhhhhhhhhhh" }),
    ).resolves.toEqual({ clusterId: "cluster-hhhhhhhhhhh", created: false, strays: ["cluster-ggggggggggg"] });
    expect(created()).toEqual([]);
  });
});
