import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import type { SfnPort } from "./ports/clients";

/**
 * StartExecution under a name that identifies what is started, so a redelivered event starts nothing twice. Step
 * Functions answers ExecutionAlreadyExists when an execution of that name already ran or runs with another input (a
 * running one with the same input is returned as is: StartExecution, Step Functions API Reference): either way the
 * work is already started, and `started` is false.
 */
export async function startOnce(
  sfn: SfnPort,
  request: { stateMachineArn: string; name: string; input: unknown },
): Promise<{ started: true; executionArn?: string } | { started: false }> {
  try {
    const out = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: request.stateMachineArn,
        name: request.name,
        input: JSON.stringify(request.input),
      }),
    );
    return { started: true, ...(out.executionArn ? { executionArn: out.executionArn } : {}) };
  } catch (error: unknown) {
    if ((error as Error).name === "ExecutionAlreadyExists") return { started: false };
    throw error;
  }
}

/** Which execution is asking, so a second one for the same thing can refuse instead of racing. */
export type ExecutionRef = { executionArn: string; stateMachineArn: string };

/**
 * Of the RUNNING executions for the same thing, one that goes before `self`: started earlier, or in the same
 * millisecond with a smaller ARN, so two executions that look at once agree on which one goes on. When `self` is not
 * listed (not yet visible: ListExecutions is eventually consistent), any other goes before it.
 */
export function earlierThan<E extends { executionArn: string; startDate: number }>(
  running: E[],
  selfArn: string,
): E | undefined {
  const mine = running.find((e) => e.executionArn === selfArn);
  return running.find(
    (e) =>
      e.executionArn !== selfArn &&
      (!mine || e.startDate < mine.startDate || (e.startDate === mine.startDate && e.executionArn < selfArn)),
  );
}

/**
 * The RUNNING executions of a state machine whose input has `value` in `field` (the key store id by default), with
 * their start dates, so the caller can tell which started first.
 */
export async function runningFor(
  sfn: SfnPort,
  stateMachineArn: string,
  value: string,
  field = "customKeyStoreId",
): Promise<{ executionArn: string; startDate: number }[]> {
  const found: { executionArn: string; startDate: number }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING", maxResults: 100, nextToken }),
    );
    for (const e of page.executions ?? []) {
      if (!e.executionArn) continue;
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      let id: unknown;
      try {
        id = (JSON.parse(described.input ?? "{}") as Record<string, unknown>)[field];
      } catch {
        id = undefined;
      }
      if (id === value && described.status === "RUNNING") {
        found.push({ executionArn: e.executionArn, startDate: new Date(e.startDate ?? 0).getTime() });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

/** An execution's whole history, oldest first, every page (GetExecutionHistory answers at most 1,000 events a call). */
export async function executionHistory(sfn: SfnPort, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}
