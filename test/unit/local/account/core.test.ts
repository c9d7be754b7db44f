import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clock, parseDuration } from "../../../../local/account/clock";
import { checkPassword, newUser, passwordProblem } from "../../../../local/account/cluster-users";
import { Faults } from "../../../../local/account/faults";
import { Quotas } from "../../../../local/account/quotas";
import { Store } from "../../../../local/account/store";

const freshStore = () => new Store(join(mkdtempSync(join(tmpdir(), "store-")), "state.sqlite"));

describe("parseDuration", () => {
  it("returns milliseconds when given combined units", () => {
    expect(parseDuration("31d")).toBe(31 * 86_400_000);
    expect(parseDuration("1h30m")).toBe(90 * 60_000);
    expect(parseDuration("500ms")).toBe(500);
  });

  it("throws naming the value when the text is not a duration", () => {
    expect(() => parseDuration("soon")).toThrow("Invalid duration 'soon'");
    expect(() => parseDuration("5x")).toThrow("Invalid duration '5x'");
  });
});

describe("Store", () => {
  it("rolls back every write of a transaction when it throws", () => {
    const store = freshStore();
    store.tx(() => store.put("thing", "a", { v: 1 }));
    expect(() =>
      store.tx(() => {
        store.put("thing", "a", { v: 2 });
        store.put("thing", "b", { v: 3 });
        store.appendEvent({ e: 1 });
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(store.get("thing", "a")).toEqual({ v: 1 });
    expect(store.get("thing", "b")).toBeUndefined();
    expect(store.lastEventSeq()).toBe(0);
  });

  it("returns documents and events from disk when reopened", () => {
    const dir = mkdtempSync(join(tmpdir(), "store-"));
    const first = new Store(join(dir, "state.sqlite"));
    first.tx(() => {
      first.put("key", "k1", { KeyId: "k1" });
      first.appendEvent({ n: 1 });
    });
    first.close();
    const second = new Store(join(dir, "state.sqlite"));
    expect(second.list("key")).toEqual([{ KeyId: "k1" }]);
    expect(second.eventsAfter(0)).toEqual([{ seq: 1, event: { n: 1 } }]);
  });

  it("returns counts of a kind, and of those whose field equals a value, when asked to count", () => {
    const store = freshStore();
    store.tx(() => {
      store.put("key", "k1", { KeyId: "k1", CustomKeyStoreId: "cks-1" });
      store.put("key", "k2", { KeyId: "k2", CustomKeyStoreId: "cks-2" });
      store.put("key", "k3", { KeyId: "k3" });
      store.put("keys", "k4", { KeyId: "k4", CustomKeyStoreId: "cks-1" });
    });

    expect(store.count("key")).toBe(3);
    expect(store.count("key", { field: "CustomKeyStoreId", equals: "cks-1" })).toBe(1);
    expect(store.count("nothing")).toBe(0);
    expect(() => store.count("key", { field: "a') OR 1=1 --", equals: "x" })).toThrow("Not a top-level field name");
  });

  it("returns the documents of every kind under a prefix, oldest first, when listed by prefix", () => {
    const store = freshStore();
    store.tx(() => {
      store.put("inv/b", "1", { n: 1 });
      store.put("inv/a", "2", { n: 2 });
      store.put("inv", "3", { n: 3 });
      store.put("inw/a", "4", { n: 4 });
      store.put("inv/b", "5", { n: 5 });
    });

    expect(store.listByKindPrefix("inv/")).toEqual([{ n: 1 }, { n: 2 }, { n: 5 }]);
  });
});

describe("Clock", () => {
  it("returns a later time after advance, and keeps the offset across a reopen", () => {
    const dir = mkdtempSync(join(tmpdir(), "clock-"));
    const store = new Store(join(dir, "state.sqlite"));
    const clock = new Clock(store);
    const before = clock.now();
    clock.advance(parseDuration("30d"));
    expect(clock.now() - before).toBeGreaterThanOrEqual(30 * 86_400_000);
    store.close();
    const reopened = new Clock(new Store(join(dir, "state.sqlite")));
    expect(reopened.now() - before).toBeGreaterThanOrEqual(30 * 86_400_000);
  });

  it("throws when asked to go backwards", () => {
    expect(() => new Clock(freshStore()).advance(-1)).toThrow("only moves forward");
  });
});

describe("Faults", () => {
  it("fires an armed fault exactly count times, then disarms", () => {
    const store = freshStore();
    const faults = new Faults(store);
    faults.arm({ kind: "throttle", operation: "kms:CreateKey", count: 2 });
    const take = () => store.tx(() => faults.take("throttle", (f) => f.operation === "kms:CreateKey"));
    expect(take()).toBeDefined();
    expect(take()).toBeDefined();
    expect(take()).toBeUndefined();
  });

  it("throws naming the problem when a fault is malformed, and arms nothing", () => {
    const faults = new Faults(freshStore());
    expect(() => faults.arm({ kind: "connect-error", connectionErrorCode: "NOT_A_CODE" })).toThrow();
    expect(faults.list()).toEqual([]);
  });
});

describe("Quotas", () => {
  it("throws ThrottlingException once the per-second budget is spent", () => {
    const quotas = new Quotas();
    for (let i = 0; i < 5; i++) quotas.take("kms:ConnectCustomKeyStore", 5);
    expect(() => quotas.take("kms:ConnectCustomKeyStore", 5)).toThrow("Rate exceeded");
  });

  it("accepts requests again after a refill, as after a clock advance", () => {
    const quotas = new Quotas();
    for (let i = 0; i < 5; i++) quotas.take("kms:DescribeCustomKeyStores", 5);
    expect(() => quotas.take("kms:DescribeCustomKeyStores", 5)).toThrow("Rate exceeded");

    quotas.refill();

    for (let i = 0; i < 5; i++) quotas.take("kms:DescribeCustomKeyStores", 5);
    expect(() => quotas.take("kms:DescribeCustomKeyStores", 5)).toThrow("Rate exceeded");
  });
});

describe("cluster users", () => {
  it("locks a user after five wrong passwords and refuses the right one afterwards", () => {
    const user = newUser("kmsuser", "crypto-user", "CorrectHorse1");
    for (let i = 0; i < 5; i++) expect(checkPassword(user, "wrong-password")).toBe("bad-password");
    expect(user.locked).toBe(true);
    expect(checkPassword(user, "CorrectHorse1")).toBe("locked");
  });

  it("locks a user after five wrong passwords even when right ones come between them", () => {
    const user = newUser("kmsuser", "crypto-user", "CorrectHorse1");
    for (let i = 0; i < 4; i++) {
      expect(checkPassword(user, "wrong-password")).toBe("bad-password");
      expect(checkPassword(user, "CorrectHorse1")).toBe("ok");
    }
    expect(checkPassword(user, "wrong-password")).toBe("bad-password");
    expect(user.locked).toBe(true);
  });

  it("returns a reason when a password breaks CloudHSM's rules", () => {
    expect(passwordProblem("short")).toMatch(/8 to 32/);
    expect(passwordProblem("has:colon1")).toMatch(/':'/);
    expect(passwordProblem("GoodPassword1")).toBeUndefined();
  });
});
