import { randomUUID } from "node:crypto";
import type { AccountContext } from "../../account/account";
import { AwsServiceError } from "../../account/errors";
import type { Activity } from "../activity";
import type { ExecutionSummary, IntegrationDeps } from "../sdk-integrations";
import type { SimClock } from "../sim-clock";
import { WaitAbortedError } from "../sim-clock";
import { ExecutionRun } from "./execution-run";
import { closingEvent, type HistoryEvent, readHistory, writeHistory } from "./history";
import { type Machine, roleArn } from "./machines";
import type { TaskTokens } from "./task-tokens";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export type ExecutionRecord = ExecutionSummary & {
  status: ExecutionStatus;
  redriveCount: number;
  redriveDate?: number;
};

export type StepFunctionsDeps = Omit<
  IntegrationDeps,
  "startExecution" | "waitForClose" | "stopExecution" | "newTaskToken" | "awaitTaskToken"
> & { ctx: AccountContext; accountId: string; activity: Activity };

/** The store kind of execution records (the status page reads them too). */
export const EXECUTION_KIND = "sfn-execution";
const MAX_INPUT_BYTES = 256 * 1024;
const seconds = (ms: number) => ms / 1000;
/** AWS's rule for execution names: 1–80 characters, none of whitespace, brackets, wildcards, `"#%\^|~`$&,;:/` or controls. */
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;
const validName = (name: string) =>
  NAME.test(name) &&
  [...name].every((c) => c.charCodeAt(0) >= 0x20 && (c.charCodeAt(0) < 0x7f || c.charCodeAt(0) > 0x9f));

/**
 * The executions of the deployed state machines and their lifecycle: records and histories live in the account's
 * store, runs in memory. An execution that was RUNNING when the process stopped or crashed is run again from the start
 * with the same input (every step is idempotent by design), recorded as ExecutionRedriven.
 */
export class Executions {
  private readonly runs = new Map<string, ExecutionRun>();
  private readonly closeWaiters = new Map<string, Set<(r: ExecutionRecord) => void>>();
  private stopped = false;

  constructor(
    private readonly deps: StepFunctionsDeps,
    private readonly machines: Map<string, Machine>,
    private readonly tokens: TaskTokens,
  ) {}

  get sim(): SimClock {
    return this.deps.sim;
  }

  get store() {
    return this.deps.ctx.store;
  }

  get activity(): Activity {
    return this.deps.activity;
  }

  /** Runs again every execution the store says is RUNNING (after a restart or a crash). */
  resume(): void {
    const store = this.deps.ctx.store;
    for (const record of store.list<ExecutionRecord>(EXECUTION_KIND)) {
      if (record.status !== "RUNNING" || this.runs.has(record.executionArn)) continue;
      const machine = this.machines.get(record.stateMachineArn);
      const run = new ExecutionRun(this, record, machine, this.history(record.executionArn).length);
      const redriven = store.tx(() => {
        const next = { ...record, redriveCount: record.redriveCount + 1, redriveDate: this.deps.ctx.clock.now() };
        store.put(EXECUTION_KIND, record.executionArn, next);
        run.append("ExecutionRedriven", { executionRedrivenEventDetails: { redriveCount: next.redriveCount } });
        return next;
      });
      this.runs.set(record.executionArn, run);
      run.start(redriven);
    }
  }

  /** Shutdown: abandons running executions in memory; they stay RUNNING in the store and resume on next start. */
  shutdown(): void {
    this.stopped = true;
    for (const run of this.runs.values()) run.abandon();
    this.runs.clear();
    this.tokens.releaseAll();
  }

  /**
   * StartExecution's rules: AWS's name rules, JSON input of at most 256 KiB, and for a name already used, the same
   * execution while it runs with the same input, `ExecutionAlreadyExists` otherwise
   * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
   */
  start(request: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    /** Epoch seconds, as on the wire. */
    startDate: number;
  } {
    const store = this.deps.ctx.store;
    const machine = this.machines.get(request.stateMachineArn);
    if (!machine) {
      if (!/^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(request.stateMachineArn)) {
        throw new AwsServiceError(
          "InvalidArn",
          `Invalid Arn: 'Resource type not valid in this context: ${request.stateMachineArn}'`,
        );
      }
      throw new AwsServiceError(
        "StateMachineDoesNotExist",
        `State Machine Does Not Exist: '${request.stateMachineArn}'`,
      );
    }
    const name = request.name ?? randomUUID();
    if (!validName(name)) throw new AwsServiceError("InvalidName", `Invalid Name: '${name}'`);
    const input = request.input ?? "{}";
    if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
      throw new AwsServiceError(
        "InvalidExecutionInput",
        "Invalid State Machine Execution Input: 'Input exceeds 262144 bytes'",
      );
    }
    try {
      JSON.parse(input);
    } catch (error: unknown) {
      throw new AwsServiceError(
        "InvalidExecutionInput",
        `Invalid State Machine Execution Input: '${error instanceof Error ? error.message : String(error)}'`,
      );
    }
    const executionArn = `arn:aws:states:${this.deps.region}:${this.deps.accountId}:execution:${machine.config.name}:${name}`;
    return store.tx(() => {
      const existing = store.get<ExecutionRecord>(EXECUTION_KIND, executionArn);
      if (existing) {
        if (existing.status === "RUNNING" && existing.input === input) {
          return { executionArn, startDate: seconds(existing.startDate) };
        }
        throw new AwsServiceError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
      }
      const now = this.deps.ctx.clock.now();
      const record: ExecutionRecord = {
        executionArn,
        stateMachineArn: machine.config.arn,
        name,
        status: "RUNNING",
        input,
        startDate: now,
        redriveCount: 0,
      };
      store.put(EXECUTION_KIND, executionArn, record);
      const run = new ExecutionRun(this, record, machine, 0);
      run.append("ExecutionStarted", {
        executionStartedEventDetails: {
          input,
          inputDetails: { truncated: false },
          roleArn: this.roleArn(machine),
        },
      });
      this.statusEvent(record);
      this.runs.set(executionArn, run);
      this.deps.activity.defer(() => this.deps.ctx.bus.flush());
      // Runs after the transaction commits; if it rolled back there is no record and nothing runs.
      this.deps.activity.defer(() => {
        if (store.get(EXECUTION_KIND, executionArn)) run.start(record);
        else this.runs.delete(executionArn);
      });
      return { executionArn, startDate: seconds(now) };
    });
  }

  /** Closes a running execution as ABORTED; on a closed one it changes nothing and returns its stop date. */
  stop(executionArn: string, error?: string, cause?: string): number {
    const store = this.deps.ctx.store;
    return store.tx(() => {
      const record = store.get<ExecutionRecord>(EXECUTION_KIND, executionArn);
      if (!record) throw new AwsServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
      if (record.status !== "RUNNING") return record.stopDate ?? record.startDate;
      const run = this.runs.get(executionArn);
      const stopDate = this.deps.ctx.clock.now();
      const outcome = { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) };
      run?.append(...closingEvent("ABORTED", outcome));
      this.close({ ...record, status: "ABORTED", stopDate, ...outcome });
      run?.abort();
      return stopDate;
    });
  }

  /** Resolves when the execution is no longer RUNNING. */
  waitForClose(executionArn: string, signal?: AbortSignal): Promise<ExecutionRecord> {
    const record = this.record(executionArn);
    if (record && record.status !== "RUNNING") return Promise.resolve(record);
    return new Promise((resolve, reject) => {
      const waiters = this.closeWaiters.get(executionArn) ?? new Set();
      const done = (r: ExecutionRecord) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(r);
      };
      const onAbort = () => {
        waiters.delete(done);
        reject(new WaitAbortedError());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      waiters.add(done);
      this.closeWaiters.set(executionArn, waiters);
    });
  }

  record(executionArn: string): ExecutionRecord | undefined {
    return this.deps.ctx.store.get<ExecutionRecord>(EXECUTION_KIND, executionArn);
  }

  /** Every execution of a machine, newest first. */
  list(stateMachineArn: string): ExecutionRecord[] {
    return this.deps.ctx.store
      .list<ExecutionRecord>(EXECUTION_KIND)
      .filter((r) => r.stateMachineArn === stateMachineArn)
      .sort((a, b) => b.startDate - a.startDate);
  }

  history(executionArn: string): HistoryEvent[] {
    return readHistory(this.deps.ctx.store, executionArn);
  }

  /** Called by a run inside a transaction: writes the closed record and wakes whoever waits on it. */
  close(record: ExecutionRecord, flush = false): void {
    this.deps.ctx.store.put(EXECUTION_KIND, record.executionArn, record);
    this.statusEvent(record);
    this.runs.delete(record.executionArn);
    this.tokens.releaseExecution(record.executionArn);
    const waiters = this.closeWaiters.get(record.executionArn);
    this.closeWaiters.delete(record.executionArn);
    this.deps.activity.defer(() => {
      if (flush) this.deps.ctx.bus.flush();
      for (const waiter of waiters ?? []) waiter(record);
    });
  }

  appendHistory(executionArn: string, event: HistoryEvent): void {
    if (!this.stopped) writeHistory(this.deps.ctx.store, executionArn, event);
  }

  /** What a Task's integrations need: nested executions and task tokens go through here. */
  integrationDeps(): IntegrationDeps {
    return {
      ...this.deps,
      startExecution: (request) => this.start(request),
      waitForClose: (arn, signal) => this.waitForClose(arn, signal),
      stopExecution: (arn, error, cause) => {
        try {
          this.stop(arn, error, cause);
        } catch {
          // Already gone: nothing to stop.
        }
      },
      newTaskToken: (executionArn, stateName) => this.tokens.issue(executionArn, stateName),
      awaitTaskToken: (token, heartbeatSeconds, signal) => this.tokens.await(token, heartbeatSeconds, signal),
    };
  }

  isStopped(): boolean {
    return this.stopped;
  }

  roleArn(machine: Machine): string {
    return roleArn(this.deps.accountId, machine);
  }

  /** "Step Functions Execution Status Change", as AWS puts on the default bus. Flushed by the caller's transaction. */
  private statusEvent(record: ExecutionRecord): void {
    this.deps.ctx.bus.put({
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      resources: [record.executionArn],
      detail: {
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: record.startDate,
        stopDate: record.stopDate ?? null,
        input: record.input,
        output: record.output ?? null,
        error: record.error ?? null,
        cause: record.cause ?? null,
      },
    });
  }
}
