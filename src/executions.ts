import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from "@aws-sdk/client-sfn";

/** Port: the Step Functions calls the steps make. */
export type SfnPort = Pick<SFNClient, "send">;

/** Which execution is asking, so a second one for the same thing can refuse instead of racing. */
export type ExecutionRef = { executionArn: string; stateMachineArn: string };

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
