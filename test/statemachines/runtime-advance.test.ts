import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import { GetExecutionHistoryCommand, ListExecutionsCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { EventEnvelope } from "../../local/account/events";
import { control } from "../../local/account/process";
import { DAY } from "../../local/account/timing";
import { asl, eventually, FIXTURE_PRINT, type FixtureRuntime, startFixtureRuntime } from "./fixtures/local-runtime";

const CREDENTIALS = { accessKeyId: "AKIALOCAL", secretAccessKey: "local" };
/** The fixture configuration plus a state machine a daily schedule starts. */
const WITH_DAILY = {
  ...FIXTURE_PRINT,
  stepFunctions: {
    stateMachines: {
      ...FIXTURE_PRINT.stepFunctions.stateMachines,
      daily: { definition: asl("daily.asl.json"), events: [{ schedule: "rate(1 day)" }] },
    },
  },
};
type Advanced = { now: string; stops: number; notes?: string[] };

const advance = (rt: FixtureRuntime, by: string) =>
  control<Advanced>(rt.account.endpoint, rt.account.controlToken, "POST", "/_local/clock/advance", { by });

const busAfter = (rt: FixtureRuntime, seq: number) =>
  rt.account.ctx.bus.after(seq, 100_000) as { seq: number; event: EventEnvelope }[];
const dailyArn = (rt: FixtureRuntime) => rt.runtime.config.stateMachines.daily?.arn ?? "";
const scheduled = (rt: FixtureRuntime, seq: number) =>
  busAfter(rt, seq).filter(
    (e) => e.event["detail-type"] === "Scheduled Event" && e.event.resources.some((r) => r.includes("daily")),
  );

/** The daily executions started after `start`: `count` of them, each that could finish an hour after it started. */
async function expectDailyRunsAnHour(rt: FixtureRuntime, start: number, count: number): Promise<void> {
  const { executions = [] } = await rt.sfn.send(new ListExecutionsCommand({ stateMachineArn: dailyArn(rt) }));
  const end = rt.account.ctx.clock.now();
  const mine = executions.filter((e) => (e.startDate as Date).getTime() > start);
  expect(mine).toHaveLength(count);
  // One started less than an hour before the advance ended is still waiting.
  const due = mine.filter((e) => (e.startDate as Date).getTime() + 3_600_000 <= end);
  expect(due.length).toBeGreaterThanOrEqual(count - 1);
  for (const e of due) {
    expect(e.status).toBe("SUCCEEDED");
    const took = (e.stopDate as Date).getTime() - (e.startDate as Date).getTime();
    expect(took).toBeGreaterThanOrEqual(3_600_000);
    expect(took).toBeLessThan(3_600_000 + 60_000);
  }
}

describe("local runtime: one clock advance goes through the waits and schedules inside it in time order", () => {
  let rt: FixtureRuntime;
  beforeAll(async () => {
    rt = await startFixtureRuntime({ print: WITH_DAILY });
  });
  afterAll(() => rt.stop());

  it("returns the events after a 10-day Wait stamped with the wait's end, before a key deletion due later in the same 30-day advance", async () => {
    const kms = new KMSClient({
      endpoint: rt.account.endpoint,
      region: "us-east-1",
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyArn = KeyMetadata?.Arn ?? "";
    const { DeletionDate } = await kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: KeyMetadata?.KeyId, PendingWindowInDays: 20 }),
    );
    const { executionArn = "" } = await rt.sfn.send(
      new StartExecutionCommand({ stateMachineArn: rt.arn("waitThenTask") }),
    );
    const entered = await eventually(
      async () => (await rt.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [],
      (events) => events.some((e) => e.type === "WaitStateEntered"),
      "the wait to start",
    );
    const waitEnd = Number(entered.find((e) => e.type === "WaitStateEntered")?.timestamp) + 10 * DAY;
    const after = rt.account.ctx.store.lastEventSeq();

    const out = await advance(rt, "30d");

    // The advance answers once the execution has gone on at the wait's end: it is over, every event after the wait
    // stamped with that time (give or take the real time its task took), not with the end of the jump.
    const { events = [] } = await rt.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events.at(-1)?.type).toBe("ExecutionSucceeded");
    const afterWait = events.slice(events.findIndex((e) => e.type === "WaitStateExited"));
    for (const e of afterWait) {
      expect((e.timestamp as Date).getTime()).toBeGreaterThanOrEqual(waitEnd - 1000);
      expect((e.timestamp as Date).getTime()).toBeLessThan(waitEnd + 60_000);
    }
    // The function ran at that time too: the advance waited for it before moving the clock on.
    const readClock = JSON.parse(
      events.find((e) => e.type === "TaskSucceeded")?.taskSucceededEventDetails?.output ?? "{}",
    ) as { Payload?: { now: number } };
    expect(readClock.Payload?.now).toBeGreaterThanOrEqual(waitEnd - 1000);
    expect(readClock.Payload?.now).toBeLessThan(waitEnd + 60_000);

    const bus = busAfter(rt, after);
    const times = bus.map((e) => Date.parse(e.event.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const succeeded = bus.find(
      (e) =>
        e.event["detail-type"] === "Step Functions Execution Status Change" &&
        e.event.detail.executionArn === executionArn &&
        e.event.detail.status === "SUCCEEDED",
    );
    const deleted = bus.find(
      (e) => e.event.detail.eventName === "DeleteKey" && JSON.stringify(e.event.detail).includes(keyArn),
    );
    expect(Date.parse(succeeded?.event.time ?? "")).toBeLessThan(waitEnd + 60_000);
    expect(Date.parse(deleted?.event.time ?? "")).toBeGreaterThanOrEqual((DeletionDate as Date).getTime() - 1000);
    expect(succeeded?.seq).toBeLessThan(deleted?.seq ?? 0);
    // The daily schedule fired on each of the 30 days, between them.
    expect(scheduled(rt, after)).toHaveLength(30);
    expect(out.stops).toBeGreaterThanOrEqual(31);
    expect(out.notes).toBeUndefined();
  });

  it("returns 3 scheduled events a day apart, each starting its execution at its own time, for a daily schedule inside a 3-day advance", async () => {
    const after = rt.account.ctx.store.lastEventSeq();
    const start = rt.account.ctx.clock.now();

    await advance(rt, "3d");

    const fired = scheduled(rt, after).map((e) => Date.parse(e.event.time));
    expect(fired).toHaveLength(3);
    expect(new Set(fired).size).toBe(3);
    expect((fired[1] as number) - (fired[0] as number)).toBe(DAY);
    expect((fired[2] as number) - (fired[1] as number)).toBe(DAY);
    const { executions = [] } = await rt.sfn.send(new ListExecutionsCommand({ stateMachineArn: dailyArn(rt) }));
    const started = executions
      .map((e) => (e.startDate as Date).getTime())
      .filter((t) => t > start)
      .sort((a, b) => a - b);
    expect(started).toHaveLength(3);
    started.forEach((t, i) => {
      expect(t).toBeGreaterThanOrEqual(fired[i] as number);
      expect(t).toBeLessThan((fired[i] as number) + 60_000);
    });
  });

  it("returns each scheduled execution succeeded an hour after it started when its hour-long Wait falls inside the same advance", async () => {
    const start = rt.account.ctx.clock.now();

    await advance(rt, "2d");

    // The Wait an execution registers after its schedule fired is a stop of the same advance: the advance awaited the
    // execution until it waited on the clock, so the next stop was chosen with the wait's end known.
    await expectDailyRunsAnHour(rt, start, 2);
  });
});

describe("local runtime: a schedule's occurrences inside one clock advance are capped", () => {
  let rt: FixtureRuntime;
  beforeAll(async () => {
    rt = await startFixtureRuntime({ print: WITH_DAILY, scheduleCap: 2 });
  });
  afterAll(() => rt.stop());

  it("returns a note naming the schedule and fires no more than the cap when more occurrences fall inside the advance", async () => {
    const after = rt.account.ctx.store.lastEventSeq();

    const out = await advance(rt, "3d12h");

    expect(scheduled(rt, after)).toHaveLength(2);
    expect(out.notes).toEqual([expect.stringMatching(/^Schedule fixture-test-daily-schedule-1 fired 2 times/)]);
    // The skipped occurrences stay skipped: the next advance fires from the next occurrence after it began.
    const again = rt.account.ctx.store.lastEventSeq();
    await advance(rt, "1d");
    expect(scheduled(rt, again)).toHaveLength(1);
  });
});

describe("local runtime: a clock advance awaits EventBridge deliveries held back to reorder them", () => {
  let rt: FixtureRuntime;
  beforeAll(async () => {
    rt = await startFixtureRuntime({ print: WITH_DAILY, delivery: { reorder: true } });
  });
  afterAll(() => rt.stop());

  it("returns each scheduled execution started at its occurrence and succeeded an hour later when every delivery is held back up to 50 ms of real time", async () => {
    const after = rt.account.ctx.store.lastEventSeq();
    const start = rt.account.ctx.clock.now();

    await advance(rt, "3d");

    // A delivery held back on a real timer counts as work: the advance waited for it at the occurrence's stop.
    const fired = scheduled(rt, after).map((e) => Date.parse(e.event.time));
    expect(fired).toHaveLength(3);
    const { executions = [] } = await rt.sfn.send(new ListExecutionsCommand({ stateMachineArn: dailyArn(rt) }));
    const started = executions.map((e) => (e.startDate as Date).getTime()).sort((a, b) => a - b);
    started.forEach((t, i) => {
      expect(t).toBeGreaterThanOrEqual(fired[i] as number);
      expect(t).toBeLessThan((fired[i] as number) + 60_000);
    });
    await expectDailyRunsAnHour(rt, start, 3);
  });
});
