/**
 * Prepares a committed ASL definition for aws-local-stepfunctions without changing what it means:
 *
 * - every `Wait` state (also inside Map and Parallel) becomes a `Task` on the local resource WAIT_RESOURCE, so the
 *   runtime waits on the simulated clock (InputPath/OutputPath kept; the input passes through unchanged); the history
 *   still reports WaitStateEntered/WaitStateExited under the original name;
 * - every Task's `TimeoutSeconds`/`HeartbeatSeconds` (and `…Path`) move to the runtime, which enforces them on the
 *   simulated clock (the library would use real time and a 60-second default AWS does not have); the library gets a
 *   timeout it never reaches;
 * - every Task's `Parameters` are wrapped as `{payload: <Parameters or $>, "ctx.$": "$$"}`, so the handler gets the
 *   effective parameters plus the context object of its (sub-)execution, whose identity tells Map iterations apart;
 *   `"X.$": "$$.Task.Token"` becomes a placeholder the runtime fills with a real task token;
 * - the top-level `TimeoutSeconds` moves to the runtime (simulated clock).
 */

export const WAIT_RESOURCE = "arn:aws:states:::local:wait";
export const TASK_TOKEN_PLACEHOLDER = "__LOCAL_STEP_FUNCTIONS_TASK_TOKEN__";
/** Below setTimeout's 2^31-1 ms ceiling; the runtime enforces the real TimeoutSeconds. */
const LIBRARY_TIMEOUT_SECONDS = 2_147_483;

export type Retrier = {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
};

export type TaskMeta = {
  name: string;
  kind: "task" | "wait";
  resource: string;
  retry: Retrier[];
  timeoutSeconds?: number;
  timeoutSecondsPath?: string;
  heartbeatSeconds?: number;
  heartbeatSecondsPath?: string;
  wait?: { Seconds?: number; Timestamp?: string; SecondsPath?: string; TimestampPath?: string };
};

export type PreparedDefinition = {
  definition: Record<string, unknown>;
  /** Every state by name (names are unique across the whole machine) with its original type. */
  types: Map<string, string>;
  tasks: Map<string, TaskMeta>;
  timeoutSeconds?: number;
};

type State = Record<string, unknown>;

export function prepareDefinition(original: Record<string, unknown>): PreparedDefinition {
  const types = new Map<string, string>();
  const tasks = new Map<string, TaskMeta>();
  if (original.QueryLanguage === "JSONata") {
    throw new Error("JSONata state machines are not supported by the local runtime (aws-local-stepfunctions)");
  }
  const rewriteMachine = (machine: Record<string, unknown>): Record<string, unknown> => {
    const states = (machine.States ?? {}) as Record<string, State>;
    const out: Record<string, State> = {};
    for (const [name, state] of Object.entries(states)) {
      if (types.has(name)) throw new Error(`State name '${name}' is used twice; ASL state names must be unique`);
      types.set(name, String(state.Type));
      out[name] = rewriteState(name, state);
    }
    return { ...machine, States: out };
  };
  const rewriteState = (name: string, state: State): State => {
    switch (state.Type) {
      case "Wait": {
        const { Seconds, Timestamp, SecondsPath, TimestampPath, Type: _type, ...rest } = state;
        tasks.set(name, {
          name,
          kind: "wait",
          resource: WAIT_RESOURCE,
          retry: [],
          wait: { Seconds, Timestamp, SecondsPath, TimestampPath } as TaskMeta["wait"],
        });
        return {
          ...rest,
          Type: "Task",
          Resource: WAIT_RESOURCE,
          Parameters: { "payload.$": "$", "ctx.$": "$$" },
          TimeoutSeconds: LIBRARY_TIMEOUT_SECONDS,
        };
      }
      case "Task": {
        const {
          TimeoutSeconds,
          TimeoutSecondsPath,
          HeartbeatSeconds,
          HeartbeatSecondsPath,
          Credentials: _credentials,
          ...rest
        } = state;
        if (typeof state.Resource !== "string") throw new Error(`State '${name}' has no string Resource`);
        tasks.set(name, {
          name,
          kind: "task",
          resource: state.Resource,
          retry: (state.Retry as Retrier[] | undefined) ?? [],
          ...(typeof TimeoutSeconds === "number" ? { timeoutSeconds: TimeoutSeconds } : {}),
          ...(typeof TimeoutSecondsPath === "string" ? { timeoutSecondsPath: TimeoutSecondsPath } : {}),
          ...(typeof HeartbeatSeconds === "number" ? { heartbeatSeconds: HeartbeatSeconds } : {}),
          ...(typeof HeartbeatSecondsPath === "string" ? { heartbeatSecondsPath: HeartbeatSecondsPath } : {}),
        });
        const payload =
          "Parameters" in state ? { payload: withTokenPlaceholder(state.Parameters) } : { "payload.$": "$" };
        // …SecondsPath fields select from the state's input, which Parameters would otherwise hide from the runtime.
        const input = TimeoutSecondsPath !== undefined || HeartbeatSecondsPath !== undefined ? { "input.$": "$" } : {};
        return {
          ...rest,
          Parameters: { ...payload, ...input, "ctx.$": "$$" },
          TimeoutSeconds: LIBRARY_TIMEOUT_SECONDS,
        };
      }
      case "Map": {
        const processor = (state.ItemProcessor ?? state.Iterator) as Record<string, unknown> | undefined;
        if (!processor) return state;
        const mode = (processor.ProcessorConfig as { Mode?: string } | undefined)?.Mode;
        if (mode === "DISTRIBUTED") throw new Error(`Map state '${name}': distributed maps are not supported locally`);
        const key = state.ItemProcessor ? "ItemProcessor" : "Iterator";
        return { ...state, [key]: rewriteMachine(processor) };
      }
      case "Parallel":
        return { ...state, Branches: ((state.Branches ?? []) as Record<string, unknown>[]).map(rewriteMachine) };
      default:
        return state;
    }
  };
  const { TimeoutSeconds, ...top } = original;
  const definition = rewriteMachine(top);
  return {
    definition,
    types,
    tasks,
    ...(typeof TimeoutSeconds === "number" ? { timeoutSeconds: TimeoutSeconds } : {}),
  };
}

function withTokenPlaceholder(template: unknown): unknown {
  if (Array.isArray(template)) return template.map(withTokenPlaceholder);
  if (template === null || typeof template !== "object") return template;
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) =>
      key.endsWith(".$") && value === "$$.Task.Token"
        ? [key.slice(0, -2), TASK_TOKEN_PLACEHOLDER]
        : [key, withTokenPlaceholder(value)],
    ),
  );
}

/** Replaces the token placeholder in an evaluated payload. */
export function fillTaskToken(payload: unknown, token: string): unknown {
  if (payload === TASK_TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(payload)) return payload.map((v) => fillTaskToken(v, token));
  if (payload === null || typeof payload !== "object") return payload;
  return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, fillTaskToken(v, token)]));
}
