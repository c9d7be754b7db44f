import { ExecutionAbortedError, StateMachine } from "aws-local-stepfunctions";
import type { TaskMeta } from "../asl-rewrite";
import { readPath } from "../json-path";
import { runTask } from "../sdk-integrations";
import { WaitAbortedError } from "../sim-clock";
import { statesRuntime, TaskFailure } from "../task-errors";
import type { ExecutionRecord, Executions } from "./executions";
import { type ClosedStatus, closingEvent, fromLibraryEvent, type LibraryEvent, type Outcome } from "./history";
import type { Machine } from "./machines";
import { retryDelay } from "./retry";
import { waitTarget } from "./waits";

type TaskInput = { payload: unknown; ctx: object; input?: unknown };
type RetryScope = { attempts: number[]; awaitingRetry: boolean };

/**
 * One execution on aws-local-stepfunctions: binds every Task (and rewritten Wait) to the runtime, turns the library's
 * event log into AWS history events, enforces the execution timeout on the simulated clock and writes the outcome.
 */
export class ExecutionRun {
  private readonly controller = new AbortController();
  private libraryAbort?: () => void;
  private closed = false;
  private abandoned = false;
  /** Task handlers under way, and how many of them wait on something only time or someone else ends. */
  private tasks = 0;
  private parked = 0;
  /** Ends this execution's share of the runtime's activity; set while it can go on without the clock moving. */
  private working?: () => void;
  /** Retry bookkeeping per (sub-)execution context object and state, mirroring the library's retriers. */
  private readonly scopes = new WeakMap<object, Map<string, RetryScope>>();

  constructor(
    private readonly executions: Executions,
    private record: ExecutionRecord,
    private readonly machine: Machine | undefined,
    private lastEventId: number,
  ) {}

  /**
   * Counts this execution as work unless it is closed or each of its open tasks is parked: between states, starting,
   * ending, or running a task, an execution can go on without the clock moving. Called after every change of these.
   */
  private sync(): void {
    const working = !this.closed && (this.tasks === 0 || this.tasks > this.parked);
    if (working && !this.working) this.working = this.executions.activity.begin();
    else if (!working && this.working) {
      this.working();
      this.working = undefined;
    }
  }

  append(type: string, details: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.lastEventId++;
    this.executions.appendHistory(this.record.executionArn, {
      timestamp: this.executions.sim.now(),
      type,
      id: this.lastEventId,
      previousEventId: this.lastEventId - 1,
      ...details,
    });
  }

  start(record: ExecutionRecord): void {
    this.record = record;
    this.sync();
    const machine = this.machine;
    if (!machine) {
      this.finish("FAILED", {
        error: "States.Runtime",
        cause: `State machine ${record.stateMachineArn} is no longer deployed`,
      });
      return;
    }
    const { prepared, config } = machine;
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const task of prepared.tasks.values()) {
      handlers[task.name] = (input) => this.task(task, input as TaskInput);
      // Retry intervals run on the simulated clock, in `task` before the error reaches the library.
      if (task.retry.length > 0) retryIntervalOverrides[task.name] = 0;
    }
    const execution = new StateMachine(prepared.definition as never, { validationOptions: { noValidate: true } }).run(
      JSON.parse(record.input),
      {
        overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
        context: {
          Execution: {
            Id: record.executionArn,
            Name: record.name,
            RoleArn: this.executions.roleArn(machine),
            RedriveCount: record.redriveCount,
          },
          StateMachine: { Id: config.arn, Name: config.name },
        },
      },
    );
    this.libraryAbort = execution.abort;
    const consumed = this.consume(execution.eventLogs as AsyncGenerator<LibraryEvent>);
    if (prepared.timeoutSeconds !== undefined) {
      this.executions.sim.until(record.startDate + prepared.timeoutSeconds * 1000, this.controller.signal).then(
        () => this.timeOut(prepared.timeoutSeconds as number),
        () => {},
      );
    }
    execution.result.then(
      async (output) => {
        await consumed;
        this.finish("SUCCEEDED", { output: JSON.stringify(output ?? null) });
      },
      async (error: unknown) => {
        await consumed;
        if (error instanceof ExecutionAbortedError || this.controller.signal.aborted) return;
        const cause = (error as { cause?: unknown }).cause;
        const failure = cause instanceof Error ? cause : error instanceof Error ? error : new Error(String(error));
        const isFailState =
          failure.name === "FailStateError" && failure.message === "Execution failed because of a Fail state";
        this.finish("FAILED", isFailState ? {} : { error: failure.name, cause: failure.message });
      },
    );
  }

  /** StopExecution: the record is already closed by the caller. */
  abort(): void {
    this.closed = true;
    this.sync();
    this.controller.abort();
    this.libraryAbort?.();
  }

  /** Shutdown: stop running in memory without writing anything. */
  abandon(): void {
    this.abandoned = true;
    this.abort();
  }

  private timeOut(timeoutSeconds: number): void {
    if (this.closed) return;
    this.finish("TIMED_OUT", {
      error: "States.Timeout",
      cause: `The execution did not finish within ${timeoutSeconds} seconds (simulated clock)`,
    });
    this.abort();
  }

  private finish(status: ClosedStatus, outcome: Outcome): void {
    if (this.closed || this.abandoned || this.executions.isStopped()) return;
    this.executions.store.tx(() => {
      const current = this.executions.record(this.record.executionArn);
      if (current?.status !== "RUNNING") return;
      this.append(...closingEvent(status, outcome));
      this.executions.close({ ...current, status, stopDate: this.executions.sim.now(), ...outcome }, true);
    });
    this.closed = true;
    this.sync();
    // Ends the execution-timeout wait: left pending, every finished execution kept a waiter (and a timer) on the
    // simulated clock until its TimeoutSeconds passed, and each tick walked all of them.
    this.controller.abort();
  }

  private async consume(events: AsyncGenerator<LibraryEvent>): Promise<void> {
    const types = this.machine?.prepared.types ?? new Map<string, string>();
    for await (const event of events) {
      if (this.closed) continue;
      for (const entry of fromLibraryEvent(event, types)) this.append(...entry);
    }
  }

  private async task(meta: TaskMeta, input: TaskInput): Promise<unknown> {
    this.tasks++;
    this.sync();
    try {
      return await this.performTask(meta, input);
    } finally {
      this.tasks--;
      this.sync();
    }
  }

  /** Awaits what only the clock, an operator or another execution ends; meanwhile this task is not busy. */
  private async park<T>(waiting: Promise<T>): Promise<T> {
    this.parked++;
    this.sync();
    try {
      return await waiting;
    } finally {
      this.parked--;
      this.sync();
    }
  }

  private async performTask(meta: TaskMeta, input: TaskInput): Promise<unknown> {
    // Let the history consumer write the StateEntered the library just dispatched, so events stay in order.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.closed) throw new WaitAbortedError();
    const scope = this.scope(input.ctx, meta);
    const sim = this.executions.sim;
    try {
      if (meta.kind === "wait") {
        await this.park(sim.until(waitTarget(meta, input.payload, sim.now()), this.controller.signal));
        return input.payload;
      }
      const stateInput = input.input;
      const deps = this.executions.integrationDeps();
      return await runTask(
        {
          ...deps,
          waitForClose: (arn, signal) => this.park(deps.waitForClose(arn, signal)),
          awaitTaskToken: (token, heartbeat, signal) => this.park(deps.awaitTaskToken(token, heartbeat, signal)),
        },
        {
          executionArn: this.record.executionArn,
          stateName: meta.name,
          resource: meta.resource,
          payload: input.payload,
          signal: this.controller.signal,
          ...optionalSeconds("timeoutSeconds", meta.timeoutSeconds, meta.timeoutSecondsPath, stateInput),
          ...optionalSeconds("heartbeatSeconds", meta.heartbeatSeconds, meta.heartbeatSecondsPath, stateInput),
          record: (type, details) => this.append(type, details),
        },
      );
    } catch (error: unknown) {
      if (error instanceof WaitAbortedError || this.controller.signal.aborted) throw error;
      const failure = error instanceof Error ? error : new TaskFailure("States.TaskFailed", String(error));
      await this.beforeRetry(scope, meta, failure);
      throw failure;
    }
  }

  private scope(ctx: object, meta: TaskMeta): RetryScope {
    let states = this.scopes.get(ctx);
    if (!states) {
      states = new Map();
      this.scopes.set(ctx, states);
    }
    const current = states.get(meta.name);
    if (current?.awaitingRetry) {
      current.awaitingRetry = false;
      return current;
    }
    const fresh = { attempts: meta.retry.map(() => 0), awaitingRetry: false };
    states.set(meta.name, fresh);
    return fresh;
  }

  /**
   * Waits the interval of the retrier the library will choose on the simulated clock before the error reaches the
   * library, which then retries at once (its interval is overridden to 0).
   */
  private async beforeRetry(scope: RetryScope, meta: TaskMeta, error: Error): Promise<void> {
    const delay = retryDelay(meta.retry, scope.attempts, error);
    if (delay === undefined) return;
    scope.awaitingRetry = true;
    await this.park(this.executions.sim.sleep(delay * 1000, this.controller.signal));
  }
}

function optionalSeconds(key: string, fixed: number | undefined, path: string | undefined, input: unknown) {
  if (fixed !== undefined) return { [key]: fixed };
  if (path === undefined) return {};
  const found = readPath(input, path);
  if (!found.found || !Number.isInteger(found.value) || (found.value as number) < 1) {
    throw statesRuntime(`${key} path ${path} did not select a positive integer`);
  }
  return { [key]: found.value as number };
}
