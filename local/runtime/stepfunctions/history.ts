import type { Store } from "../../account/store";

/**
 * Execution history as GetExecutionHistory returns it: ids counting from 1, each naming its predecessor, timestamps on
 * the simulated clock, event types and `…EventDetails` keys as AWS names them
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html).
 */
export type HistoryEvent = { id: number; previousEventId: number; timestamp: number; type: string } & Record<
  string,
  unknown
>;

/** An event still to be numbered: its type and details. */
export type HistoryEntry = [type: string, details?: Record<string, unknown>];

export type ClosedStatus = "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";
export type Outcome = { output?: string; error?: string; cause?: string };

const historyKind = (executionArn: string) => `sfn-history/${executionArn}`;
const pad = (n: number) => String(n).padStart(9, "0");

export function readHistory(store: Store, executionArn: string): HistoryEvent[] {
  return store.list<HistoryEvent>(historyKind(executionArn));
}

export function writeHistory(store: Store, executionArn: string, event: HistoryEvent): void {
  store.put(historyKind(executionArn), pad(event.id), event);
}

/** The event that closes an execution with `status`. */
export function closingEvent(status: ClosedStatus, outcome: Outcome): HistoryEntry {
  const type = {
    SUCCEEDED: "ExecutionSucceeded",
    FAILED: "ExecutionFailed",
    TIMED_OUT: "ExecutionTimedOut",
    ABORTED: "ExecutionAborted",
  }[status];
  const key = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
  if (status === "SUCCEEDED") return [type, { [key]: { output: outcome.output, outputDetails: { truncated: false } } }];
  return [
    type,
    {
      [key]: {
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
      },
    },
  ];
}

/** An entry of aws-local-stepfunctions' `eventLogs`. */
export type LibraryEvent = {
  type: string;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
};

/**
 * The AWS history events for one library event. `types` gives each state's type as written in the ASL, so a Wait the
 * runtime turned into a Task still reads `WaitStateEntered`.
 */
export function fromLibraryEvent(event: LibraryEvent, types: Map<string, string>): HistoryEntry[] {
  const state = event.state;
  const type = state ? (types.get(state.name) ?? state.type) : undefined;
  const nested = type === "Map" || type === "Parallel";
  const out: HistoryEntry[] = [];
  switch (event.type) {
    case "StateEntered":
      out.push([
        `${type}StateEntered`,
        {
          stateEnteredEventDetails: {
            name: state?.name,
            input: JSON.stringify(state?.input ?? null),
            inputDetails: { truncated: false },
          },
        },
      ]);
      if (nested) out.push([`${type}StateStarted`, type === "Map" ? { mapStateStartedEventDetails: {} } : {}]);
      break;
    case "StateExited":
      if (nested) out.push([`${type}StateSucceeded`]);
      out.push([
        `${type}StateExited`,
        {
          stateExitedEventDetails: {
            name: state?.name,
            output: JSON.stringify(state?.output ?? null),
            outputDetails: { truncated: false },
          },
        },
      ]);
      break;
    case "StateFailed":
      if (nested) out.push([`${type}StateFailed`]);
      break;
    case "MapIterationStarted":
    case "MapIterationSucceeded":
    case "MapIterationFailed": {
      const key = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`;
      out.push([event.type, { [key]: { name: event.parentState?.name, index: event.index } }]);
      break;
    }
    default:
      break;
  }
  return out;
}

/** GetExecutionHistory with `includeExecutionData: false`: the details without input, output or parameters. */
export function withoutData(event: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(event).map(([k, v]) => {
      if (!k.endsWith("EventDetails") || v === null || typeof v !== "object") return [k, v];
      const { input: _i, output: _o, parameters: _p, ...rest } = v as Record<string, unknown>;
      return [k, rest];
    }),
  );
}
