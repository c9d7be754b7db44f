import { setTimeout as setTimeoutPromise } from "node:timers/promises";
import { fillTaskToken } from "./asl-rewrite";
import type { LambdaHost } from "./lambda-host";
import type { SimClock } from "./sim-clock";
import { statesRuntime, statesTimeout, TaskFailure } from "./task-errors";

/**
 * The Task resources the workflows use, bound to real behaviour on the local account:
 * - Lambda ARNs (`Fn::GetAtt [fn, Arn]`) and `arn:aws:states:::lambda:invoke` run our handlers in the Lambda host;
 * - `arn:aws:states:::aws-sdk:<service>:<action>` call the local account over its wire protocol (errors named
 *   `<ServicePrefix>.<Exception>`, e.g. `Kms.CustomKeyStoreInvalidStateException`, as AWS names them);
 * - `arn:aws:states:::states:startExecution[.sync|.sync:2]` start (and wait for) nested executions;
 * - `arn:aws:states:::events:putEvents` puts events on the local bus;
 * - `.waitForTaskToken` on any of them waits for SendTaskSuccess/SendTaskFailure (heartbeats honoured).
 * Task timeouts: a request-response Task (a Lambda invocation, an SDK call, putEvents) times out on real time, as its
 * work runs in real time here: "Lambda runs your code for a set amount of time before timing out"
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html), so a clock advance during a call cannot
 * time it out. `.sync` and `.waitForTaskToken` Tasks wait for work that runs on the simulated clock (a child's waits,
 * AWS-side durations, an operator), so their timeouts and heartbeats run on the simulated clock.
 */

export type ExecutionSummary = {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
};

export type IntegrationDeps = {
  region: string;
  endpoint: string;
  sim: SimClock;
  lambda: LambdaHost;
  startExecution(request: { stateMachineArn: string; name?: string; input: string }): {
    executionArn: string;
    startDate: number;
  };
  waitForClose(executionArn: string, signal: AbortSignal): Promise<ExecutionSummary>;
  stopExecution(executionArn: string, error: string, cause: string): void;
  putEvents(entries: unknown[]): { Entries: unknown[]; FailedEntryCount: number };
  newTaskToken(executionArn: string, stateName: string): string;
  awaitTaskToken(token: string, heartbeatSeconds: number | undefined, signal: AbortSignal): Promise<unknown>;
};

export type TaskCall = {
  executionArn: string;
  stateName: string;
  resource: string;
  payload: unknown;
  signal: AbortSignal;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  record: (type: string, details?: Record<string, unknown>) => void;
};

type Pattern = "request" | "sync" | "sync:2" | "token";
type Parsed =
  | { kind: "lambda-direct"; arn: string }
  | { kind: "lambda" | "states" | "events"; resourceType: string; resource: string; pattern: Pattern }
  | { kind: "aws-sdk"; resourceType: string; resource: string; pattern: Pattern; service: string; action: string };

/** The AWS SDK integrations the local account serves: X-Amz-Target prefix, JSON version, error prefix. */
const SDK_SERVICES: Record<string, { target: string; version: string; prefix: string; camelWire?: boolean }> = {
  kms: { target: "TrentService", version: "1.1", prefix: "Kms" },
  cloudhsmv2: { target: "BaldrApiService", version: "1.1", prefix: "CloudHsmV2" },
  sfn: { target: "AWSStepFunctions", version: "1.0", prefix: "Sfn", camelWire: true },
  eventbridge: { target: "AWSEvents", version: "1.1", prefix: "EventBridge" },
  secretsmanager: { target: "secretsmanager", version: "1.1", prefix: "SecretsManager" },
};

const LAMBDA_ARN = /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:(\$LATEST|[A-Za-z0-9_-]+))?$/;
const STATES_ARN =
  /^arn:aws:states:::([a-z0-9-]+):([A-Za-z0-9]+)(?::([A-Za-z0-9]+))?(?:\.(sync:2|sync|waitForTaskToken))?$/;

/** Parses a Task resource; throws a message naming the resource when the local runtime cannot run it. */
export function parseResource(resource: string): Parsed {
  if (LAMBDA_ARN.test(resource)) return { kind: "lambda-direct", arn: resource };
  const m = STATES_ARN.exec(resource);
  if (m) {
    const [, first = "", second = "", third, suffix] = m;
    const pattern: Pattern = suffix === "waitForTaskToken" ? "token" : ((suffix ?? "request") as Pattern);
    const resourceName = (name: string) => (suffix ? `${name}.${suffix}` : name);
    if (first === "aws-sdk" && third) {
      if (!SDK_SERVICES[second]) {
        throw new Error(
          `${resource}: the local account does not serve '${second}' (it serves ${Object.keys(SDK_SERVICES).join(", ")})`,
        );
      }
      return {
        kind: "aws-sdk",
        resourceType: `aws-sdk:${second}`,
        resource: resourceName(third),
        pattern,
        service: second,
        action: third,
      };
    }
    if (first === "lambda" && second === "invoke" && !third && pattern !== "sync" && pattern !== "sync:2") {
      return { kind: "lambda", resourceType: "lambda", resource: resourceName("invoke"), pattern };
    }
    if (first === "states" && second === "startExecution" && !third) {
      return { kind: "states", resourceType: "states", resource: resourceName("startExecution"), pattern };
    }
    if (first === "events" && second === "putEvents" && !third && pattern !== "sync" && pattern !== "sync:2") {
      return { kind: "events", resourceType: "events", resource: resourceName("putEvents"), pattern };
    }
  }
  throw new Error(`Task resource ${resource} is not supported by the local runtime`);
}

/** Runs one attempt of a Task, recording its history events; throws TaskFailure (or States.Timeout) on failure. */
export async function runTask(deps: IntegrationDeps, call: TaskCall): Promise<unknown> {
  let parsed: Parsed;
  try {
    parsed = parseResource(call.resource);
  } catch (error: unknown) {
    throw statesRuntime(error instanceof Error ? error.message : String(error));
  }
  const token =
    parsed.kind !== "lambda-direct" && parsed.pattern === "token"
      ? deps.newTaskToken(call.executionArn, call.stateName)
      : undefined;
  const payload = token ? fillTaskToken(call.payload, token) : call.payload;
  const direct = parsed.kind === "lambda-direct";
  const meta =
    parsed.kind === "lambda-direct" ? undefined : { resourceType: parsed.resourceType, resource: parsed.resource };
  const text = JSON.stringify(payload ?? null);
  if (parsed.kind === "lambda-direct") {
    call.record("LambdaFunctionScheduled", {
      lambdaFunctionScheduledEventDetails: {
        resource: parsed.arn,
        input: text,
        inputDetails: { truncated: false },
        ...(call.timeoutSeconds ? { timeoutInSeconds: call.timeoutSeconds } : {}),
      },
    });
    call.record("LambdaFunctionStarted");
  } else {
    call.record("TaskScheduled", {
      taskScheduledEventDetails: {
        ...meta,
        region: deps.region,
        parameters: text,
        ...(call.timeoutSeconds ? { timeoutInSeconds: call.timeoutSeconds } : {}),
        ...(call.heartbeatSeconds ? { heartbeatInSeconds: call.heartbeatSeconds } : {}),
      },
    });
    call.record("TaskStarted", { taskStartedEventDetails: meta });
  }

  const attempt = new AbortController();
  const signal = AbortSignal.any([call.signal, attempt.signal]);
  try {
    const work = perform(deps, parsed, payload, call, signal, token);
    const realTime = parsed.kind === "lambda-direct" || parsed.pattern === "request";
    const output = call.timeoutSeconds
      ? await Promise.race([work, timeoutAfter(realTime ? undefined : deps.sim, call.timeoutSeconds, signal)])
      : await work;
    const outputText = JSON.stringify(output ?? null);
    if (direct) {
      call.record("LambdaFunctionSucceeded", {
        lambdaFunctionSucceededEventDetails: { output: outputText, outputDetails: { truncated: false } },
      });
    } else {
      call.record("TaskSucceeded", {
        taskSucceededEventDetails: { ...meta, output: outputText, outputDetails: { truncated: false } },
      });
    }
    return output;
  } catch (error: unknown) {
    if (signal.aborted && call.signal.aborted) throw error;
    const e = error instanceof Error ? error : new TaskFailure("States.TaskFailed", String(error));
    const timedOut = e.name === "States.Timeout" || e.name === "States.HeartbeatTimeout";
    const details = { error: e.name, cause: e.message };
    if (direct) {
      call.record(timedOut ? "LambdaFunctionTimedOut" : "LambdaFunctionFailed", {
        [timedOut ? "lambdaFunctionTimedOutEventDetails" : "lambdaFunctionFailedEventDetails"]: details,
      });
    } else {
      call.record(timedOut ? "TaskTimedOut" : "TaskFailed", {
        [timedOut ? "taskTimedOutEventDetails" : "taskFailedEventDetails"]: { ...meta, ...details },
      });
    }
    throw e;
  } finally {
    attempt.abort();
  }
}

/** Fails with States.Timeout after `seconds` of simulated time, or of real time when no simulated clock is given. */
function timeoutAfter(sim: SimClock | undefined, seconds: number, signal: AbortSignal): Promise<never> {
  const elapsed = sim ? sim.sleep(seconds * 1000, signal) : setTimeoutPromise(seconds * 1000, undefined, { signal });
  return elapsed.then(
    () => {
      throw statesTimeout(`The task did not finish within ${seconds} seconds (${sim ? "simulated" : "real"} time)`);
    },
    // Aborted: the attempt is over anyway; never settle, so nothing is left unhandled.
    () => new Promise<never>(() => {}),
  );
}

async function perform(
  deps: IntegrationDeps,
  parsed: Parsed,
  payload: unknown,
  call: TaskCall,
  signal: AbortSignal,
  token: string | undefined,
): Promise<unknown> {
  const base = await performBase(deps, parsed, payload, call, signal);
  if (parsed.kind === "lambda-direct" || parsed.pattern === "request") return base;
  const meta = { resourceType: parsed.resourceType, resource: parsed.resource };
  call.record("TaskSubmitted", {
    taskSubmittedEventDetails: { ...meta, output: JSON.stringify(base ?? null), outputDetails: { truncated: false } },
  });
  if (parsed.pattern === "token" && token) return deps.awaitTaskToken(token, call.heartbeatSeconds, signal);
  // .sync / .sync:2 on states:startExecution: wait for the child and report it as DescribeExecution does.
  const { ExecutionArn } = base as { ExecutionArn: string };
  const onAbort = () => deps.stopExecution(ExecutionArn, "States.Aborted", "The parent execution stopped");
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const child = await deps.waitForClose(ExecutionArn, signal);
    const described = describeChild(child, parsed.pattern === "sync:2");
    if (child.status !== "SUCCEEDED") throw new TaskFailure("States.TaskFailed", JSON.stringify(described));
    return described;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function describeChild(child: ExecutionSummary, parsedJson: boolean): Record<string, unknown> {
  const json = (text: string | undefined) => (text === undefined ? undefined : parsedJson ? JSON.parse(text) : text);
  return {
    ExecutionArn: child.executionArn,
    StateMachineArn: child.stateMachineArn,
    Name: child.name,
    Status: child.status,
    StartDate: child.startDate,
    ...(child.stopDate !== undefined ? { StopDate: child.stopDate } : {}),
    Input: json(child.input),
    InputDetails: { Included: true },
    ...(child.output !== undefined ? { Output: json(child.output), OutputDetails: { Included: true } } : {}),
    ...(child.error !== undefined ? { Error: child.error } : {}),
    ...(child.cause !== undefined ? { Cause: child.cause } : {}),
  };
}

async function performBase(
  deps: IntegrationDeps,
  parsed: Parsed,
  payload: unknown,
  call: TaskCall,
  signal: AbortSignal,
): Promise<unknown> {
  const p = (payload ?? {}) as Record<string, unknown>;
  switch (parsed.kind) {
    case "lambda-direct":
      return invokeLambda(deps, parsed.arn, payload, call, false);
    case "lambda": {
      if (typeof p.FunctionName !== "string") throw statesRuntime("lambda:invoke needs Parameters.FunctionName");
      const async = p.InvocationType === "Event";
      const run = invokeLambda(deps, p.FunctionName, p.Payload ?? {}, call, true);
      if (async) {
        run.catch(() => {});
        return { StatusCode: 202, Payload: "" };
      }
      return run;
    }
    case "aws-sdk":
      return callSdk(deps.endpoint, parsed.service, parsed.action, payload, signal);
    case "states": {
      if (typeof p.StateMachineArn !== "string") throw statesRuntime("states:startExecution needs StateMachineArn");
      const input = p.Input === undefined ? "{}" : typeof p.Input === "string" ? p.Input : JSON.stringify(p.Input);
      try {
        const started = deps.startExecution({
          stateMachineArn: p.StateMachineArn,
          input,
          ...(typeof p.Name === "string" ? { name: p.Name } : {}),
        });
        return { ExecutionArn: started.executionArn, StartDate: started.startDate };
      } catch (error: unknown) {
        const code = (error as { code?: string }).code ?? "States.TaskFailed";
        throw new TaskFailure(
          `Sfn.${code.endsWith("Exception") ? code : `${code}Exception`}`,
          (error as Error).message,
        );
      }
    }
    case "events": {
      const out = deps.putEvents(Array.isArray(p.Entries) ? p.Entries : []);
      if (out.FailedEntryCount > 0) throw new TaskFailure("EventBridge.FailedEntry", JSON.stringify(out));
      return out;
    }
  }
}

async function invokeLambda(
  deps: IntegrationDeps,
  ref: string,
  payload: unknown,
  call: TaskCall,
  wrapped: boolean,
): Promise<unknown> {
  const fn = deps.lambda.resolve(ref);
  if (!fn) {
    throw new TaskFailure(
      "Lambda.ResourceNotFoundException",
      `Function not found: ${ref} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException)`,
    );
  }
  const out = await deps.lambda.invoke(fn, payload, {
    source: "states",
    executionArn: call.executionArn,
    state: call.stateName,
  });
  if (!out.ok) {
    // As AWS reports a function error: Error is the errorType, Cause the function's error payload.
    throw new TaskFailure(out.error.errorType, JSON.stringify(out.error));
  }
  if (!wrapped) return out.result;
  return {
    ExecutedVersion: "$LATEST",
    Payload: out.result,
    SdkHttpMetadata: { HttpStatusCode: 200 },
    SdkResponseMetadata: {},
    StatusCode: 200,
  };
}

/** An AWS SDK integration call against the local account's wire protocol. */
export async function callSdk(
  endpoint: string,
  service: string,
  action: string,
  payload: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  const svc = SDK_SERVICES[service];
  if (!svc) throw statesRuntime(`The local account does not serve ${service}`);
  const operation = action.charAt(0).toUpperCase() + action.slice(1);
  const body = svc.camelWire ? recase(payload ?? {}, lowerFirst) : (payload ?? {});
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": `application/x-amz-json-${svc.version}`,
        "x-amz-target": `${svc.target}.${operation}`,
      },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  } catch (error: unknown) {
    if (signal?.aborted) throw error;
    throw new TaskFailure(`${svc.prefix}.SdkClientException`, error instanceof Error ? error.message : String(error));
  }
  const json = (await res.json()) as Record<string, unknown>;
  if (res.ok) return svc.camelWire ? recase(json, upperFirst) : json;
  const type = String(json.__type ?? "UnknownError")
    .split("#")
    .pop() as string;
  const code = type.endsWith("Exception") ? type : `${type}Exception`;
  const message = String(json.message ?? json.Message ?? "");
  const requestId = res.headers.get("x-amzn-requestid") ?? "";
  throw new TaskFailure(
    `${svc.prefix}.${code}`,
    `${message} (Service: ${svc.prefix}, Status Code: ${res.status}, Request ID: ${requestId})`,
  );
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function recase(value: unknown, fn: (s: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => recase(v, fn));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [fn(k), recase(v, fn)]));
}
