import type {
  StoreEvents,
  StoreObservation,
  StoreRecord,
  StoreStateChange,
  StoreStates,
} from "../../../../src/ports/store-states";
import { minutesSinceLastConnect, observeStore, PENDING_GRACE_MS } from "../../../../src/store-signals/observe";

const CKS = "cks-1234567890abcdef0";
const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 0, minute)).toISOString();
const seen = (minute: number, connectionState: string, connectionErrorCode?: string): StoreObservation => ({
  customKeyStoreId: CKS,
  connectionState,
  ...(connectionErrorCode ? { connectionErrorCode } : {}),
  observedAt: at(minute),
  observer: "store-check",
});

/**
 * The register as DynamoStoreStates keeps it (its conditions are pinned by test/unit/src/adapters/store-states.test.ts):
 * a replace holds only while the record has the observation time and the pending change it had when read. Every call
 * yields first, so observers run interleaved as concurrent invocations do.
 */
class FakeStates implements StoreStates {
  readonly records = new Map<string, StoreRecord>();
  private readonly tick = () => new Promise((r) => setImmediate(r));

  async get(id: string) {
    await this.tick();
    const record = this.records.get(id);
    return record && structuredClone(record);
  }

  async replace(id: string, expected: StoreRecord | undefined, next: StoreRecord) {
    await this.tick();
    const current = this.records.get(id);
    const holds = expected
      ? current?.observedAt === expected.observedAt && current.pending?.eventId === expected.pending?.eventId
      : current === undefined;
    if (holds) this.records.set(id, structuredClone(next));
    return holds;
  }

  async clearPending(id: string, eventId: string) {
    await this.tick();
    const current = this.records.get(id);
    if (current?.pending?.eventId === eventId) delete current.pending;
  }
}

class FakeEvents implements StoreEvents {
  readonly published: StoreStateChange[] = [];
  failNext = false;
  async publish(change: StoreStateChange) {
    if (this.failNext) {
      this.failNext = false;
      throw Object.assign(new Error("PutEvents reported a failed entry"), { name: "StoreEventNotPublishedError" });
    }
    this.published.push(change);
  }
}

let states: FakeStates;
let events: FakeEvents;
beforeEach(() => {
  states = new FakeStates();
  events = new FakeEvents();
});

describe("observeStore", () => {
  it("returns no change and starts the store's record when the store is observed for the first time", async () => {
    const observed = await observeStore({ states, events }, seen(0, "CONNECTED"));

    expect(observed.change).toBeUndefined();
    expect(events.published).toEqual([]);
    expect(states.records.get(CKS)).toMatchObject({ connectionState: "CONNECTED", lastConnectedAt: at(0) });
  });

  it("publishes one Key Store State Change naming both states when the state differs from the last observed", async () => {
    await observeStore({ states, events }, seen(0, "CONNECTED"));

    const observed = await observeStore({ states, events }, seen(5, "DISCONNECTED"));

    expect(events.published).toEqual([observed.change]);
    expect(observed.change).toMatchObject({
      customKeyStoreId: CKS,
      previousConnectionState: "CONNECTED",
      connectionState: "DISCONNECTED",
      observedAt: at(5),
      observer: "store-check",
    });
    expect(states.records.get(CKS)?.pending).toBeUndefined();
  });

  it("publishes nothing when the state and the error code are those last observed", async () => {
    await observeStore({ states, events }, seen(0, "FAILED", "NETWORK_ERRORS"));

    await observeStore({ states, events }, seen(5, "FAILED", "NETWORK_ERRORS"));

    expect(events.published).toEqual([]);
  });

  it("publishes a change when only the ConnectionErrorCode differs", async () => {
    await observeStore({ states, events }, seen(0, "FAILED", "NETWORK_ERRORS"));

    await observeStore({ states, events }, seen(5, "FAILED", "USER_LOGGED_IN"));

    expect(events.published).toEqual([
      expect.objectContaining({ previousConnectionErrorCode: "NETWORK_ERRORS", connectionErrorCode: "USER_LOGGED_IN" }),
    ]);
  });

  it("publishes one event when two observers see the same change at once (at-least-once delivery)", async () => {
    await observeStore({ states, events }, seen(0, "CONNECTED"));

    await Promise.all([
      observeStore({ states, events }, { ...seen(5, "DISCONNECTED"), observer: "connect-key-store" }),
      observeStore({ states, events }, seen(5, "DISCONNECTED")),
      observeStore({ states, events }, seen(6, "DISCONNECTED")),
    ]);

    expect(events.published).toHaveLength(1);
  });

  it("returns the record unchanged when the observation is older than the last one recorded", async () => {
    await observeStore({ states, events }, seen(10, "CONNECTED"));

    const observed = await observeStore({ states, events }, seen(5, "DISCONNECTED"));

    expect(observed.change).toBeUndefined();
    expect(events.published).toEqual([]);
    expect(states.records.get(CKS)?.connectionState).toBe("CONNECTED");
  });

  it("keeps a change whose publish failed and publishes it with the next observation after the grace period", async () => {
    await observeStore({ states, events }, seen(0, "CONNECTED"));
    events.failNext = true;
    await expect(observeStore({ states, events }, seen(1, "DISCONNECTED"))).rejects.toThrow("failed entry");

    await observeStore({ states, events }, seen(2, "DISCONNECTED"));
    expect(events.published).toEqual([]);
    await observeStore({ states, events }, seen(1 + PENDING_GRACE_MS / 60_000, "DISCONNECTED"));

    expect(events.published).toEqual([
      expect.objectContaining({
        previousConnectionState: "CONNECTED",
        connectionState: "DISCONNECTED",
        observedAt: at(1),
      }),
    ]);
    expect(states.records.get(CKS)?.pending).toBeUndefined();
  });

  it("publishes a change left pending before a newer change, in order", async () => {
    await observeStore({ states, events }, seen(0, "CONNECTED"));
    events.failNext = true;
    await expect(observeStore({ states, events }, seen(1, "DISCONNECTED"))).rejects.toThrow();

    await observeStore({ states, events }, seen(2, "CONNECTING"));

    expect(events.published.map((e) => `${e.previousConnectionState}>${e.connectionState}`)).toEqual([
      "CONNECTED>DISCONNECTED",
      "DISCONNECTED>CONNECTING",
    ]);
  });
});

describe("minutesSinceLastConnect", () => {
  const record = (connectionState: string, lastConnectedAt?: string): StoreRecord => ({
    connectionState,
    observedAt: at(50),
    observer: "store-check",
    ...(lastConnectedAt ? { lastConnectedAt } : {}),
  });

  it("returns 0 when the store is CONNECTED", () => {
    expect(minutesSinceLastConnect(record("CONNECTED", at(50)))).toBe(0);
  });

  it("returns the minutes since it was last seen CONNECTED when it is not", () => {
    expect(minutesSinceLastConnect(record("FAILED", at(20)))).toBe(30);
  });

  it("returns undefined when no observation saw the store CONNECTED", () => {
    expect(minutesSinceLastConnect(record("DISCONNECTED"))).toBeUndefined();
  });
});
