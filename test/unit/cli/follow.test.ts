import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { durationText, followExecution, HistoryRenderer, waitEnd } from "../../../cli/follow";
import { formatElapsed, Progress } from "../../../cli/progress";

const sfnMock = mockClient(SFNClient);
const sfn = new SFNClient({ region: "us-east-1" });
const ARN = "arn:aws:states:us-east-1:111122223333:execution:keystore-autopilot-dev-describeKeyStore:run-1";
const T0 = Date.parse("2026-01-15T10:00:00Z");

let nextId = 0;
const event = (type: string, atMs: number, details: Partial<HistoryEvent> = {}): HistoryEvent => ({
  id: ++nextId,
  type: type as HistoryEvent["type"],
  timestamp: new Date(T0 + atMs),
  ...details,
});
const entered = (type: string, name: string, at: number, input: unknown = {}) =>
  event(`${type}StateEntered`, at, { stateEnteredEventDetails: { name, input: JSON.stringify(input) } });
const exited = (type: string, name: string, at: number) =>
  event(`${type}StateExited`, at, { stateExitedEventDetails: { name, output: "{}" } });

function recorder() {
  const lines: string[] = [];
  const statuses: string[] = [];
  return { lines, statuses, progress: { line: (t: string) => lines.push(t), status: (t: string) => statuses.push(t) } };
}

describe("following an execution", () => {
  beforeEach(() => {
    sfnMock.reset();
    nextId = 0;
  });

  it("returns lines for each state, each failed attempt and each retry when a task is retried", () => {
    const { lines, statuses, progress } = recorder();
    const renderer = new HistoryRenderer(progress, { simulated: true });

    for (const e of [
      entered("Task", "DescribeKeyStore", 0),
      event("LambdaFunctionScheduled", 0),
      event("LambdaFunctionFailed", 100, {
        lambdaFunctionFailedEventDetails: {
          error: "ThrottlingException",
          cause: JSON.stringify({ errorType: "ThrottlingException", errorMessage: "Rate exceeded", trace: [] }),
        },
      }),
      event("LambdaFunctionScheduled", 2100),
      event("LambdaFunctionSucceeded", 2200),
      exited("Task", "DescribeKeyStore", 2200),
      entered("Choice", "IsConnected", 2200),
      exited("Choice", "IsConnected", 2200),
    ]) {
      renderer.render(e);
    }

    expect(lines).toEqual([
      "→ DescribeKeyStore",
      "✗ DescribeKeyStore: ThrottlingException — Rate exceeded",
      "↻ DescribeKeyStore: retry 1 after ThrottlingException",
      "✓ DescribeKeyStore (2.2s)",
      "→ IsConnected",
    ]);
    expect(statuses).toContain("DescribeKeyStore (retry 1)");
  });

  it("returns a caught line when a failed task is left through its Catch", () => {
    const { lines, progress } = recorder();
    const renderer = new HistoryRenderer(progress, { simulated: false });

    for (const e of [
      entered("Task", "DescribeKeyStore", 0),
      event("TaskScheduled", 0),
      event("TaskFailed", 50, {
        taskFailedEventDetails: {
          resourceType: "aws-sdk:kms",
          resource: "describeKey",
          error: "Kms.NotFoundException",
          cause: "gone",
        },
      }),
      exited("Task", "DescribeKeyStore", 50),
    ]) {
      renderer.render(e);
    }

    expect(lines.at(-1)).toBe("↪ DescribeKeyStore: caught Kms.NotFoundException (0.1s)");
  });

  it("returns the wait's end on the simulated clock and a clock advance hint when a Wait state is entered locally", () => {
    const { lines, statuses, progress } = recorder();
    const definition = {
      StartAt: "Outer",
      States: {
        Outer: {
          Type: "Parallel",
          Branches: [{ StartAt: "UntilDue", States: { UntilDue: { Type: "Wait", TimestampPath: "$.due" } } }],
        },
        Pause: { Type: "Wait", Seconds: 90 },
      },
    };
    const renderer = new HistoryRenderer(progress, { definition, simulated: true });

    renderer.render(entered("Wait", "Pause", 0));
    renderer.render(entered("Wait", "UntilDue", 0, { due: "2026-02-14T10:00:00Z" }));

    expect(lines).toEqual([
      "⏳ Pause: waiting until 2026-01-15T10:01:30.000Z (simulated); to skip ahead: keystore-autopilot clock advance 1m30s",
      "⏳ UntilDue: waiting until 2026-02-14T10:00:00.000Z (simulated); to skip ahead: keystore-autopilot clock advance 30d",
    ]);
    expect(statuses[0]).toBe("Pause: waiting until 2026-01-15T10:01:30.000Z (simulated)");
  });

  it("returns clock advance durations rounded up to a readable unit", () => {
    expect(durationText(691_199_000)).toBe("8d");
    expect(durationText(26 * 3_600_000 + 1)).toBe("1d3h");
    expect(durationText(2.5 * 3_600_000 - 10)).toBe("2h30m");
    expect(durationText(90_000)).toBe("1m30s");
    expect(durationText(1)).toBe("1s");
  });

  it("returns elapsed times in the largest readable units", () => {
    expect(formatElapsed(1234)).toBe("1.2s");
    expect(formatElapsed(125_000)).toBe("2m05s");
    expect(formatElapsed(3 * 3_600_000 + 60_000)).toBe("3h01m");
    expect(formatElapsed(691_643_500)).toBe("8d00h");
  });

  it("returns no end when a wait's path does not resolve", () => {
    expect(waitEnd({ Type: "Wait", SecondsPath: "$.missing" }, {}, T0)).toBeUndefined();
    expect(waitEnd({ Type: "Wait", SecondsPath: "$.s" }, { s: 5 }, T0)).toBe(T0 + 5000);
  });

  it("returns the final status and output after reading every history page when the execution ends", async () => {
    const { lines, progress } = recorder();
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce({ executionArn: ARN, stateMachineArn: "sm", status: "RUNNING", startDate: new Date(T0) })
      .resolvesOnce({ executionArn: ARN, stateMachineArn: "sm", status: "RUNNING", startDate: new Date(T0) })
      .resolves({
        executionArn: ARN,
        stateMachineArn: "sm",
        status: "SUCCEEDED",
        startDate: new Date(T0),
        stopDate: new Date(T0 + 500),
        output: '{"connected":true}',
      });
    sfnMock.on(DescribeStateMachineCommand).resolves({ definition: '{"StartAt":"A","States":{}}' });
    const first = [event("ExecutionStarted", 0), entered("Task", "A", 0)];
    const second = [event("TaskScheduled", 0), event("TaskSucceeded", 400), exited("Task", "A", 400)];
    sfnMock
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: first })
      .resolvesOnce({ events: first, nextToken: "page-2" })
      .resolvesOnce({ events: second })
      .resolves({ events: [...first, ...second] });
    const sleeps: number[] = [];

    const outcome = await followExecution(sfn, ARN, progress, {
      simulated: true,
      pollMs: 5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

    expect(outcome).toMatchObject({ status: "SUCCEEDED", output: '{"connected":true}' });
    expect(lines).toEqual(["→ A", "✓ A (0.4s)"]);
    expect(sleeps).toEqual([5]);
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand)[2]?.args[0].input).toMatchObject({ nextToken: "page-2" });
  });

  it("returns plain lines without control characters when the display is not a terminal", () => {
    let written = "";
    const progress = new Progress({ write: (t: string) => (written += t), isTTY: false });

    progress.status("DescribeKeyStore");
    progress.line("→ DescribeKeyStore");
    progress.stop();

    expect(written).toBe("→ DescribeKeyStore\n");
  });

  it("returns a spinner line with the state and elapsed time when the display is a terminal", () => {
    let written = "";
    let now = 0;
    const progress = new Progress({ write: (t: string) => (written += t), isTTY: true }, () => now);

    progress.status("DescribeKeyStore");
    now = 1500;
    progress.line("→ IsConnected");
    progress.stop();

    expect(written).toContain("⠋ DescribeKeyStore · 0.0s");
    expect(written).toContain("→ IsConnected\n");
    expect(written).toMatch(/DescribeKeyStore · 1\.5s/);
    expect(written.endsWith("\r\x1b[2K\x1b[?25h")).toBe(true);
  });
});
