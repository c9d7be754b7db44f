import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { control } from "../../local/account/process";
import { eventually, type FixtureRuntime, finished, startFixtureRuntime } from "./fixtures/local-runtime";

const waitEntered = (rt: FixtureRuntime, executionArn: string, times = 1) =>
  eventually(
    async () => (await rt.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [],
    (events) => events.filter((e) => e.type === "WaitStateEntered").length >= times,
    "the wait to start",
  );

describe("local runtime: executions", () => {
  let rt: FixtureRuntime;
  beforeAll(async () => {
    rt = await startFixtureRuntime({ delivery: { duplicates: 2, reorder: true } });
  });
  afterAll(() => rt.stop());

  it("returns SUCCEEDED for a 30-day Wait once the simulated clock is advanced 31 days", async () => {
    const { executionArn = "" } = await rt.sfn.send(new StartExecutionCommand({ stateMachineArn: rt.arn("longWait") }));
    await waitEntered(rt, executionArn);
    expect((await rt.sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe("RUNNING");

    await control(rt.account.endpoint, rt.account.controlToken, "POST", "/_local/clock/advance", { by: "31d" });

    expect(await finished(rt.sfn, executionArn)).toMatchObject({ status: "SUCCEEDED", output: '"waited"' });
  });

  it("returns the same execution for the same name and input, and ExecutionAlreadyExists for another input", async () => {
    const request = { stateMachineArn: rt.arn("longWait"), name: "same-name", input: '{"n":1}' };
    const first = await rt.sfn.send(new StartExecutionCommand(request));

    const second = await rt.sfn.send(new StartExecutionCommand(request));

    expect(second.executionArn).toBe(first.executionArn);
    expect(second.startDate).toEqual(first.startDate);
    await expect(rt.sfn.send(new StartExecutionCommand({ ...request, input: '{"n":2}' }))).rejects.toMatchObject({
      name: "ExecutionAlreadyExists",
    });
    const list = await rt.sfn.send(new ListExecutionsCommand({ stateMachineArn: rt.arn("longWait") }));
    expect(list.executions?.filter((e) => e.name === "same-name")).toHaveLength(1);
  });

  it("returns ValidationException naming the field and starts nothing when StartExecution's name exceeds 80 characters", async () => {
    const name = "n".repeat(81);

    const error = await rt.sfn.send(new StartExecutionCommand({ stateMachineArn: rt.arn("longWait"), name })).then(
      () => undefined,
      (e: unknown) => e as { name: string; message: string },
    );

    expect(error).toMatchObject({ name: "ValidationException" });
    expect(error?.message).toMatch(
      /at 'name' failed to satisfy constraint: Member must have length less than or equal to 80/,
    );
    const list = await rt.sfn.send(new ListExecutionsCommand({ stateMachineArn: rt.arn("longWait") }));
    expect(list.executions?.filter((e) => e.name === name)).toHaveLength(0);
  });

  it("returns ExecutionDoesNotExist for an unknown execution ARN and InvalidArn for a state machine ARN", async () => {
    const unknown = rt.arn("longWait").replace(":stateMachine:", ":execution:").concat(":never-started");

    const missing = rt.sfn.send(new DescribeExecutionCommand({ executionArn: unknown }));
    const wrongType = rt.sfn.send(new DescribeExecutionCommand({ executionArn: rt.arn("longWait") }));

    await expect(missing).rejects.toMatchObject({ name: "ExecutionDoesNotExist" });
    await expect(wrongType).rejects.toMatchObject({ name: "InvalidArn" });
  });

  it("returns ABORTED with the given error when StopExecution stops a waiting execution", async () => {
    const { executionArn = "" } = await rt.sfn.send(new StartExecutionCommand({ stateMachineArn: rt.arn("longWait") }));
    await waitEntered(rt, executionArn);

    await rt.sfn.send(new StopExecutionCommand({ executionArn, error: "Operator", cause: "not needed" }));

    expect(await rt.sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: "ABORTED",
      error: "Operator",
      cause: "not needed",
    });
    const events = (await rt.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
    expect(events.at(-1)?.type).toBe("ExecutionAborted");
  });

  it("returns one execution when duplicate, reordered deliveries of one event reach a handler that names its execution", async () => {
    const detail = { amount: 150, channel: "web", value: 5 };
    await rt.events.send(
      new PutEventsCommand({
        Entries: [
          { Source: "test.orders", DetailType: "Order Placed", Detail: JSON.stringify({ ...detail, amount: 50 }) },
          { Source: "test.orders", DetailType: "Order Placed", Detail: JSON.stringify({ ...detail, channel: "test" }) },
          { Source: "test.orders", DetailType: "Order Placed", Detail: JSON.stringify(detail) },
        ],
      }),
    );

    const invocations = await eventually(
      () => rt.runtime.invocations("fixture-test-startOnce").filter((i) => i.status !== "running"),
      (list) => list.length === 3,
      "three deliveries of the matching event",
    );
    expect(new Set(invocations.map((i) => (i.event as { id: string }).id)).size).toBe(1);
    const list = await rt.sfn.send(new ListExecutionsCommand({ stateMachineArn: rt.arn("child") }));
    expect(list.executions).toHaveLength(1);
    expect(await finished(rt.sfn, list.executions?.[0]?.executionArn ?? "")).toMatchObject({
      status: "SUCCEEDED",
      output: "10",
    });
  });

  it("returns NotAuthorizedForSourceException for an entry whose source is an AWS service", async () => {
    const out = await rt.events.send(
      new PutEventsCommand({
        Entries: [{ Source: "aws.kms", DetailType: "AWS API Call via CloudTrail", Detail: "{}" }],
      }),
    );

    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]?.ErrorCode).toBe("NotAuthorizedForSourceException");
  });

  it("returns the function's own name and environment and no other function's when a handler is invoked", async () => {
    const out = await rt.runtime.invoke("whoami", {});

    expect(out).toMatchObject({
      ok: true,
      result: {
        functionName: "fixture-test-whoami",
        region: "us-east-1",
        endpoint: rt.account.endpoint,
        greeting: "hello",
        leaked: null,
      },
    });
    const remaining = (out as { result: { remainingMs: number } }).result.remainingMs;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(5000);
  });
});

describe("local runtime: restarts", () => {
  it("returns SUCCEEDED after a restart when an execution was RUNNING as the process stopped", async () => {
    const first = await startFixtureRuntime();
    const { executionArn = "" } = await first.sfn.send(
      new StartExecutionCommand({ stateMachineArn: first.arn("longWait") }),
    );
    await waitEntered(first, executionArn);
    await first.stop();

    const second = await startFixtureRuntime({ dataDir: first.dataDir });
    try {
      // Run again from the start: the wait is entered a second time.
      await waitEntered(second, executionArn, 2);
      second.account.ctx.clock.advance(31 * 86_400_000);
      second.account.tick();

      expect(await finished(second.sfn, executionArn)).toMatchObject({ status: "SUCCEEDED", redriveCount: 1 });
      const types = ((await second.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? []).map(
        (e) => e.type,
      );
      expect(types.filter((t) => t === "ExecutionRedriven")).toHaveLength(1);
      expect(types.at(-1)).toBe("ExecutionSucceeded");
    } finally {
      await second.stop();
    }
  });
});
