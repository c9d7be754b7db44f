import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from "@aws-sdk/client-sfn";

/** Port: the Step Functions calls the steps make. */
export type SfnPort = Pick<SFNClient, "send">;

/** The RUNNING execution of this state machine for `customKeyStoreId`, other than `self`, that started first. */
export async function runningFor(
  sfn: SfnPort,
  stateMachineArn: string,
  customKeyStoreId: string,
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
        id = (JSON.parse(described.input ?? "{}") as { customKeyStoreId?: unknown }).customKeyStoreId;
      } catch {
        id = undefined;
      }
      if (id === customKeyStoreId && described.status === "RUNNING") {
        found.push({ executionArn: e.executionArn, startDate: new Date(e.startDate ?? 0).getTime() });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}
