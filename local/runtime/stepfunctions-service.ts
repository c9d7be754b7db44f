import { randomBytes, randomUUID } from "node:crypto";
import aslValidator from "asl-validator";
import { ExecutionAbortedError, StateMachine } from "aws-local-stepfunctions";
import { z } from "zod";
import type { AccountContext } from "../account/account";
import { AwsServiceError } from "../account/errors";
import { parseInput, type Service } from "../account/protocol";
import type { Activity } from "./activity";
import { type PreparedDefinition, prepareDefinition, type TaskMeta } from "./asl-rewrite";
import { readPath } from "./json-path";
import { type ExecutionSummary, type IntegrationDeps, parseResource, runTask } from "./sdk-integrations";
import type { StateMachineConfig } from "./serverless-config";
import { type SimClock, WaitAbortedError } from "./sim-clock";
import { statesRuntime, TaskFailure } from "./task-errors";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export type ExecutionRecord = ExecutionSummary & {
  status: ExecutionStatus;
  redriveCount: number;
  redriveDate?: number;
};

export type HistoryEvent = { id: number; previousEventId: number; timestamp: number; type: string } & Record<
  string,
  unknown
>;

export const EXECUTION_KIND = "sfn-execution";
const historyKind = (executionArn: string) => `sfn-history/${executionArn}`;
const pad = (n: number) => String(n).padStart(9, "0");
const seconds = (ms: number) => ms / 1000;
const MAX_INPUT_BYTES = 256 * 1024;
/** AWS's rule for execution names: 1–80 characters, none of whitespace, brackets, wildcards, `"#%\^|~`$&,;:/` or controls. */
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;
const validName = (name: string) =>
  NAME.test(name) &&
  [...name].every((c) => c.charCodeAt(0) >= 0x20 && (c.charCodeAt(0) < 0x7f || c.charCodeAt(0) > 0x9f));

type Machine = { config: StateMachineConfig; prepared: PreparedDefinition; creationDate: number };

type TokenWait = {
  executionArn: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  lastBeat: number;
};

export type StepFunctionsDeps = Omit<
  IntegrationDeps,
  "startExecution" | "waitForClose" | "stopExecution" | "newTaskToken" | "awaitTaskToken"
> & { ctx: AccountContext; accountId: string; activity: Activity };

/**
 * Step Functions (`AWSStepFunctions`, JSON 1.0) for the state machines of serverless.yml: StartExecution with AWS's
 * name rules, Describe/Stop/ListExecutions, GetExecutionHistory, SendTaskSuccess/Failure/Heartbeat. Executions run the
 * committed ASL on aws-local-stepfunctions (see asl-rewrite.ts for what the runtime takes over); executions and their
 * histories live in the account's store. An execution that was RUNNING when the process stopped or crashed is run
 * again from the start with the same input (every step is idempotent by design), recorded as ExecutionRedriven.
 */
export class StepFunctionsService implements Service {
  readonly target = "AWSStepFunctions";
  readonly name = "states";
  readonly jsonVersion = "1.0" as const;
  readonly internalError = { code: "InternalFailure", status: 500 };
  readonly operations: Record<string, (input: unknown) => unknown>;

  private readonly machines = new Map<string, Machine>();
  private readonly runs = new Map<string, ExecutionRun>();
  private readonly closeWaiters = new Map<string, Set<(r: ExecutionRecord) => void>>();
  private readonly tokens = new Map<string, TokenWait>();
  private stopped = false;

  constructor(
    private readonly deps: StepFunctionsDeps,
    machines: StateMachineConfig[],
  ) {
    const creationDate = deps.ctx.clock.now();
    for (const config of machines) {
      validateDefinition(config);
      this.machines.set(config.arn, { config, prepared: prepareDefinition(config.definition), creationDate });
    }
    this.operations = {
      ListStateMachines: (input) => this.listStateMachines(input),
      DescribeStateMachine: (input) => this.describeStateMachine(input),
      StartExecution: (input) => this.startExecutionOp(input),
      DescribeExecution: (input) => this.describeExecution(input),
      StopExecution: (input) => this.stopExecutionOp(input),
      ListExecutions: (input) => this.listExecutions(input),
      GetExecutionHistory: (input) => this.getExecutionHistory(input),
      SendTaskSuccess: (input) => this.sendTaskSuccess(input),
      SendTaskFailure: (input) => this.sendTaskFailure(input),
      SendTaskHeartbeat: (input) => this.sendTaskHeartbeat(input),
    };
  }

  get sim(): SimClock {
    return this.deps.sim;
  }

  get store() {
    return this.deps.ctx.store;
  }

  tick(): void {
    this.deps.sim.check();
  }

  /**
   * The next time a wait on the simulated clock ends (Wait states, retry intervals, execution timeouts, heartbeats,
   * Lambda's async retries): a clock advance stops there, so the execution goes on at the wait's own end, as a Wait
   * state "delays the state machine from continuing for a specified time"
   * (https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html).
   */
  nextDue(after: number): number | undefined {
    return this.deps.sim.nextDue(after);
  }

  /**
   * Resolves once every execution is closed or has each open task waiting on the simulated clock, a task token or a
   * child, and no Lambda invocation runs (the runtime's one Activity counts them all, EventBridge's deliveries too).
   */
  idle(): Promise<void> {
    return this.deps.activity.idle();
  }

  get activity(): Activity {
    return this.deps.activity;
  }

  /** Runs again every execution the store says is RUNNING (after a restart or a crash). */
  resume(): void {
    for (const record of this.deps.ctx.store.list<ExecutionRecord>(EXECUTION_KIND)) {
      if (record.status !== "RUNNING" || this.runs.has(record.executionArn)) continue;
      const machine = this.machines.get(record.stateMachineArn);
      const events = this.deps.ctx.store.list<HistoryEvent>(historyKind(record.executionArn));
      const run = new ExecutionRun(this, record, machine, events.length);
      const redriven = this.deps.ctx.store.tx(() => {
        const next = { ...record, redriveCount: record.redriveCount + 1, redriveDate: this.deps.ctx.clock.now() };
        this.deps.ctx.store.put(EXECUTION_KIND, record.executionArn, next);
        run.append("ExecutionRedriven", { executionRedrivenEventDetails: { redriveCount: next.redriveCount } });
        return next;
      });
      this.runs.set(record.executionArn, run);
      run.start(redriven);
    }
  }

  /** Shutdown: abandons running executions in memory; they stay RUNNING in the store and resume on next start. */
  stop(): void {
    this.stopped = true;
    for (const run of this.runs.values()) run.abandon();
    this.runs.clear();
    for (const wait of this.tokens.values()) wait.reject(new WaitAbortedError());
    this.tokens.clear();
  }

  // ---- internal API (runtime, EventBridge targets, nested executions) ----

  startExecution(request: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
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
        // Standard workflows: idempotent for the same name and input while running; otherwise the name is taken.
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

  stopExecution(executionArn: string, error?: string, cause?: string): number {
    const store = this.deps.ctx.store;
    return store.tx(() => {
      const record = store.get<ExecutionRecord>(EXECUTION_KIND, executionArn);
      if (!record) throw new AwsServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
      if (record.status !== "RUNNING") return record.stopDate ?? record.startDate;
      const run = this.runs.get(executionArn);
      const stopDate = this.deps.ctx.clock.now();
      const closed: ExecutionRecord = {
        ...record,
        status: "ABORTED",
        stopDate,
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      };
      run?.append("ExecutionAborted", {
        executionAbortedEventDetails: {
          ...(error !== undefined ? { error } : {}),
          ...(cause !== undefined ? { cause } : {}),
        },
      });
      this.close(closed);
      run?.abort();
      return stopDate;
    });
  }

  /** Resolves when the execution is no longer RUNNING. */
  waitForClose(executionArn: string, signal?: AbortSignal): Promise<ExecutionRecord> {
    const record = this.deps.ctx.store.get<ExecutionRecord>(EXECUTION_KIND, executionArn);
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

  history(executionArn: string): HistoryEvent[] {
    return this.deps.ctx.store.list<HistoryEvent>(historyKind(executionArn));
  }

  /** Called by a run inside a transaction: writes the closed record and wakes whoever waits on it. */
  close(record: ExecutionRecord, flush = false): void {
    this.deps.ctx.store.put(EXECUTION_KIND, record.executionArn, record);
    this.statusEvent(record);
    this.runs.delete(record.executionArn);
    for (const [token, wait] of this.tokens) {
      if (wait.executionArn === record.executionArn) {
        this.tokens.delete(token);
        wait.reject(new WaitAbortedError());
      }
    }
    const waiters = this.closeWaiters.get(record.executionArn);
    this.closeWaiters.delete(record.executionArn);
    this.deps.activity.defer(() => {
      if (flush) this.deps.ctx.bus.flush();
      for (const waiter of waiters ?? []) waiter(record);
    });
  }

  appendHistory(executionArn: string, event: HistoryEvent): void {
    if (!this.stopped) this.deps.ctx.store.put(historyKind(executionArn), pad(event.id), event);
  }

  integrationDeps(): IntegrationDeps {
    return {
      ...this.deps,
      startExecution: (request) => this.startExecution(request),
      waitForClose: (arn, signal) => this.waitForClose(arn, signal),
      stopExecution: (arn, error, cause) => {
        try {
          this.stopExecution(arn, error, cause);
        } catch {
          // Already gone: nothing to stop.
        }
      },
      newTaskToken: (executionArn, stateName) =>
        Buffer.from(JSON.stringify({ e: executionArn, s: stateName, n: randomBytes(24).toString("base64") })).toString(
          "base64url",
        ),
      awaitTaskToken: (token, heartbeatSeconds, signal) => this.awaitTaskToken(token, heartbeatSeconds, signal),
    };
  }

  isStopped(): boolean {
    return this.stopped;
  }

  // ---- operations ----

  private listStateMachines(input: unknown) {
    parseInput(
      z.object({ maxResults: z.number().int().min(0).max(1000).optional(), nextToken: z.string().optional() }),
      input,
    );
    return {
      stateMachines: [...this.machines.values()].map((m) => ({
        stateMachineArn: m.config.arn,
        name: m.config.name,
        type: m.config.type,
        creationDate: seconds(m.creationDate),
      })),
    };
  }

  private describeStateMachine(input: unknown) {
    const { stateMachineArn } = parseInput(z.object({ stateMachineArn: z.string().min(1).max(256) }), input);
    const machine = this.machines.get(stateMachineArn);
    if (!machine)
      throw new AwsServiceError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${stateMachineArn}'`);
    return {
      stateMachineArn,
      name: machine.config.name,
      status: "ACTIVE",
      definition: JSON.stringify(machine.config.definition),
      roleArn: this.roleArn(machine),
      type: machine.config.type,
      creationDate: seconds(machine.creationDate),
      loggingConfiguration: { level: "OFF", includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  private startExecutionOp(input: unknown) {
    const request = parseInput(
      z.object({
        stateMachineArn: z.string().min(1).max(256),
        name: z.string().min(1).max(80).optional(),
        input: z.string().optional(),
        traceHeader: z.string().optional(),
      }),
      input,
    );
    return this.startExecution(request);
  }

  private describeExecution(input: unknown) {
    const { executionArn } = parseInput(z.object({ executionArn: z.string().min(1).max(256) }), input);
    return describe(this.mustGet(executionArn));
  }

  private stopExecutionOp(input: unknown) {
    const request = parseInput(
      z.object({
        executionArn: z.string().min(1).max(256),
        error: z.string().max(256).optional(),
        cause: z.string().max(32768).optional(),
      }),
      input,
    );
    return { stopDate: seconds(this.stopExecution(request.executionArn, request.error, request.cause)) };
  }

  private listExecutions(input: unknown) {
    const request = parseInput(
      z.object({
        stateMachineArn: z.string().min(1).max(256),
        statusFilter: z.enum(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]).optional(),
        maxResults: z.number().int().min(0).max(1000).optional(),
        nextToken: z.string().max(3096).optional(),
      }),
      input,
    );
    if (!this.machines.has(request.stateMachineArn)) {
      throw new AwsServiceError(
        "StateMachineDoesNotExist",
        `State Machine Does Not Exist: '${request.stateMachineArn}'`,
      );
    }
    const all = this.deps.ctx.store
      .list<ExecutionRecord>(EXECUTION_KIND)
      .filter((r) => r.stateMachineArn === request.stateMachineArn)
      .filter((r) => !request.statusFilter || r.status === request.statusFilter)
      .sort((a, b) => b.startDate - a.startDate);
    const { items, nextToken } = page(all, request.maxResults || 100, request.nextToken);
    return {
      executions: items.map((r) => ({
        executionArn: r.executionArn,
        stateMachineArn: r.stateMachineArn,
        name: r.name,
        status: r.status,
        startDate: seconds(r.startDate),
        ...(r.stopDate !== undefined ? { stopDate: seconds(r.stopDate) } : {}),
        redriveCount: r.redriveCount,
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  private getExecutionHistory(input: unknown) {
    const request = parseInput(
      z.object({
        executionArn: z.string().min(1).max(256),
        maxResults: z.number().int().min(0).max(1000).optional(),
        reverseOrder: z.boolean().optional(),
        nextToken: z.string().max(3096).optional(),
        includeExecutionData: z.boolean().optional(),
      }),
      input,
    );
    this.mustGet(request.executionArn);
    let events: Record<string, unknown>[] = this.history(request.executionArn).map((e) => ({
      ...e,
      timestamp: seconds(e.timestamp),
    }));
    if (request.reverseOrder) events = events.reverse();
    if (request.includeExecutionData === false) events = events.map(withoutData);
    const { items, nextToken } = page(events, request.maxResults || 100, request.nextToken);
    return { events: items, ...(nextToken ? { nextToken } : {}) };
  }

  private sendTaskSuccess(input: unknown) {
    const { taskToken, output } = parseInput(
      z.object({ taskToken: z.string().min(1).max(2048), output: z.string().max(MAX_INPUT_BYTES) }),
      input,
    );
    const wait = this.takeToken(taskToken);
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      this.tokens.set(taskToken, wait);
      throw new AwsServiceError("InvalidOutput", "Invalid Output: the output must be valid JSON");
    }
    wait.resolve(parsed);
    return {};
  }

  private sendTaskFailure(input: unknown) {
    const { taskToken, error, cause } = parseInput(
      z.object({
        taskToken: z.string().min(1).max(2048),
        error: z.string().max(256).optional(),
        cause: z.string().max(32768).optional(),
      }),
      input,
    );
    this.takeToken(taskToken).reject(new TaskFailure(error ?? "", cause ?? ""));
    return {};
  }

  private sendTaskHeartbeat(input: unknown) {
    const { taskToken } = parseInput(z.object({ taskToken: z.string().min(1).max(2048) }), input);
    const wait = this.findToken(taskToken);
    wait.lastBeat = this.deps.ctx.clock.now();
    return {};
  }

  // ---- helpers ----

  private findToken(token: string): TokenWait {
    const wait = this.tokens.get(token);
    if (wait) return wait;
    try {
      const decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { e?: unknown };
      if (typeof decoded.e !== "string") throw new Error("no execution");
    } catch {
      throw new AwsServiceError("InvalidToken", "Invalid Token: 'Invalid token'");
    }
    throw new AwsServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
  }

  private takeToken(token: string): TokenWait {
    const wait = this.findToken(token);
    this.tokens.delete(token);
    return wait;
  }

  private async awaitTaskToken(
    token: string,
    heartbeatSeconds: number | undefined,
    signal: AbortSignal,
  ): Promise<unknown> {
    const executionArn = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { e: string }).e;
    const result = new Promise<unknown>((resolve, reject) => {
      this.tokens.set(token, { executionArn, resolve, reject, lastBeat: this.deps.ctx.clock.now() });
    });
    const onAbort = () => {
      const wait = this.tokens.get(token);
      this.tokens.delete(token);
      wait?.reject(new WaitAbortedError());
    };
    signal.addEventListener("abort", onAbort, { once: true });
    if (heartbeatSeconds) void this.watchHeartbeat(token, heartbeatSeconds * 1000, signal);
    try {
      return await result;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  private async watchHeartbeat(token: string, intervalMs: number, signal: AbortSignal): Promise<void> {
    try {
      for (;;) {
        const wait = this.tokens.get(token);
        if (!wait) return;
        await this.deps.sim.until(wait.lastBeat + intervalMs, signal);
        const current = this.tokens.get(token);
        if (!current) return;
        if (this.deps.ctx.clock.now() >= current.lastBeat + intervalMs) {
          this.tokens.delete(token);
          current.reject(
            new TaskFailure("States.HeartbeatTimeout", `No heartbeat within ${intervalMs / 1000} seconds`),
          );
          return;
        }
      }
    } catch {
      // Aborted with the task.
    }
  }

  private mustGet(executionArn: string): ExecutionRecord {
    const record = this.record(executionArn);
    if (!record) {
      if (!/^arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(executionArn)) {
        throw new AwsServiceError(
          "InvalidArn",
          `Invalid Arn: 'Resource type not valid in this context: ${executionArn}'`,
        );
      }
      throw new AwsServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
    }
    return record;
  }

  roleArn(machine: Machine): string {
    return `arn:aws:iam::${this.deps.accountId}:role/${machine.config.name}-role`;
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

/**
 * One execution on aws-local-stepfunctions: binds every Task (and rewritten Wait) to the runtime, turns the library's
 * event log into AWS history events, enforces the execution timeout on the simulated clock and writes the outcome.
 */
class ExecutionRun {
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
  private readonly scopes = new WeakMap<object, Map<string, { attempts: number[]; awaitingRetry: boolean }>>();

  constructor(
    private readonly svc: StepFunctionsService,
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
    if (working && !this.working) this.working = this.svc.activity.begin();
    else if (!working && this.working) {
      this.working();
      this.working = undefined;
    }
  }

  append(type: string, details: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.lastEventId++;
    this.svc.appendHistory(this.record.executionArn, {
      timestamp: this.svc.sim.now(),
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
      handlers[task.name] = (input) => this.task(task, input as { payload: unknown; ctx: object; input?: unknown });
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
            RoleArn: this.svc.roleArn(machine),
            RedriveCount: record.redriveCount,
          },
          StateMachine: { Id: config.arn, Name: config.name },
        },
      },
    );
    this.libraryAbort = execution.abort;
    const consumed = this.consume(execution.eventLogs as AsyncGenerator<LibraryEvent>);
    if (prepared.timeoutSeconds !== undefined) {
      this.svc.sim.until(record.startDate + prepared.timeoutSeconds * 1000, this.controller.signal).then(
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

  private finish(
    status: Exclude<ExecutionStatus, "RUNNING">,
    outcome: { output?: string; error?: string; cause?: string },
  ): void {
    if (this.closed || this.abandoned || this.svc.isStopped()) return;
    const store = this.svc.store;
    store.tx(() => {
      const current = store.get<ExecutionRecord>(EXECUTION_KIND, this.record.executionArn);
      if (current?.status !== "RUNNING") return;
      const type = {
        SUCCEEDED: "ExecutionSucceeded",
        FAILED: "ExecutionFailed",
        TIMED_OUT: "ExecutionTimedOut",
        ABORTED: "ExecutionAborted",
      }[status];
      const key = {
        SUCCEEDED: "executionSucceededEventDetails",
        FAILED: "executionFailedEventDetails",
        TIMED_OUT: "executionTimedOutEventDetails",
        ABORTED: "executionAbortedEventDetails",
      }[status];
      this.append(
        type,
        status === "SUCCEEDED"
          ? { [key]: { output: outcome.output, outputDetails: { truncated: false } } }
          : {
              [key]: {
                ...(outcome.error !== undefined ? { error: outcome.error } : {}),
                ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
              },
            },
      );
      this.svc.close({ ...current, status, stopDate: this.svc.sim.now(), ...outcome }, true);
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
      const state = event.state;
      const type = state ? (types.get(state.name) ?? state.type) : undefined;
      switch (event.type) {
        case "StateEntered":
          this.append(`${type}StateEntered`, {
            stateEnteredEventDetails: {
              name: state?.name,
              input: JSON.stringify(state?.input ?? null),
              inputDetails: { truncated: false },
            },
          });
          if (type === "Map" || type === "Parallel")
            this.append(`${type}StateStarted`, type === "Map" ? { mapStateStartedEventDetails: {} } : {});
          break;
        case "StateExited":
          if (type === "Map" || type === "Parallel") this.append(`${type}StateSucceeded`);
          this.append(`${type}StateExited`, {
            stateExitedEventDetails: {
              name: state?.name,
              output: JSON.stringify(state?.output ?? null),
              outputDetails: { truncated: false },
            },
          });
          break;
        case "StateFailed":
          if (type === "Map" || type === "Parallel") this.append(`${type}StateFailed`);
          break;
        case "MapIterationStarted":
        case "MapIterationSucceeded":
        case "MapIterationFailed": {
          const key = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`;
          this.append(event.type, { [key]: { name: event.parentState?.name, index: event.index } });
          break;
        }
        default:
          break;
      }
    }
  }

  private async task(meta: TaskMeta, input: { payload: unknown; ctx: object; input?: unknown }): Promise<unknown> {
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

  private async performTask(
    meta: TaskMeta,
    input: { payload: unknown; ctx: object; input?: unknown },
  ): Promise<unknown> {
    // Let the history consumer write the StateEntered the library just dispatched, so events stay in order.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.closed) throw new WaitAbortedError();
    const scope = this.scope(input.ctx, meta);
    try {
      if (meta.kind === "wait") {
        await this.park(
          this.svc.sim.until(waitTarget(meta, input.payload, this.svc.sim.now()), this.controller.signal),
        );
        return input.payload;
      }
      const stateInput = input.input;
      const deps = this.svc.integrationDeps();
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

  private scope(ctx: object, meta: TaskMeta) {
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
   * Mirrors the library's choice of retrier (first whose ErrorEquals matches; none when it is exhausted) and waits
   * its interval — IntervalSeconds × BackoffRate^attempt, capped by MaxDelaySeconds, FULL jitter — on the simulated
   * clock before the error reaches the library, which then retries at once (its interval is overridden to 0).
   */
  private async beforeRetry(
    scope: { attempts: number[]; awaitingRetry: boolean },
    meta: TaskMeta,
    error: Error,
  ): Promise<void> {
    if ((error as { isRetryable?: boolean }).isRetryable === false) return;
    const index = meta.retry.findIndex((r) =>
      r.ErrorEquals.some(
        (e) => e === error.name || e === "States.ALL" || (e === "States.TaskFailed" && error.name !== "States.Timeout"),
      ),
    );
    const retrier = meta.retry[index];
    if (!retrier) return;
    const attempt = scope.attempts[index] ?? 0;
    if (attempt >= (retrier.MaxAttempts ?? 3)) return;
    let delay = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
    if (retrier.MaxDelaySeconds !== undefined) delay = Math.min(delay, retrier.MaxDelaySeconds);
    if (retrier.JitterStrategy === "FULL") delay = Math.random() * delay;
    scope.attempts[index] = attempt + 1;
    scope.awaitingRetry = true;
    await this.park(this.svc.sim.sleep(delay * 1000, this.controller.signal));
  }
}

type LibraryEvent = {
  type: string;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
};

function optionalSeconds(key: string, fixed: number | undefined, path: string | undefined, input: unknown) {
  if (fixed !== undefined) return { [key]: fixed };
  if (path === undefined) return {};
  const found = readPath(input, path);
  if (!found.found || !Number.isInteger(found.value) || (found.value as number) < 1) {
    throw statesRuntime(`${key} path ${path} did not select a positive integer`);
  }
  return { [key]: found.value as number };
}

/** The simulated time a Wait state ends, from Seconds/Timestamp/SecondsPath/TimestampPath against its input. */
export function waitTarget(meta: TaskMeta, input: unknown, now: number): number {
  const wait = meta.wait ?? {};
  if (wait.Seconds !== undefined) return now + wait.Seconds * 1000;
  if (wait.Timestamp !== undefined) return timestamp(wait.Timestamp, meta.name);
  const path = wait.SecondsPath ?? wait.TimestampPath;
  if (path === undefined) throw statesRuntime(`Wait state '${meta.name}' has no duration`);
  const found = readPath(input, path);
  if (!found.found) throw statesRuntime(`Wait state '${meta.name}': path '${path}' does not point to a value`);
  if (wait.SecondsPath !== undefined) {
    if (!Number.isInteger(found.value) || (found.value as number) < 0) {
      throw statesRuntime(
        `Wait state '${meta.name}': ${path} must be a non-negative integer, got ${JSON.stringify(found.value)}`,
      );
    }
    return now + (found.value as number) * 1000;
  }
  if (typeof found.value !== "string") {
    throw statesRuntime(
      `Wait state '${meta.name}': ${path} must be an ISO-8601 timestamp, got ${JSON.stringify(found.value)}`,
    );
  }
  return timestamp(found.value, meta.name);
}

function timestamp(text: string, state: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) {
    throw statesRuntime(`Wait state '${state}': '${text}' is not an ISO-8601 timestamp`);
  }
  return ms;
}

function validateDefinition(config: StateMachineConfig): void {
  const { isValid, errorsText } = aslValidator(config.definition, { checkArn: true, checkPaths: true });
  if (!isValid) throw new Error(`State machine ${config.key} is not valid ASL: ${errorsText("; ")}`);
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === "Task" && typeof state.Resource === "string") {
        try {
          parseResource(state.Resource);
        } catch (error: unknown) {
          throw new Error(`State machine ${config.key}, state ${name}: ${(error as Error).message}`);
        }
      }
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { States?: Record<string, Record<string, unknown>> }
        | undefined;
      if (processor?.States) visit(processor.States);
      for (const branch of (state.Branches ?? []) as { States?: Record<string, Record<string, unknown>> }[]) {
        if (branch.States) visit(branch.States);
      }
    }
  };
  visit((config.definition.States ?? {}) as Record<string, Record<string, unknown>>);
}

function describe(r: ExecutionRecord) {
  return {
    executionArn: r.executionArn,
    stateMachineArn: r.stateMachineArn,
    name: r.name,
    status: r.status,
    startDate: seconds(r.startDate),
    ...(r.stopDate !== undefined ? { stopDate: seconds(r.stopDate) } : {}),
    input: r.input,
    inputDetails: { included: true },
    ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.cause !== undefined ? { cause: r.cause } : {}),
    redriveCount: r.redriveCount,
    ...(r.redriveDate !== undefined ? { redriveDate: seconds(r.redriveDate) } : {}),
    redriveStatus: "NOT_REDRIVABLE",
  };
}

function withoutData(event: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(event).map(([k, v]) => {
      if (!k.endsWith("EventDetails") || v === null || typeof v !== "object") return [k, v];
      const { input: _i, output: _o, parameters: _p, ...rest } = v as Record<string, unknown>;
      return [k, rest];
    }),
  );
}

function page<T>(items: T[], size: number, token: string | undefined): { items: T[]; nextToken?: string } {
  let start = 0;
  if (token) {
    start = Number(Buffer.from(token, "base64url").toString("utf8"));
    if (!Number.isInteger(start) || start < 0)
      throw new AwsServiceError("InvalidToken", "Invalid Token: 'Invalid nextToken'");
  }
  const slice = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString("base64url") : undefined;
  return { items: slice, ...(next ? { nextToken: next } : {}) };
}
