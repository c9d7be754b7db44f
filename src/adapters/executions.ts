import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import {
  type Executions,
  type RunningExecution,
  type StartRequest,
  TaskEndedError,
  type WaitingTask,
} from "../ports/executions";
import type { SfnPort } from "./clients/types";
import { pages } from "./pages";

/** How Step Functions records a Lambda callback task (TaskScheduled's resource, lambda resource type). */
const CALLBACK_RESOURCE = "invoke.waitForTaskToken";
/** History events that end a task. */
const TASK_ENDED = new Set(["TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed"]);
/** SendTaskSuccess/SendTaskFailure answers for a token no longer waiting (Step Functions API Reference). */
const TOKEN_ENDED = new Set(["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"]);

/** Executions through the Step Functions API. */
export class StepFunctionsExecutions implements Executions {
  constructor(private readonly sfn: SfnPort) {}

  /**
   * Step Functions answers ExecutionAlreadyExists when an execution of that name already ran or runs with another
   * input (a running one with the same input is returned as is: StartExecution, Step Functions API Reference):
   * either way the work is already started.
   */
  async startOnce(request: StartRequest): Promise<{ started: true; executionArn?: string } | { started: false }> {
    try {
      const out = await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: request.stateMachineArn,
          name: request.name,
          input: JSON.stringify(request.input),
        }),
      );
      return { started: true, ...(out.executionArn ? { executionArn: out.executionArn } : {}) };
    } catch (error: unknown) {
      if ((error as Error).name === "ExecutionAlreadyExists") return { started: false };
      throw error;
    }
  }

  /** ListExecutions does not show inputs: each RUNNING one is described, and kept if still RUNNING then. */
  async runningFor(stateMachineArn: string, value: string, field = "customKeyStoreId"): Promise<RunningExecution[]> {
    const found: RunningExecution[] = [];
    const listed = pages(
      (nextToken) =>
        this.sfn.send(
          new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING", maxResults: 100, nextToken }),
        ),
      (page) => page.nextToken,
    );
    for await (const page of listed) {
      for (const e of page.executions ?? []) {
        if (!e.executionArn) continue;
        const described = await this.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
        let id: unknown;
        try {
          id = (JSON.parse(described.input ?? "{}") as Record<string, unknown>)[field];
        } catch {
          id = undefined;
        }
        if (id === value && described.status === "RUNNING") {
          found.push({ executionArn: e.executionArn, startDate: new Date(e.startDate ?? 0).getTime() });
        }
      }
    }
    return found;
  }

  /** The newest events, newest first: an exit before any entry means the execution is between states. */
  async currentState(executionArn: string): Promise<string | undefined> {
    const page = await this.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 10 }),
    );
    for (const event of page.events ?? []) {
      if (event.stateExitedEventDetails) return undefined;
      if (event.stateEnteredEventDetails?.name) return event.stateEnteredEventDetails.name;
    }
    return undefined;
  }

  async status(executionArn: string): Promise<string> {
    const out = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status ?? "UNKNOWN";
  }

  /** The history newest first: a task's end comes before its scheduling, so the first callback event met decides. */
  async waitingTask(executionArn: string): Promise<WaitingTask | "ended" | undefined> {
    let ended = false;
    const newestFirst = pages(
      (nextToken) =>
        this.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100, nextToken })),
      (page) => page.nextToken,
    );
    for await (const page of newestFirst) {
      for (const event of page.events ?? []) {
        if (event.type && TASK_ENDED.has(event.type)) ended = true;
        const scheduled = event.taskScheduledEventDetails;
        if (event.type !== "TaskScheduled" || scheduled?.resource !== CALLBACK_RESOURCE) continue;
        if (ended) return "ended";
        const payload = callbackPayload(scheduled.parameters);
        if (payload) return payload;
      }
    }
    return ended ? "ended" : undefined;
  }

  async succeedTask(taskToken: string, output: unknown): Promise<void> {
    await this.answer(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  }

  async failTask(taskToken: string, failure: { error: string; cause: string }): Promise<void> {
    await this.answer(new SendTaskFailureCommand({ taskToken, ...failure }));
  }

  private async answer(command: SendTaskSuccessCommand | SendTaskFailureCommand): Promise<void> {
    try {
      await this.sfn.send(command as SendTaskSuccessCommand);
    } catch (error: unknown) {
      if (TOKEN_ENDED.has((error as Error).name)) throw new TaskEndedError({ cause: error });
      throw error;
    }
  }

  async stopNamed(stateMachineArn: string, prefix: string, reason: { error: string; cause: string }) {
    const stopped: string[] = [];
    const listed = pages(
      (nextToken) =>
        this.sfn.send(
          new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING", maxResults: 1000, nextToken }),
        ),
      (page) => page.nextToken,
    );
    for await (const page of listed) {
      for (const execution of page.executions ?? []) {
        if (!execution.name?.startsWith(prefix) || !execution.executionArn) continue;
        try {
          await this.sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn, ...reason }));
          stopped.push(execution.name);
        } catch (error: unknown) {
          // Finished between the listing and the stop: nothing left to stop.
          if ((error as Error).name !== "ExecutionDoesNotExist") throw error;
        }
      }
    }
    return stopped;
  }

  /** An execution's whole history, oldest first, every page (at most 1,000 events a call). For the CLI and tests. */
  async history(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    const oldestFirst = pages(
      (nextToken) => this.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken })),
      (page) => page.nextToken,
    );
    for await (const page of oldestFirst) events.push(...(page.events ?? []));
    return events;
  }
}

/** The Payload a callback task was invoked with, when it carries a token. */
function callbackPayload(parameters: string | undefined): WaitingTask | undefined {
  try {
    const payload = (JSON.parse(parameters ?? "{}") as { Payload?: Record<string, unknown> }).Payload;
    return payload && typeof payload.taskToken === "string" ? { taskToken: payload.taskToken, payload } : undefined;
  } catch {
    return undefined;
  }
}
