import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
} from "@aws-sdk/client-sfn";
import { JSONPath } from "jsonpath-plus";
import type { SfnPort } from "../src/adapters/clients/types";
import { formatElapsed, type Progress } from "./progress";
import { redactText } from "./redact";

export type ExecutionOutcome = {
  executionArn: string;
  status: string;
  startDate?: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
};

type State = Record<string, unknown>;

/** Finds a state by name in a definition, also inside Parallel branches and Map processors. */
export function findState(definition: State, name: string): State | undefined {
  const states = (definition.States ?? {}) as Record<string, State>;
  if (states[name]) return states[name];
  for (const state of Object.values(states)) {
    const nested = [
      ...((state.Branches ?? []) as State[]),
      ...[state.ItemProcessor, state.Iterator].filter((p): p is State => p !== undefined && p !== null),
    ];
    for (const inner of nested) {
      const found = findState(inner, name);
      if (found) return found;
    }
  }
  return undefined;
}

/** When a Wait state entered at `entered` with `input` ends, or undefined when the definition cannot say. */
export function waitEnd(state: State | undefined, input: unknown, entered: number): number | undefined {
  if (!state) return undefined;
  if (typeof state.Seconds === "number") return entered + state.Seconds * 1000;
  if (typeof state.Timestamp === "string") return Date.parse(state.Timestamp);
  const path = (state.SecondsPath ?? state.TimestampPath) as string | undefined;
  if (path === undefined) return undefined;
  const value: unknown =
    input !== null && typeof input === "object" ? JSONPath({ path, json: input, wrap: false }) : undefined;
  if (state.SecondsPath !== undefined && typeof value === "number") return entered + value * 1000;
  if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  return undefined;
}

const FAILED_TYPES = new Set([
  "LambdaFunctionFailed",
  "LambdaFunctionTimedOut",
  "LambdaFunctionStartFailed",
  "LambdaFunctionScheduleFailed",
  "TaskFailed",
  "TaskTimedOut",
  "TaskStartFailed",
  "TaskSubmitFailed",
]);
const SCHEDULED_TYPES = new Set(["LambdaFunctionScheduled", "TaskScheduled"]);
/** States worth an "exited" line: they take time. Choice and Pass are instant. */
const TIMED_STATES = new Set(["Task", "Wait", "Map", "Parallel"]);

function failureOf(event: HistoryEvent): { error?: string; cause?: string } {
  const details = Object.entries(event).find(([key]) => key.endsWith("EventDetails"))?.[1] as
    | { error?: string; cause?: string }
    | undefined;
  return { ...(details?.error ? { error: details.error } : {}), ...(details?.cause ? { cause: details.cause } : {}) };
}

/**
 * A duration as `clock advance` reads it, rounded up to a readable unit: whole hours past a day, whole minutes past
 * an hour, else seconds (`8d`, `2h30m`, `90s`). Advancing a little past a wait's end is harmless.
 */
export function durationText(ms: number): string {
  const unit = ms >= 86_400_000 ? 3_600_000 : ms >= 3_600_000 ? 60_000 : 1000;
  let rest = Math.ceil(ms / unit) * unit;
  const parts: string[] = [];
  for (const [suffix, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${suffix}`);
      rest %= size;
    }
  }
  return parts.join("") || "1s";
}

/** A Lambda failure's Cause is its `{errorType, errorMessage, trace}`: the message is what a reader needs. */
function causeText(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === "string") return parsed.errorMessage;
  } catch {
    // Not JSON: the cause as it is.
  }
  return cause;
}

function shorten(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Turns execution history events into progress: each state entered and left, each failed attempt and retry, each
 * wait with its end time. Holds the little state this needs (current state, attempts, last error per state).
 */
export class HistoryRenderer {
  private current?: { name: string; type: string; entered: number };
  private readonly attempts = new Map<string, number>();
  private readonly lastError = new Map<string, string>();
  /** States whose latest attempt failed: leaving them means a Catch took over. */
  private readonly failedLast = new Set<string>();

  constructor(
    private readonly progress: Pick<Progress, "line" | "status">,
    private readonly options: { definition?: State; simulated: boolean },
  ) {}

  render(event: HistoryEvent): void {
    const type = event.type ?? "";
    const at = event.timestamp ? new Date(event.timestamp).getTime() : Date.now();
    if (type.endsWith("StateEntered")) {
      const name = event.stateEnteredEventDetails?.name ?? "?";
      const stateType = type.slice(0, -"StateEntered".length);
      this.current = { name, type: stateType, entered: at };
      this.attempts.set(name, 0);
      this.failedLast.delete(name);
      if (stateType === "Wait") {
        this.renderWait(name, event.stateEnteredEventDetails?.input, at);
        return;
      }
      this.progress.line(`→ ${name}`);
      this.progress.status(name);
      return;
    }
    if (type.endsWith("StateExited")) {
      const name = event.stateExitedEventDetails?.name ?? "?";
      const stateType = type.slice(0, -"StateExited".length);
      if (TIMED_STATES.has(stateType)) {
        const took = this.current?.name === name ? formatElapsed(at - this.current.entered) : "";
        const clock = this.options.simulated && stateType === "Wait" ? " simulated" : "";
        const timing = took ? ` (${took}${clock})` : "";
        const caught = this.failedLast.has(name) ? this.lastError.get(name) : undefined;
        this.progress.line(caught ? `↪ ${name}: caught ${caught}${timing}` : `✓ ${name}${timing}`);
      }
      return;
    }
    const state = this.current?.name ?? "?";
    if (SCHEDULED_TYPES.has(type)) {
      const attempt = (this.attempts.get(state) ?? 0) + 1;
      this.attempts.set(state, attempt);
      this.failedLast.delete(state);
      if (attempt > 1) {
        const after = this.lastError.get(state);
        this.progress.line(`↻ ${state}: retry ${attempt - 1}${after ? ` after ${after}` : ""}`);
        this.progress.status(`${state} (retry ${attempt - 1})`);
      }
      return;
    }
    if (FAILED_TYPES.has(type)) {
      const { error, cause } = failureOf(event);
      const label = error ?? type;
      this.lastError.set(state, label);
      this.failedLast.add(state);
      this.progress.line(`✗ ${state}: ${label}${cause ? ` — ${shorten(redactText(causeText(cause)))}` : ""}`);
      return;
    }
    if (type === "ExecutionRedriven") {
      this.progress.line("↺ the local account restarted: the execution runs again from the start");
    }
  }

  private renderWait(name: string, input: string | undefined, entered: number): void {
    let parsed: unknown;
    try {
      parsed = input === undefined ? undefined : JSON.parse(input);
    } catch {
      parsed = undefined;
    }
    const definition = this.options.definition;
    const end = waitEnd(definition ? findState(definition, name) : undefined, parsed, entered);
    const simulated = this.options.simulated ? " (simulated)" : "";
    const until = end === undefined ? "" : ` until ${new Date(end).toISOString()}${simulated}`;
    const hint =
      this.options.simulated && end !== undefined && end > entered
        ? `; to skip ahead: keystore-autopilot clock advance ${durationText(end - entered)}`
        : "";
    this.progress.line(`⏳ ${name}: waiting${until}${hint}`);
    this.progress.status(`${name}: waiting${until}`);
  }
}

/** Every history event after `afterId`, following nextToken through all pages. */
export async function historyAfter(sfn: SfnPort, executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    events.push(...(page.events ?? []).filter((e) => (e.id ?? 0) > afterId));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * Follows an execution to its end: polls DescribeExecution and GetExecutionHistory, renders every new history
 * event, and returns the final description (status, output or error and cause).
 */
export async function followExecution(
  sfn: SfnPort,
  executionArn: string,
  progress: Pick<Progress, "line" | "status">,
  options: { simulated: boolean; pollMs: number; sleep?: (ms: number) => Promise<void> },
): Promise<ExecutionOutcome> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const first = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  let definition: State | undefined;
  try {
    const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: first.stateMachineArn }));
    definition = JSON.parse(machine.definition ?? "{}") as State;
  } catch {
    definition = undefined; // Waits are then shown without their end time.
  }
  const renderer = new HistoryRenderer(progress, { definition, simulated: options.simulated });
  let lastId = 0;
  progress.status("starting");
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    for (const event of await historyAfter(sfn, executionArn, lastId)) {
      renderer.render(event);
      lastId = Math.max(lastId, event.id ?? 0);
    }
    if (described.status && described.status !== "RUNNING" && described.status !== "PENDING_REDRIVE") {
      return {
        executionArn,
        status: described.status,
        ...(described.startDate ? { startDate: described.startDate } : {}),
        ...(described.stopDate ? { stopDate: described.stopDate } : {}),
        ...(described.output !== undefined ? { output: described.output } : {}),
        ...(described.error !== undefined ? { error: described.error } : {}),
        ...(described.cause !== undefined ? { cause: described.cause } : {}),
      };
    }
    await sleep(options.pollMs);
  }
}
