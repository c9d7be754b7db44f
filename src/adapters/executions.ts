import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import type { SfnPort } from "../ports/clients";
import type { Executions, RunningExecution, StartRequest } from "../ports/executions";

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
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING", maxResults: 100, nextToken }),
      );
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
      nextToken = page.nextToken;
    } while (nextToken);
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

  async stopNamed(stateMachineArn: string, prefix: string, reason: { error: string; cause: string }) {
    const stopped: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING", maxResults: 1000, nextToken }),
      );
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
      nextToken = page.nextToken;
    } while (nextToken);
    return stopped;
  }

  /** An execution's whole history, oldest first, every page (at most 1,000 events a call). For the CLI and tests. */
  async history(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }
}
