/**
 * The workflows' own executions, as the steps and starters need them: start one exactly once, find the running ones
 * for a store, tell where one stands, stop some. src/adapters/executions.ts answers through Step Functions.
 */

/** Which execution is asking, so a second one for the same thing can refuse instead of racing. */
export type ExecutionRef = { executionArn: string; stateMachineArn: string };

/** A RUNNING execution and when it started (epoch milliseconds). */
export type RunningExecution = { executionArn: string; startDate: number };

export type StartRequest = { stateMachineArn: string; name: string; input: unknown };

/**
 * The callback task (a Lambda `invoke.waitForTaskToken` task) an execution waits on, as its TaskScheduled event
 * records it: the payload the task was given, its token included. The token is read only from the history
 * (states:GetExecutionHistory), never from an event the task publishes.
 */
export type WaitingTask = { taskToken: string; payload: Record<string, unknown> };

export interface Executions {
  /**
   * Starts an execution under a name that identifies what is started; `started` is false when an execution of that
   * name already ran or runs, so a redelivered event starts nothing twice.
   */
  startOnce(request: StartRequest): Promise<{ started: true; executionArn?: string } | { started: false }>;
  /** The RUNNING executions of a state machine whose input has `value` in `field` (the key store id by default). */
  runningFor(stateMachineArn: string, value: string, field?: string): Promise<RunningExecution[]>;
  /**
   * The state a running execution is in, by name; undefined while it moves between states or has not entered one,
   * so a caller deciding whether it may go on treats "unknown" as "busy".
   */
  currentState(executionArn: string): Promise<string | undefined>;
  /** RUNNING, SUCCEEDED, FAILED, ...; ExecutionDoesNotExist propagates by name. */
  status(executionArn: string): Promise<string>;
  /**
   * The callback task the execution waits on; `ended` when its newest callback task already ended, undefined when it
   * never scheduled one.
   */
  waitingTask(executionArn: string): Promise<WaitingTask | "ended" | undefined>;
  /** Resumes a waiting task with its output; TaskEndedError when the task is no longer waiting. */
  succeedTask(taskToken: string, output: unknown): Promise<void>;
  /** Fails a waiting task with an error name and cause; TaskEndedError when the task is no longer waiting. */
  failTask(taskToken: string, failure: { error: string; cause: string }): Promise<void>;
  /** Stops the RUNNING executions whose name starts with `prefix`; answers the names it stopped. */
  stopNamed(stateMachineArn: string, prefix: string, reason: { error: string; cause: string }): Promise<string[]>;
}

/** The task was no longer waiting: it timed out, was answered, or its execution ended. */
export class TaskEndedError extends Error {
  constructor(options?: { cause?: unknown }) {
    super("The task is no longer waiting for an answer", options);
    this.name = "TaskEndedError";
  }
}
