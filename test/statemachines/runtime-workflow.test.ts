import { GetExecutionHistoryCommand, type HistoryEvent, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { eventually, type FixtureRuntime, finished, startFixtureRuntime } from "./fixtures/local-runtime";

const history = async (rt: FixtureRuntime, executionArn: string): Promise<HistoryEvent[]> =>
  (await rt.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];

describe("local runtime: Task, Map, Retry, Choice, Wait and Catch", () => {
  let rt: FixtureRuntime;
  beforeAll(async () => {
    rt = await startFixtureRuntime();
  });
  afterAll(() => rt.stop());

  it("returns SUCCEEDED with the doubled items and the caught error when the workflow runs against the local account", async () => {
    const until = new Date(rt.account.ctx.clock.now() + 86_400_000).toISOString();
    const input = {
      items: [
        { key: "flaky", value: 1, failTimes: 2 },
        { key: "steady", value: 2, failTimes: 0 },
      ],
      until,
    };
    const { executionArn = "" } = await rt.sfn.send(
      new StartExecutionCommand({ stateMachineArn: rt.arn("workflow"), input: JSON.stringify(input) }),
    );

    // Retry intervals (1 h) and the wait (1 day) run on the simulated clock: fast-forward until the execution ends.
    const done = await eventually(
      async () => {
        rt.account.ctx.clock.advance(2 * 3_600_000);
        rt.account.tick();
        return (await rt.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 })))
          .events?.[0]?.type;
      },
      (type) => type === "ExecutionSucceeded" || type === "ExecutionFailed",
      "the workflow to end",
    );

    expect(done).toBe("ExecutionSucceeded");
    const output = JSON.parse((await finished(rt.sfn, executionArn)).output ?? "{}");
    expect(output.doubled).toEqual([2, 4]);
    expect(output.caught).toMatchObject({ Error: "BoomError" });
    expect(JSON.parse(output.caught.Cause)).toMatchObject({ errorType: "BoomError", errorMessage: "boom, as asked" });
    const events = await history(rt, executionArn);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === "MapIterationStarted")).toHaveLength(2);
    expect(types.filter((t) => t === "LambdaFunctionFailed")).toHaveLength(2);
    expect(events.find((e) => e.type === "WaitStateEntered")?.stateEnteredEventDetails?.name).toBe("WaitUntil");
    expect(types).toContain("WaitStateExited");
    expect(events.find((e) => e.type === "TaskFailed")?.taskFailedEventDetails).toMatchObject({ error: "BoomError" });
    expect(rt.runtime.invocations("fixture-test-double")).toHaveLength(4);
    // The flaky item's retries waited their 1-hour interval on the simulated clock.
    const flaky = events.filter(
      (e) => e.type === "LambdaFunctionScheduled" && e.lambdaFunctionScheduledEventDetails?.input?.includes('"flaky"'),
    );
    expect(flaky).toHaveLength(3);
    const gaps = flaky.slice(1).map((e, i) => (e.timestamp?.getTime() ?? 0) - (flaky[i]?.timestamp?.getTime() ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(3_600_000);
  });

  it("returns FAILED with the Fail state's error when the Choice finds no positive value", async () => {
    const input = { items: [{ key: "zero", value: 0, failTimes: 0 }], until: new Date(0).toISOString() };
    const { executionArn = "" } = await rt.sfn.send(
      new StartExecutionCommand({ stateMachineArn: rt.arn("workflow"), input: JSON.stringify(input) }),
    );

    const out = await finished(rt.sfn, executionArn);

    expect(out).toMatchObject({ status: "FAILED", error: "NotPositive" });
  });
});
