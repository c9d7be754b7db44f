import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { StepFunctionsExecutions } from "../../../../src/adapters/executions";
import { earlierThan } from "../../../../src/executions";
import { TaskEndedError } from "../../../../src/ports/executions";

const arn = (name: string) =>
  `arn:aws:states:us-east-1:111122223333:execution:keystore-autopilot-dev-connectKeyStore:${name}`;

describe("earlierThan", () => {
  it("returns the execution that started first when self started later", () => {
    const running = [
      { executionArn: arn("b"), startDate: 2_000 },
      { executionArn: arn("a"), startDate: 1_000 },
    ];

    expect(earlierThan(running, arn("b"))?.executionArn).toBe(arn("a"));
    expect(earlierThan(running, arn("a"))).toBeUndefined();
  });

  it("returns the smaller ARN when both started in the same millisecond, so both agree on one", () => {
    const running = [
      { executionArn: arn("y"), startDate: 1_000 },
      { executionArn: arn("x"), startDate: 1_000 },
    ];

    expect(earlierThan(running, arn("y"))?.executionArn).toBe(arn("x"));
    expect(earlierThan(running, arn("x"))).toBeUndefined();
  });

  it("returns any other execution when self is not listed yet (ListExecutions is eventually consistent)", () => {
    expect(earlierThan([{ executionArn: arn("other"), startDate: 5_000 }], arn("self"))?.executionArn).toBe(
      arn("other"),
    );
  });

  it("returns nothing when self runs alone", () => {
    expect(earlierThan([{ executionArn: arn("self"), startDate: 1_000 }], arn("self"))).toBeUndefined();
    expect(earlierThan([], arn("self"))).toBeUndefined();
  });
});

describe("StepFunctionsExecutions", () => {
  const sfn = mockClient(SFNClient);
  const executions = new StepFunctionsExecutions(new SFNClient({ region: "us-east-1" }));
  const MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-deletionFollowUp";
  beforeEach(() => sfn.reset());

  it("answers started: false when an execution of that name already ran", async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error("exists"), { name: "ExecutionAlreadyExists" }));
    await expect(executions.startOnce({ stateMachineArn: MACHINE, name: "n", input: {} })).resolves.toEqual({
      started: false,
    });
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error("slow down"), { name: "ThrottlingException" }));
    await expect(executions.startOnce({ stateMachineArn: MACHINE, name: "n", input: {} })).rejects.toThrow("slow down");
  });

  it("knows the state an execution is in, and not while it moves between two", async () => {
    const entered = {
      id: 5,
      timestamp: new Date(),
      type: "WaitStateEntered" as const,
      stateEnteredEventDetails: { name: "W" },
    };
    sfn.on(GetExecutionHistoryCommand, { executionArn: arn("in") }).resolves({
      events: [{ id: 6, timestamp: new Date(), type: "TaskScheduled" }, entered],
    });
    sfn.on(GetExecutionHistoryCommand, { executionArn: arn("between") }).resolves({
      events: [
        { id: 6, timestamp: new Date(), type: "WaitStateExited", stateExitedEventDetails: { name: "W" } },
        entered,
      ],
    });
    expect(await executions.currentState(arn("in"))).toBe("W");
    expect(await executions.currentState(arn("between"))).toBeUndefined();
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input).toMatchObject({ reverseOrder: true });
  });

  it("stops only the running executions named with the prefix, and one that ended meanwhile is no error", async () => {
    sfn
      .on(ListExecutionsCommand)
      .resolvesOnce({
        executions: [
          {
            executionArn: arn("key-1-a"),
            name: "key-1-a",
            stateMachineArn: MACHINE,
            status: "RUNNING",
            startDate: new Date(),
          },
          {
            executionArn: arn("key-2-a"),
            name: "key-2-a",
            stateMachineArn: MACHINE,
            status: "RUNNING",
            startDate: new Date(),
          },
        ],
        nextToken: "more",
      })
      .resolvesOnce({
        executions: [
          {
            executionArn: arn("key-1-b"),
            name: "key-1-b",
            stateMachineArn: MACHINE,
            status: "RUNNING",
            startDate: new Date(),
          },
        ],
      });
    sfn
      .on(StopExecutionCommand, { executionArn: arn("key-1-b") })
      .rejects(Object.assign(new Error("gone"), { name: "ExecutionDoesNotExist" }));
    const reason = { error: "KeyDeletionCancelled", cause: "CancelKeyDeletion was called for the key" };

    expect(await executions.stopNamed(MACHINE, "key-1-", reason)).toEqual(["key-1-a"]);
    expect(sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { executionArn: arn("key-1-a"), ...reason },
      { executionArn: arn("key-1-b"), ...reason },
    ]);
  });

  it("finds the callback task an execution waits on, and knows one that has ended", async () => {
    const at = new Date();
    const scheduled = {
      id: 4,
      timestamp: at,
      type: "TaskScheduled" as const,
      taskScheduledEventDetails: {
        resourceType: "lambda",
        resource: "invoke.waitForTaskToken",
        region: "us-east-1",
        parameters: JSON.stringify({ FunctionName: "f", Payload: { taskToken: "token-1", csr: "CSR" } }),
      },
    };
    const started = { id: 5, timestamp: at, type: "TaskStarted" as const };
    sfn.on(GetExecutionHistoryCommand, { executionArn: arn("waits") }).resolves({ events: [started, scheduled] });
    sfn.on(GetExecutionHistoryCommand, { executionArn: arn("answered") }).resolves({
      events: [{ id: 6, timestamp: at, type: "TaskSucceeded" }, started, scheduled],
    });
    sfn.on(GetExecutionHistoryCommand, { executionArn: arn("never") }).resolves({ events: [started] });

    expect(await executions.waitingTask(arn("waits"))).toEqual({
      taskToken: "token-1",
      payload: { taskToken: "token-1", csr: "CSR" },
    });
    expect(await executions.waitingTask(arn("answered"))).toBe("ended");
    expect(await executions.waitingTask(arn("never"))).toBeUndefined();
  });

  it("answers TaskEndedError for a token that no longer waits, and other errors as they are", async () => {
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error("late"), { name: "TaskTimedOut" }));
    await expect(executions.succeedTask("token-1", { approved: true })).rejects.toBeInstanceOf(TaskEndedError);
    sfn.on(SendTaskFailureCommand).rejects(Object.assign(new Error("slow down"), { name: "ThrottlingException" }));
    await expect(executions.failTask("token-1", { error: "E", cause: "c" })).rejects.toMatchObject({
      name: "ThrottlingException",
    });
  });
});
