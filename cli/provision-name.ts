import { ListExecutionsCommand } from "@aws-sdk/client-sfn";
import type { SfnPort } from "../src/adapters/clients/types";

/**
 * provision-key-store's execution name: `<keyStoreName>-r<n>`. While an attempt runs, starting again gives the same
 * name (Step Functions returns the running execution for the same name and input), so a duplicated start joins it;
 * after it ended, the next attempt gets the next number and resumes from what the cluster and key store are.
 */
export async function provisionExecutionName(sfn: SfnPort, stateMachineArn: string, input: unknown): Promise<string> {
  const keyStoreName = String((input as { keyStoreName?: unknown }).keyStoreName);
  const pattern = new RegExp(`^${keyStoreName.replace(/[.]/g, "\\.")}-r(\\d+)$`);
  let latest = 0;
  let running: string | undefined;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, nextToken }));
    for (const e of page.executions ?? []) {
      const attempt = Number(pattern.exec(e.name ?? "")?.[1] ?? 0);
      if (attempt > latest) latest = attempt;
      if (attempt > 0 && e.status === "RUNNING") running = e.name;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return running ?? `${keyStoreName}-r${latest + 1}`;
}
