import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalAccount } from "../../../../local/account/account";
import { LocalAccountConfigSchema } from "../../../../local/account/config";
import type { Service } from "../../../../local/account/protocol";

const DAY = 86_400_000;

/** A service with fixed due times that records when each was settled. */
function dueItems(dueAt: number[]): Service & { settledAt: Map<number, number> } {
  const settledAt = new Map<number, number>();
  return {
    target: "Test",
    name: "test",
    jsonVersion: "1.1",
    internalError: { code: "InternalFailure", status: 500 },
    operations: {},
    settledAt,
    tick(now) {
      for (const at of dueAt) if (at <= now && !settledAt.has(at)) settledAt.set(at, now);
    },
    nextDue(after) {
      return dueAt.filter((at) => at > after && !settledAt.has(at)).sort((a, b) => a - b)[0];
    },
  };
}

describe("LocalAccount.advance", () => {
  afterEach(() => jest.restoreAllMocks());

  it("settles items due a few ms apart each at its own time when real time runs on during every stop", async () => {
    const account = new LocalAccount(
      LocalAccountConfigSchema.parse({ dataDir: mkdtempSync(join(tmpdir(), "advance-")) }),
    );
    // Under load: every reading of real time is 3 ms later than the one before.
    let real = Date.UTC(2026, 0, 1);
    jest.spyOn(Date, "now").mockImplementation(() => (real += 3));
    const start = account.ctx.clock.now();
    // Daily items with others due a few ms after them, as a day's backup and the retention of the one a week older.
    const dueAt = [1, 2, 3].flatMap((d) => Array.from({ length: 20 }, (_, ms) => start + d * DAY + ms));
    const service = dueItems(dueAt);
    account.addService(service);

    await account.advance(4 * DAY);

    for (const at of dueAt) {
      expect(service.settledAt.get(at)).toBeGreaterThanOrEqual(at);
      expect((service.settledAt.get(at) as number) - at).toBeLessThan(60_000);
    }
  });

  it("settles every due item and says the runtime was still busy, once, when a service never becomes idle", async () => {
    const account = new LocalAccount(
      LocalAccountConfigSchema.parse({ dataDir: mkdtempSync(join(tmpdir(), "advance-")) }),
    );
    account.settleLimitMs = 50;
    const start = account.ctx.clock.now();
    const dueAt = [1, 2, 3].map((d) => start + d * DAY);
    const service = dueItems(dueAt);
    account.addService({ ...service, idle: () => new Promise<void>(() => {}) });

    const out = await account.advance(4 * DAY);

    expect(out.notes).toEqual([expect.stringMatching(/^The runtime was still busy 0.05 s \(real time\) after /)]);
    expect(out.stops).toBe(3);
    for (const at of dueAt) expect(service.settledAt.get(at)).toBeGreaterThanOrEqual(at);
  });
});
