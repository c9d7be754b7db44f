import { GetExecutionHistoryCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { control } from "../../local/account/process";
import { DAY } from "../../local/account/timing";
import { eventually, type FixtureRuntime, finished, startFixtureRuntime } from "./fixtures/local-runtime";

describe("local runtime: the simulated clock and real time", () => {
  let rt: FixtureRuntime;
  beforeAll(async () => {
    rt = await startFixtureRuntime();
  });
  afterAll(() => rt.stop());

  const advance = (by: string) =>
    control(rt.account.endpoint, rt.account.controlToken, "POST", "/_local/clock/advance", { by });

  it("returns the simulated time from Date.now(), new Date() and Date() in a handler, also after an advance while its instance is warm", async () => {
    expect((await rt.runtime.invoke("clockNow", {})).ok).toBe(true);
    rt.account.ctx.clock.advance(3 * DAY);
    const before = rt.account.ctx.clock.now();

    const out = await rt.runtime.invoke("clockNow", {});

    const after = rt.account.ctx.clock.now();
    expect(out.ok).toBe(true);
    const seen = (out as { result: { now: number; date: string; text: string } }).result;
    expect(seen.now).toBeGreaterThanOrEqual(before);
    expect(seen.now).toBeLessThanOrEqual(after);
    expect(Date.parse(seen.date)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(seen.date)).toBeLessThanOrEqual(after);
    // Date() has a resolution of one second.
    expect(Date.parse(seen.text)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(seen.text)).toBeLessThanOrEqual(after);
  });

  it("returns SUCCEEDED, the task having run its real seconds at the time it started, when the clock is advanced 10 minutes at a time while a Lambda task with a 3-second timeout runs", async () => {
    expect((await rt.runtime.invoke("slow", { ms: 0 })).ok).toBe(true); // a warm instance: no cold start in the task
    const startedAt = rt.account.ctx.clock.now();
    const { executionArn = "" } = await rt.sfn.send(
      new StartExecutionCommand({ stateMachineArn: rt.arn("slowTask"), input: JSON.stringify({ ms: 1500 }) }),
    );
    await eventually(
      () => rt.runtime.invocations("fixture-test-slow"),
      (all) => all.some((i) => i.status === "running"),
      "the task's invocation to start",
    );

    for (let i = 0; i < 3; i++) await advance("10m");

    const done = await finished(rt.sfn, executionArn);
    expect(done.status).toBe("SUCCEEDED");
    // The first advance waited for the running task before moving the clock: the handler ended at the time it began.
    expect(Date.parse(JSON.parse(done.output ?? "{}").endedAt)).toBeLessThan(startedAt + 10 * 60_000);
    expect(rt.account.ctx.clock.now()).toBeGreaterThanOrEqual(startedAt + 30 * 60_000);
  });

  it("returns States.Timeout when a Lambda task takes longer than its TimeoutSeconds of real time", async () => {
    const { executionArn = "" } = await rt.sfn.send(
      new StartExecutionCommand({ stateMachineArn: rt.arn("slowTask"), input: JSON.stringify({ ms: 6000 }) }),
    );

    const done = await finished(rt.sfn, executionArn);

    expect(done).toMatchObject({ status: "FAILED", error: "States.Timeout" });
    const { events = [] } = await rt.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events.map((e) => e.type)).toContain("TaskTimedOut");
  });
});
