import {
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { eventually, type FixtureRuntime, finished, startFixtureRuntime } from "./fixtures/local-runtime";

/** Starts the integrations workflow and returns its task token once the callback task has been submitted. */
async function startUntilCallback(rt: FixtureRuntime): Promise<{ executionArn: string; token: string }> {
  const { executionArn = "" } = await rt.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: rt.arn("integrations"),
      input: JSON.stringify({ customKeyStoreId: "cks-0000000000000000a" }),
    }),
  );
  const events = await eventually(
    async () => (await rt.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [],
    (evts) => evts.some((e) => e.type === "TaskSubmitted"),
    "the callback task to be submitted",
  );
  const scheduled = events.find(
    (e) => e.type === "TaskScheduled" && e.taskScheduledEventDetails?.resource === "putEvents.waitForTaskToken",
  );
  const params = JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? "{}");
  return { executionArn, token: params.Entries[0].Detail.token };
}

describe("local runtime: SDK integrations, callbacks and nested executions", () => {
  let rt: FixtureRuntime;
  beforeAll(async () => {
    rt = await startFixtureRuntime();
  });
  afterAll(() => rt.stop());

  it("returns the child's output after SendTaskSuccess when the workflow catches a Kms error, waits for a callback and runs a nested execution", async () => {
    const { executionArn, token } = await startUntilCallback(rt);
    await rt.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));

    await rt.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }));

    const out = await finished(rt.sfn, executionArn);
    expect(out.status).toBe("SUCCEEDED");
    const output = JSON.parse(out.output ?? "{}");
    expect(output.notFound.Error).toBe("Kms.CustomKeyStoreNotFoundException");
    expect(output.notFound.Cause).toMatch(/\(Service: Kms, Status Code: 400, Request ID: .+\)$/);
    expect(output.approval).toEqual({ approved: true });
    expect(output.child).toEqual({ output: 42 });
    const bus = rt.account.ctx.bus
      .after(0, 10_000)
      .map((e) => e.event as { source: string; detail: { token?: string } });
    expect(bus.some((e) => e.source === "test.runtime" && e.detail.token === token)).toBe(true);
  });

  it("returns FAILED with the error given to SendTaskFailure when the callback fails", async () => {
    const { executionArn, token } = await startUntilCallback(rt);

    await rt.sfn.send(
      new SendTaskFailureCommand({ taskToken: token, error: "Rejected", cause: "an operator said no" }),
    );

    expect(await finished(rt.sfn, executionArn)).toMatchObject({
      status: "FAILED",
      error: "Rejected",
      cause: "an operator said no",
    });
  });

  it("returns States.HeartbeatTimeout when no heartbeat arrives within HeartbeatSeconds of simulated time", async () => {
    const { executionArn, token } = await startUntilCallback(rt);

    rt.account.ctx.clock.advance(2 * 3_600_000);
    rt.account.tick();

    expect(await finished(rt.sfn, executionArn)).toMatchObject({ status: "FAILED", error: "States.HeartbeatTimeout" });
    await expect(rt.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" }))).rejects.toMatchObject({
      name: "TaskTimedOut",
    });
  });

  it("returns InvalidToken when SendTaskSuccess gets a token the runtime never issued", async () => {
    await expect(
      rt.sfn.send(new SendTaskSuccessCommand({ taskToken: "not-a-token", output: "{}" })),
    ).rejects.toMatchObject({
      name: "InvalidToken",
    });
  });
});
