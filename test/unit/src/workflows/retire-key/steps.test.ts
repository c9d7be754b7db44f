import type { Alert } from "../../../../../src/ports/alerts";
import type { KeyAnswer, KeyStores } from "../../../../../src/ports/key-stores";
import { type KeyUse, RetirementInProgressError } from "../../../../../src/ports/retirements";
import {
  AlreadyPendingDeletionError,
  NotInCloudHsmKeyStoreError,
  RetireKeyNotFoundError,
  RetirementLostError,
} from "../../../../../src/workflows/retire-key/errors";
import { beginRetirement, decideRetirement } from "../../../../../src/workflows/retire-key/steps";
import { memoryRetirements } from "../../../../support/fakes";

const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
const CKS = "cks-1234567890abcdef0";
const NOW = new Date("2026-12-01T00:00:00.000Z");
const DELETION = new Date("2027-01-01T00:00:00.000Z");

type Key = { keyState: string; origin?: string; customKeyStoreId?: string; deletionDate?: Date };

function setup(key: Key | "gone" = { keyState: "Enabled", origin: "AWS_CLOUDHSM", customKeyStoreId: CKS }) {
  let current = key;
  const calls: string[] = [];
  const keyStores: Pick<KeyStores, "describeKey" | "disableKey" | "scheduleKeyDeletion"> = {
    describeKey: async (): Promise<KeyAnswer> =>
      current === "gone" ? { gone: true } : { gone: false, key: { keyArn: KEY_ARN, ...current } },
    disableKey: async () => {
      calls.push("DisableKey");
      if (current !== "gone") current = { ...current, keyState: "Disabled" };
    },
    scheduleKeyDeletion: async (_arn, days) => {
      calls.push(`ScheduleKeyDeletion ${days}`);
      if (current !== "gone") current = { ...current, keyState: "PendingDeletion", deletionDate: DELETION };
      return { deletionDate: DELETION };
    },
  };
  const published: Alert[] = [];
  const retirements = memoryRetirements();
  const statuses = new Map<string, string>();
  const deps = {
    keyStores,
    retirements,
    alerts: { publish: async (a: Alert) => void published.push(a), requestSignature: async () => {} },
    executions: { status: async (arn: string) => statuses.get(arn) ?? "RUNNING" },
    now: () => NOW,
  };
  return { deps, calls, published, retirements, statuses, set: (k: Key) => (current = k) };
}

const use = (caller: string, eventId = caller): KeyUse => ({ eventId, caller, operation: "Decrypt" });
const MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-retireKey";
const begin = (execution: string, input: { probationDays?: number; force?: boolean } = {}) => ({
  input: { keyArn: KEY_ARN, ...input },
  execution,
  stateMachineArn: MACHINE,
});

describe("beginRetirement", () => {
  it("returns the probation's end and defaults, after opening the retirement and disabling the key", async () => {
    const { deps, calls, retirements } = setup();

    const out = await beginRetirement(deps, begin("retire-1"));

    expect(out).toEqual({
      keyArn: KEY_ARN,
      customKeyStoreId: CKS,
      execution: "retire-1",
      probationEndsAt: "2026-12-15T00:00:00.000Z",
      pendingWindowInDays: 30,
      force: false,
    });
    expect(calls).toEqual(["DisableKey"]);
    expect(retirements.data.get(KEY_ARN)?.state).toBe("PROBATION");
  });

  it("returns the stored probation end when the step is retried later, and keeps the uses recorded meanwhile", async () => {
    const { deps, retirements } = setup();
    await beginRetirement(deps, begin("retire-1", { probationDays: 1 }));
    await retirements.recordUse(KEY_ARN, use("app"));

    const later = { ...deps, now: () => new Date("2026-12-01T00:05:00.000Z") };
    const out = await beginRetirement(later, begin("retire-1", { probationDays: 1 }));

    expect(out.probationEndsAt).toBe("2026-12-02T00:00:00.000Z");
    expect(retirements.data.get(KEY_ARN)?.uses).toHaveLength(1);
  });

  it.each([
    ["a key KMS does not know", "gone" as const, RetireKeyNotFoundError],
    ["a key of the default key store", { keyState: "Enabled", origin: "AWS_KMS" }, NotInCloudHsmKeyStoreError],
    [
      "a key pending deletion",
      { keyState: "PendingDeletion", origin: "AWS_CLOUDHSM", customKeyStoreId: CKS },
      AlreadyPendingDeletionError,
    ],
  ])("throws and changes nothing for %s", async (_what, key, error) => {
    const { deps, calls, retirements } = setup(key);

    await expect(beginRetirement(deps, begin("retire-1"))).rejects.toBeInstanceOf(error);
    expect(calls).toEqual([]);
    expect(retirements.data.size).toBe(0);
  });

  it("returns a new probation, taking the retirement over, when the execution holding it has ended", async () => {
    const { deps, retirements, statuses } = setup();
    await beginRetirement(deps, begin("retire-1"));
    await retirements.recordUse(KEY_ARN, use("app"));
    statuses.set(`${MACHINE.replace(":stateMachine:", ":execution:")}:retire-1`, "ABORTED");

    const out = await beginRetirement({ ...deps, now: () => new Date("2026-12-03T00:00:00.000Z") }, begin("retire-2"));

    expect(out).toMatchObject({ execution: "retire-2", probationEndsAt: "2026-12-17T00:00:00.000Z" });
    expect(retirements.data.get(KEY_ARN)).toMatchObject({ execution: "retire-2", state: "PROBATION", uses: [] });
  });

  it("throws RetirementInProgressError and leaves the key alone when another execution retires it", async () => {
    const { deps, calls } = setup();
    await beginRetirement(deps, begin("retire-1"));
    calls.length = 0;

    await expect(beginRetirement(deps, begin("retire-2"))).rejects.toBeInstanceOf(RetirementInProgressError);
    expect(calls).toEqual([]);
  });
});

describe("decideRetirement", () => {
  const step = {
    keyArn: KEY_ARN,
    customKeyStoreId: CKS,
    execution: "retire-1",
    probationEndsAt: "2026-12-15T00:00:00.000Z",
    pendingWindowInDays: 7,
    force: false,
  };
  async function inProbation(force = false) {
    const s = setup();
    await beginRetirement(s.deps, begin("retire-1", { force }));
    s.calls.length = 0;
    return s;
  }

  it("returns DELETION_SCHEDULED with the window asked when nobody used the key", async () => {
    const { deps, calls, published, retirements } = await inProbation();

    const out = await decideRetirement(deps, step);

    expect(out).toEqual({
      result: "DELETION_SCHEDULED",
      keyArn: KEY_ARN,
      deletionDate: DELETION.toISOString(),
      usesDuringProbation: 0,
      forced: false,
    });
    expect(calls).toEqual(["ScheduleKeyDeletion 7"]);
    expect(published).toEqual([]);
    expect(retirements.data.get(KEY_ARN)?.state).toBe("DELETION_SCHEDULED");
  });

  it("returns USED_DURING_PROBATION, schedules nothing and alerts naming each caller once, when the key was used", async () => {
    const { deps, calls, published, retirements } = await inProbation();
    for (const [caller, id] of [
      ["arn:aws:iam::111122223333:role/app", "e1"],
      ["arn:aws:iam::111122223333:role/app", "e2"],
      ["arn:aws:iam::111122223333:user/Bob", "e3"],
    ] as const) {
      await retirements.recordUse(KEY_ARN, use(caller, id));
    }

    const out = await decideRetirement(deps, step);

    expect(out).toEqual({
      result: "USED_DURING_PROBATION",
      keyArn: KEY_ARN,
      usesDuringProbation: 3,
      callers: ["arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:user/Bob"],
    });
    expect(calls).toEqual([]);
    expect(published).toEqual([
      expect.objectContaining({ type: "KeyUsedDuringProbation", severity: "WARNING", keyArn: KEY_ARN }),
    ]);
    expect(retirements.data.get(KEY_ARN)?.state).toBe("KEPT");
  });

  it("returns DELETION_SCHEDULED with forced true when the key was used and force is set", async () => {
    const { deps, calls, retirements } = await inProbation(true);
    await retirements.recordUse(KEY_ARN, use("app"));

    const out = await decideRetirement(deps, { ...step, force: true });

    expect(out).toMatchObject({ result: "DELETION_SCHEDULED", usesDuringProbation: 1, forced: true });
    expect(calls).toEqual(["ScheduleKeyDeletion 7"]);
  });

  it("returns KEPT and schedules nothing when someone enabled the key again during the probation", async () => {
    const { deps, calls, set } = await inProbation();
    set({ keyState: "Enabled", origin: "AWS_CLOUDHSM", customKeyStoreId: CKS });

    expect(await decideRetirement(deps, step)).toMatchObject({ result: "KEPT" });
    expect(calls).toEqual([]);
  });

  it("returns the deletion already scheduled, without scheduling again, when the step is retried", async () => {
    const { deps, calls } = await inProbation();
    await decideRetirement(deps, step);
    calls.length = 0;

    expect(await decideRetirement(deps, step)).toMatchObject({
      result: "DELETION_SCHEDULED",
      deletionDate: DELETION.toISOString(),
    });
    expect(calls).toEqual([]);
  });

  it("throws RetirementLostError and changes nothing when the retirement is another execution's", async () => {
    const { deps, calls } = await inProbation();

    await expect(decideRetirement(deps, { ...step, execution: "retire-2" })).rejects.toBeInstanceOf(
      RetirementLostError,
    );
    expect(calls).toEqual([]);
  });
});
