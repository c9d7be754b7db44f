import type { Cluster } from "../../../../src/ports/clusters";
import type { KeyStore } from "../../../../src/ports/key-stores";
import type { StoreRegister } from "../../../../src/ports/orphan-register";
import type { StoreEvents, StoreRecord, StoreStateChange, StoreStates } from "../../../../src/ports/store-states";
import { activeHsmsByZone, checkStores } from "../../../../src/store-signals/check";

const NOW = new Date("2026-12-01T01:00:00.000Z");
const store = (id: string, connectionState: string, clusterId?: string): KeyStore => ({
  customKeyStoreId: id,
  name: id,
  type: "AWS_CLOUDHSM",
  connectionState,
  ...(clusterId ? { clusterId } : {}),
});
const cluster: Cluster = {
  clusterId: "cluster-abcdefghijk",
  state: "ACTIVE",
  subnets: { "us-east-1a": "subnet-a", "us-east-1b": "subnet-b", "us-east-1c": "subnet-c" },
  tags: {},
  hsms: [
    { hsmId: "hsm-aaaaaaaaaaa", availabilityZone: "us-east-1a", state: "ACTIVE" },
    { hsmId: "hsm-bbbbbbbbbbb", availabilityZone: "us-east-1b", state: "DEGRADED" },
    { hsmId: "hsm-ccccccccccc", availabilityZone: "us-east-1a", state: "ACTIVE" },
  ],
};

const EMPTY: StoreRegister = { openOrphansFoundAt: [], pendingDeletions: [] };

function deps(
  stores: KeyStore[],
  records: Record<string, StoreRecord> = {},
  broken: string[] = [],
  registers: Record<string, StoreRegister> = {},
) {
  const published: StoreStateChange[] = [];
  const listClusters = jest.fn(async () => [cluster]);
  const states: StoreStates = {
    get: async (id) => records[id],
    replace: async (id, _expected, next) => {
      if (broken.includes(id)) throw Object.assign(new Error("Throughput exceeded"), { name: "ThrottlingException" });
      records[id] = next;
      return true;
    },
    clearPending: async () => undefined,
  };
  const events: StoreEvents = { publish: async (c) => void published.push(c) };
  return {
    d: {
      keyStores: { list: async () => stores },
      clusters: { list: listClusters },
      states,
      events,
      register: {
        storeRegister: async (id: string) => {
          if (id === "cks-unreadable") throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
          return registers[id] ?? EMPTY;
        },
      },
    },
    published,
    listClusters,
  };
}

describe("checkStores", () => {
  it("returns every store's gauges and publishes the change of the one that left CONNECTED", async () => {
    const { d, published } = deps([store("cks-one", "FAILED", cluster.clusterId), store("cks-two", "CONNECTED")], {
      "cks-one": {
        connectionState: "CONNECTED",
        observedAt: "2026-12-01T00:30:00.000Z",
        observer: "store-check",
        lastConnectedAt: "2026-12-01T00:30:00.000Z",
      },
    });

    const result = await checkStores(d, NOW);

    expect(result).toEqual({
      stores: [
        {
          customKeyStoreId: "cks-one",
          connected: false,
          minutesSinceLastConnect: 30,
          activeHsms: { "us-east-1a": 2, "us-east-1b": 0, "us-east-1c": 0 },
          keysPendingDeletion: 0,
          oldestOpenOrphanDays: 0,
        },
        // First seen now: no record to change from, and CONNECTED, so 0 minutes.
        {
          customKeyStoreId: "cks-two",
          connected: true,
          minutesSinceLastConnect: 0,
          keysPendingDeletion: 0,
          oldestOpenOrphanDays: 0,
        },
      ],
      changes: 1,
      failed: [],
    });
    expect(published).toEqual([expect.objectContaining({ customKeyStoreId: "cks-one", connectionState: "FAILED" })]);
  });

  it("returns the other stores' gauges and names the store whose record failed to write", async () => {
    const { d } = deps([store("cks-one", "CONNECTED"), store("cks-two", "CONNECTED")], {}, ["cks-one"]);

    const result = await checkStores(d, NOW);

    expect(result.failed).toEqual(["cks-one: ThrottlingException: Throughput exceeded"]);
    expect(result.stores.map((s) => s.customKeyStoreId)).toEqual(["cks-one", "cks-two"]);
  });

  it("returns each store's keys pending deletion and oldest open orphan from its register items", async () => {
    const pending = (keyId: string, deletionDate: string, cancelledAt?: string) => ({
      keyArn: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`,
      customKeyStoreId: "cks-one",
      deletionDate,
      scheduledAt: "2026-11-20T00:00:00Z",
      ...(cancelledAt ? { cancelledAt } : {}),
    });
    const { d } = deps([store("cks-one", "CONNECTED")], {}, [], {
      "cks-one": {
        openOrphansFoundAt: ["2026-11-29T13:00:00.000Z", "2026-11-30T01:00:00.000Z"],
        pendingDeletions: [
          pending("a", "2026-12-05T00:00:00Z"),
          // Deleted by KMS at the latest 24 hours after its date, which has passed: no longer pending.
          pending("b", "2026-11-29T00:00:00Z"),
          // Cancelled after it was scheduled.
          pending("c", "2026-12-05T00:00:00Z", "2026-11-21T00:00:00Z"),
          // Its date passed less than 24 hours ago: KMS may not have deleted it yet.
          pending("d", "2026-11-30T12:00:00Z"),
        ],
      },
    });

    const [gauges] = (await checkStores(d, NOW)).stores;

    expect(gauges).toMatchObject({ keysPendingDeletion: 2, oldestOpenOrphanDays: 1.5 });
  });

  it("returns the store's other gauges and names it failed when its register cannot be read", async () => {
    const { d } = deps([store("cks-unreadable", "CONNECTED")]);

    const result = await checkStores(d, NOW);

    expect(result.failed).toEqual(["cks-unreadable register: ThrottlingException: Rate exceeded"]);
    expect(result.stores).toEqual([
      { customKeyStoreId: "cks-unreadable", connected: true, minutesSinceLastConnect: 0 },
    ]);
  });

  it("lists no clusters when no store is a CloudHSM key store", async () => {
    const { d, listClusters } = deps([store("cks-xks", "CONNECTED")]);

    await checkStores(d, NOW);

    expect(listClusters).not.toHaveBeenCalled();
  });
});

describe("activeHsmsByZone", () => {
  it("returns 0 for a zone of the cluster's subnets without an ACTIVE HSM", () => {
    expect(activeHsmsByZone({ ...cluster, hsms: [] })).toEqual({ "us-east-1a": 0, "us-east-1b": 0, "us-east-1c": 0 });
  });
});
