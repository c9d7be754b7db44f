import { CloudWatchClient, GetDashboardCommand } from "@aws-sdk/client-cloudwatch";
import { EventBridgeClient, TestEventPatternCommand } from "@aws-sdk/client-eventbridge";
import type { KMSClient } from "@aws-sdk/client-kms";
import {
  connect,
  createStore,
  describeStore,
  disconnect,
  eventsAfter,
  lastSeq,
  patientKms,
  seedCluster,
} from "../../local/account/driver";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";
import { ALERT_SOURCE, KEY_STORE_STATE_CHANGE_DETAIL_TYPE } from "../../src/alert-source";

type Change = {
  eventId: string;
  customKeyStoreId: string;
  previousConnectionState: string;
  connectionState: string;
  observer: string;
};

/**
 * The product's own `Key Store State Change` events on the local account with serverless.yml deployed: the 5-minute
 * store check (on here, LOCAL_RUNTIME_STORE_CHECK) and connect-key-store's watch executions (started by the
 * ConnectCustomKeyStore CloudTrail events) observe one store that disconnects and reconnects.
 */
describe("Key Store State Change on the local bus", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let events: EventBridgeClient;
  /** The store the first test disconnects and reconnects. */
  let storeId: string;

  beforeAll(async () => {
    account = await LocalAccountProcess.start({ entry: "local/start.ts", env: { LOCAL_RUNTIME_STORE_CHECK: "on" } });
    kms = patientKms(account);
    events = new EventBridgeClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS });
  });
  afterAll(() => account.stop());

  /** The state changes of `id` the bus committed after `seq`, in order. */
  async function changesAfter(seq: number, id: string) {
    const all = await eventsAfter(account, seq);
    return all.filter(
      (e) =>
        e.source === ALERT_SOURCE &&
        e["detail-type"] === KEY_STORE_STATE_CHANGE_DETAIL_TYPE &&
        e.detail.customKeyStoreId === id,
    ) as unknown as ({ detail: Change } & Record<string, unknown>)[];
  }

  it("returns one event per change, each from the state the one before ended in, when a store disconnects and reconnects", async () => {
    const cluster = await seedCluster(account);
    const id = await createStore(kms, cluster, "signals-1");
    storeId = id;
    expect((await connect(account, kms, id)).ConnectionState).toBe("CONNECTED");
    // One check on the connected store, so its record says CONNECTED before the test's own changes.
    await account.advance("5m");
    const seq = await lastSeq(account);

    expect((await disconnect(account, kms, id)).ConnectionState).toBe("DISCONNECTED");
    await account.advance("5m");
    const disconnected = await changesAfter(seq, id);
    expect((await connect(account, kms, id)).ConnectionState).toBe("CONNECTED");
    await account.advance("5m");
    const all = (await changesAfter(seq, id)).map((e) => e.detail);

    expect(disconnected.map((e) => e.detail.previousConnectionState)[0]).toBe("CONNECTED");
    expect(disconnected.at(-1)?.detail.connectionState).toBe("DISCONNECTED");
    expect(all.at(-1)).toMatchObject({ connectionState: "CONNECTED" });
    // A chain: each change starts from the state the previous one ended in, so none was told twice or skipped.
    for (const [i, change] of all.entries()) {
      if (i > 0) expect(change.previousConnectionState).toBe(all[i - 1]?.connectionState);
      expect(change.previousConnectionState).not.toBe(change.connectionState);
    }
    expect(new Set(all.map((c) => c.eventId)).size).toBe(all.length);
    expect(new Set(all.map((c) => c.observer))).toEqual(new Set(["store-check", "connect-key-store"]));
    expect((await describeStore(kms, id)).ConnectionState).toBe("CONNECTED");
  });

  it("returns a match for an operator's rule on the product's source, detail-type and new state", async () => {
    const [event] = (await changesAfter(0, storeId)).slice(-1);

    const out = await events.send(
      new TestEventPatternCommand({
        EventPattern: JSON.stringify({
          source: [ALERT_SOURCE],
          "detail-type": [KEY_STORE_STATE_CHANGE_DETAIL_TYPE],
          detail: { customKeyStoreId: [storeId], connectionState: ["CONNECTED"] },
        }),
        Event: JSON.stringify(event),
      }),
    );

    expect(out.Result).toBe(true);
  });

  it("returns the per-store dashboard with a row for each store the check observed, a new store within one check", async () => {
    const cloudwatch = new CloudWatchClient({
      endpoint: account.endpoint,
      region: "us-east-1",
      credentials: CREDENTIALS,
    });
    const titles = async () => {
      const { DashboardBody } = await cloudwatch.send(
        new GetDashboardCommand({ DashboardName: "keystore-autopilot-dev-stores" }),
      );
      return (JSON.parse(DashboardBody ?? "{}") as { widgets: { properties: { title?: string } }[] }).widgets
        .map((w) => w.properties.title?.split(":")[0])
        .filter(Boolean);
    };
    const cluster = await seedCluster(account);
    const added = await createStore(kms, cluster, "signals-2");

    expect(new Set(await titles())).toEqual(new Set([storeId]));
    await account.advance("5m");

    expect(new Set(await titles())).toEqual(new Set([storeId, added]));
  });
});
