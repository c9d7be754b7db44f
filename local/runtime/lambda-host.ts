import { randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { DEFAULT_CLI_PATH } from "../../src/adapters/cloudhsm-cli";
import type { Clock } from "../account/clock";
import type { Store } from "../account/store";
import type { Activity } from "./activity";
import { installCliLayer } from "./cli-layer";
import type { FunctionConfig, RuntimeConfig } from "./serverless-config";

/** The shipped CloudHSM CLI with the real one's contract, served by the local account (the layer is not here). */
export const LOCAL_CLI_PATH = resolve(__dirname, "../bin/cloudhsm-cli");

/** What a Lambda invocation returns to its caller, as the Invoke API reports it. */
export type LambdaError = { errorType: string; errorMessage: string; trace: string[] };
export type InvokeResult = { ok: true; result: unknown } | { ok: false; error: LambdaError };

/** Who invoked: an EventBridge rule, a state machine task, or a direct call (tests, the CLI). */
export type Trigger =
  | { source: "events"; rule: string; eventId: string }
  | { source: "states"; executionArn: string; state: string }
  | { source: "direct" };

export type InvocationRecord = {
  requestId: string;
  functionName: string;
  trigger: Trigger;
  event: unknown;
  status: "running" | "succeeded" | "failed";
  result?: unknown;
  error?: LambdaError;
  /** Simulated time the invocation started (ISO). */
  startedAt: string;
  /** Real duration, as Lambda bills it. */
  durationMs?: number;
};

export const INVOCATION_KIND = "lambda-invocation";
/** One kind per function, so listing one function's invocations reads only its own records (an index range). */
const invocationKind = (functionName: string) => `${INVOCATION_KIND}/${functionName}`;

/** Dummy credentials: the local account does not check signatures, but the SDK insists on signing. */
const LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "AKIALOCALRUNTIME0000",
  AWS_SECRET_ACCESS_KEY: "local",
  AWS_SESSION_TOKEN: "local",
};

type Pending = {
  requestId: string;
  resolve: (r: InvokeResult) => void;
  timer: NodeJS.Timeout;
};

type Instance = { worker: Worker; pending?: Pending; ready: boolean };

/**
 * Runs the handlers of serverless.yml the way Lambda does: each function in its own warm instances (worker threads
 * with the function's own `process.env` and module cache), one invocation per instance at a time, a realistic
 * context (name, ARN, memory, request id, remaining time), the function's timeout in real time (the instance is
 * killed, as Lambda does), the account's simulated clock behind `Date` in the handler, and SDK clients pointed at the local account by environment only (AWS_ENDPOINT_URL, AWS_REGION, dummy
 * credentials). Every invocation is recorded in the store.
 */
export class LambdaHost {
  private readonly instances = new Map<string, Instance[]>();
  private readonly queues = new Map<string, (() => void)[]>();
  private readonly logs = new Map<string, WriteStream>();
  private stopped = false;

  constructor(
    private readonly config: RuntimeConfig,
    private readonly options: {
      endpoint: string;
      logDir: string;
      /** Where the runtime's copy of the CLI layer goes (installCliLayer); the shipped local/bin otherwise. */
      layerDir?: string;
      store: Store;
      clock: Clock;
      /** Instances per function when invocations overlap (Lambda scales out; locally a small bound). */
      maxInstances?: number;
      /** Counts invocations under way: a clock advance awaits them before its next stop. */
      activity?: Activity;
    },
  ) {
    mkdirSync(options.logDir, { recursive: true });
    this.cliPath = options.layerDir ? installCliLayer(options.layerDir) : LOCAL_CLI_PATH;
  }

  private readonly cliPath: string;

  /** Finds a function by serverless.yml key, name, ARN or partial ARN (with or without a `:$LATEST` qualifier). */
  resolve(ref: string): FunctionConfig | undefined {
    const bare = ref.replace(/:(\$LATEST|\d+)$/, "");
    return Object.values(this.config.functions).find(
      (fn) => fn.key === bare || fn.name === bare || fn.arn === bare || bare.endsWith(`:function:${fn.name}`),
    );
  }

  /** The environment a function sees: serverless.yml's provider and function environment plus Lambda's own. */
  environmentOf(fn: FunctionConfig): Record<string, string> {
    const { region } = this.config;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      LANG: "en_US.UTF-8",
      LAMBDA_TASK_ROOT: this.config.rootDir,
      LAMBDA_RUNTIME_DIR: this.config.rootDir,
      _HANDLER: fn.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      ...LOCAL_CREDENTIALS,
      // The only difference from AWS: where the SDK sends requests (read by the SDK itself) ...
      AWS_ENDPOINT_URL: this.options.endpoint,
      // ... and no X-Ray daemon to send traces to. The CloudHSM CLI finds the local account through its
      // configuration, which the adapter builds with the endpoint above (configure-cli add-cluster --endpoint).
      LOCAL_ACCOUNT_ENDPOINT: this.options.endpoint,
      POWERTOOLS_TRACE_ENABLED: "false",
      ...fn.environment,
    };
    // Local choices made here, in the function's environment, so deployed code never makes them from
    // LOCAL_ACCOUNT_ENDPOINT: the shipped CLI instead of the layer's, and no operator waiting to approve a cleanup.
    if (env.CLOUDHSM_CLI_PATH === DEFAULT_CLI_PATH) env.CLOUDHSM_CLI_PATH = this.cliPath;
    if ("CLEANUP_APPROVAL" in env) env.CLEANUP_APPROVAL = "skip";
    return env;
  }

  /** Invokes synchronously (RequestResponse) and records the invocation. Never rejects: errors come back as values. */
  async invoke(fn: FunctionConfig, event: unknown, trigger: Trigger = { source: "direct" }): Promise<InvokeResult> {
    if (this.stopped)
      return { ok: false, error: { errorType: "Lambda.ServiceException", errorMessage: "stopped", trace: [] } };
    const requestId = randomUUID();
    const record: InvocationRecord = {
      requestId,
      functionName: fn.name,
      trigger,
      event,
      status: "running",
      startedAt: new Date(this.options.clock.now()).toISOString(),
    };
    this.save(record);
    const started = performance.now();
    const end = this.options.activity?.begin();
    let result: InvokeResult;
    try {
      const instance = await this.acquire(fn);
      result = await new Promise<InvokeResult>((resolve) => {
        const timer = setTimeout(() => this.timeOut(fn, instance), fn.timeoutSeconds * 1000);
        instance.pending = { requestId, resolve, timer };
        instance.worker.postMessage({ requestId, event, deadline: Date.now() + fn.timeoutSeconds * 1000 });
      });
      this.release(fn, instance);
    } finally {
      end?.();
    }
    const durationMs = Math.round(performance.now() - started);
    this.save(
      result.ok
        ? { ...record, status: "succeeded", result: result.result, durationMs }
        : { ...record, status: "failed", error: result.error, durationMs },
    );
    return result;
  }

  /** Recorded invocations, oldest first, optionally of one function. */
  invocations(functionName?: string): InvocationRecord[] {
    const { store } = this.options;
    return functionName
      ? store.list<InvocationRecord>(invocationKind(functionName))
      : store.listByKindPrefix<InvocationRecord>(`${INVOCATION_KIND}/`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.instances.values()].flat();
    this.instances.clear();
    for (const instance of all) {
      if (instance.pending) this.settle(instance, failure("Lambda.ServiceException", "The local runtime stopped"));
    }
    await Promise.all(all.map((i) => i.worker.terminate()));
    for (const log of this.logs.values()) log.end();
  }

  private save(record: InvocationRecord): void {
    if (!this.stopped) this.options.store.put(invocationKind(record.functionName), record.requestId, record);
  }

  private async acquire(fn: FunctionConfig): Promise<Instance> {
    const pool = this.instances.get(fn.key) ?? [];
    this.instances.set(fn.key, pool);
    const idle = pool.find((i) => !i.pending && i.ready);
    if (idle) {
      idle.ready = false;
      return idle;
    }
    if (pool.length < (this.options.maxInstances ?? 4)) {
      const instance = this.spawn(fn);
      instance.ready = false;
      pool.push(instance);
      return instance;
    }
    await new Promise<void>((resolve) => {
      const queue = this.queues.get(fn.key) ?? [];
      queue.push(resolve);
      this.queues.set(fn.key, queue);
    });
    return this.acquire(fn);
  }

  private release(fn: FunctionConfig, instance: Instance): void {
    instance.ready = true;
    this.queues.get(fn.key)?.shift()?.();
  }

  private spawn(fn: FunctionConfig): Instance {
    const env = this.environmentOf(fn);
    // Each instance its own copy of the layer, as each Lambda instance has its own /opt and /tmp: a CLI configuration
    // one instance built never stands in for another's.
    if (this.options.layerDir && env.CLOUDHSM_CLI_PATH === this.cliPath) {
      env.CLOUDHSM_CLI_PATH = installCliLayer(join(this.options.layerDir, `${fn.key}-${randomUUID().slice(0, 8)}`));
    }
    const worker = new Worker(join(__dirname, "lambda-worker.cjs"), {
      env,
      workerData: {
        modulePath: fn.modulePath,
        exportName: fn.exportName,
        functionName: fn.name,
        functionArn: fn.arn,
        memorySize: fn.memorySize,
        clockOffset: this.options.clock.shared,
        logStreamName: `${new Date(this.options.clock.now()).toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]${randomUUID().replace(/-/g, "")}`,
      },
      stdout: true,
      stderr: true,
    });
    const log = this.logFor(fn);
    worker.stdout.pipe(log, { end: false });
    worker.stderr.pipe(log, { end: false });
    const instance: Instance = { worker, ready: true };
    worker.on("message", (msg: { requestId: string; ok: boolean; result?: unknown; error?: LambdaError }) => {
      if (instance.pending?.requestId !== msg.requestId) return;
      this.settle(
        instance,
        msg.ok ? { ok: true, result: msg.result } : { ok: false, error: msg.error ?? failure("Error", "").error },
      );
    });
    // An uncaught error or an exit kills the instance, as it kills a Lambda sandbox; the next invocation starts cold.
    worker.on("error", (error: Error) => {
      this.retire(fn, instance);
      this.settle(
        instance,
        failure(`Runtime.${error.name === "Error" ? "UnhandledPromiseRejection" : error.name}`, error.message),
      );
    });
    worker.on("exit", (code) => {
      this.retire(fn, instance);
      this.settle(
        instance,
        failure(
          "Runtime.ExitError",
          `RequestId: ${instance.pending?.requestId} Error: Runtime exited with error: exit status ${code}`,
        ),
      );
    });
    return instance;
  }

  private timeOut(fn: FunctionConfig, instance: Instance): void {
    const requestId = instance.pending?.requestId;
    this.settle(
      instance,
      failure(
        "Sandbox.Timedout",
        `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
      ),
    );
    this.retire(fn, instance);
    void instance.worker.terminate();
  }

  private settle(instance: Instance, result: InvokeResult): void {
    const pending = instance.pending;
    if (!pending) return;
    instance.pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve(result);
  }

  private retire(fn: FunctionConfig, instance: Instance): void {
    const pool = this.instances.get(fn.key);
    if (pool?.includes(instance)) pool.splice(pool.indexOf(instance), 1);
    this.queues.get(fn.key)?.shift()?.();
  }

  private logFor(fn: FunctionConfig): WriteStream {
    let log = this.logs.get(fn.key);
    if (!log) {
      log = createWriteStream(join(this.options.logDir, `${fn.name}.log`), { flags: "a" });
      this.logs.set(fn.key, log);
    }
    return log;
  }
}

function failure(errorType: string, errorMessage: string): { ok: false; error: LambdaError } {
  return { ok: false, error: { errorType, errorMessage, trace: [] } };
}
