/**
 * The workflows' own executions, as the steps and starters need them: start one exactly once, find the running ones
 * for a store, tell where one stands, stop some. src/adapters/executions.ts answers through Step Functions.
 */

/** Which execution is asking, so a second one for the same thing can refuse instead of racing. */
export type ExecutionRef = { executionArn: string; stateMachineArn: string };

/** A RUNNING execution and when it started (epoch milliseconds). */
export type RunningExecution = { executionArn: string; startDate: number };

export type StartRequest = { stateMachineArn: string; name: string; input: unknown };

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
  /** Stops the RUNNING executions whose name starts with `prefix`; answers the names it stopped. */
  stopNamed(stateMachineArn: string, prefix: string, reason: { error: string; cause: string }): Promise<string[]>;
}
