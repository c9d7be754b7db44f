import type { PendingDeletion } from "../../../../src/ports/orphan-register";
import { isPending, registerGauges } from "../../../../src/store-signals/register";

const NOW = new Date("2026-12-01T00:00:00.000Z");
const deletion = (over: Partial<PendingDeletion> = {}): PendingDeletion => ({
  keyArn: "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321",
  customKeyStoreId: "cks-1234567890abcdef0",
  deletionDate: "2026-12-07T00:00:00.000Z",
  scheduledAt: "2026-11-30T00:00:00Z",
  ...over,
});

describe("isPending", () => {
  it("returns true when the key was scheduled and not cancelled since", () => {
    expect(isPending(deletion(), NOW)).toBe(true);
    // A cancel older than a later schedule of the same key does not undo it.
    expect(isPending(deletion({ cancelledAt: "2026-11-29T00:00:00Z" }), NOW)).toBe(true);
  });

  it("returns false when a cancel at or after the schedule was recorded", () => {
    expect(isPending(deletion({ cancelledAt: "2026-11-30T00:00:00Z" }), NOW)).toBe(false);
    expect(isPending(deletion({ cancelledAt: "2026-11-30T00:00:01Z" }), NOW)).toBe(false);
  });

  it("returns true until 24 hours after the deletion date, when KMS has surely deleted the key", () => {
    expect(isPending(deletion({ deletionDate: "2026-11-30T00:00:01.000Z" }), NOW)).toBe(true);
    expect(isPending(deletion({ deletionDate: "2026-11-30T00:00:00.000Z" }), NOW)).toBe(false);
  });
});

describe("registerGauges", () => {
  it("returns 0 and 0 when the store has no open orphan and no pending deletion", () => {
    expect(registerGauges({ openOrphansFoundAt: [], pendingDeletions: [] }, NOW)).toEqual({
      keysPendingDeletion: 0,
      oldestOpenOrphanDays: 0,
    });
  });

  it("returns the oldest open orphan's age in days, to two decimals", () => {
    const gauges = registerGauges(
      { openOrphansFoundAt: ["2026-11-30T00:00:00.000Z", "2026-11-22T16:00:00.000Z"], pendingDeletions: [] },
      NOW,
    );

    expect(gauges.oldestOpenOrphanDays).toBe(8.33);
  });
});
