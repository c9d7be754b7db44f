import type { RunningExecution } from "./ports/executions";

/**
 * Of the RUNNING executions for the same thing, one that goes before `self`: started earlier, or in the same
 * millisecond with a smaller ARN, so two executions that look at once agree on which one goes on. When `self` is not
 * listed (not yet visible: ListExecutions is eventually consistent), any other goes before it.
 */
export function earlierThan<E extends RunningExecution>(running: E[], selfArn: string): E | undefined {
  const mine = running.find((e) => e.executionArn === selfArn);
  return running.find(
    (e) =>
      e.executionArn !== selfArn &&
      (!mine || e.startDate < mine.startDate || (e.startDate === mine.startDate && e.executionArn < selfArn)),
  );
}
