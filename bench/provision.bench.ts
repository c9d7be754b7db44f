import { randomBytes } from "node:crypto";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { subnetIdInZone } from "../local/account/cloudhsm/network";
import { CREDENTIALS, LocalAccountProcess } from "../local/account/process";
import { StepFunctionsExecutions } from "../src/adapters/executions";
import type { Figures } from "./run";
import { median, round } from "./stats";

const PROVISIONINGS = 3;
const MACHINES = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-";
const PROVISION = `${MACHINES}provisionKeyStore`;
const CONNECT = `${MACHINES}connectKeyStore`;
const IN_FLIGHT = new Set(["LambdaFunctionScheduled", "LambdaFunctionStarted", "TaskScheduled", "TaskStarted"]);

/**
 * provision-key-store on the local account (`npm start` in a child process): PROVISIONINGS fresh key stores from two
 * subnets, managed CA, to CONNECTED. Per provisioning, counting the provisioning and its nested connect execution:
 * state transitions, Lambda invocations, aws-sdk/integration tasks, simulated minutes and wall time. The first
 * provisioning also pays the Lambda workers' cold starts, so it is reported apart from the median of the others. The
 * simulated clock moves only while every running execution waits, as in the e2e tests.
 */
export async function provisionBench(): Promise<Figures> {
  const account = await LocalAccountProcess.start({ entry: "local/start.ts" });
  try {
    const sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS });
    const runs: { transitions: number; lambdas: number; tasks: number; simulatedMin: number; wallMs: number }[] = [];
    for (let i = 0; i < PROVISIONINGS; i++) {
      const keyStoreName = `bench-${randomBytes(3).toString("hex")}`;
      const started = Date.now();
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: PROVISION,
          name: `${keyStoreName}-r1`,
          input: JSON.stringify({ keyStoreName, subnetIds: [subnetIdInZone("a"), subnetIdInZone("b")] }),
        }),
      );
      const done = await drive(account, sfn, executionArn as string);
      const wallMs = Date.now() - started;
      if (done.status !== "SUCCEEDED") throw new Error(`${keyStoreName} ended ${done.status}: ${done.error}`);
      const { customKeyStoreId } = JSON.parse(done.output ?? "{}") as { customKeyStoreId: string };
      const nested = (
        (await sfn.send(new ListExecutionsCommand({ stateMachineArn: CONNECT, maxResults: 1000 }))).executions ?? []
      ).filter((e) => e.name?.startsWith(`${customKeyStoreId}-provision-`));
      const events = [await history(sfn, executionArn as string)];
      for (const e of nested) events.push(await history(sfn, e.executionArn as string));
      const all = events.flat();
      runs.push({
        transitions: all.filter((e) => e.type?.endsWith("StateEntered")).length,
        lambdas: all.filter((e) => e.type === "LambdaFunctionScheduled").length,
        tasks: all.filter((e) => e.type === "TaskScheduled").length,
        simulatedMin: ((done.stopDate?.getTime() ?? 0) - (done.startDate?.getTime() ?? 0)) / 60_000,
        wallMs,
      });
    }
    const warm = runs.slice(1);
    const pick = (key: keyof (typeof runs)[number]) => median(warm.map((r) => r[key]));
    return {
      provisionings: PROVISIONINGS,
      "state transitions per provisioning (incl. nested connect, median)": pick("transitions"),
      "Lambda invocations per provisioning (median)": pick("lambdas"),
      "SDK/integration tasks per provisioning (median)": pick("tasks"),
      "simulated minutes per provisioning (median)": round(pick("simulatedMin")),
      "wall time per provisioning, warm (ms, median)": Math.round(pick("wallMs")),
      "wall time of the first provisioning, cold workers (ms)": Math.round(runs[0]?.wallMs ?? 0),
    };
  } finally {
    await account.stop();
  }
}

async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  return new StepFunctionsExecutions(sfn).history(executionArn);
}

async function drive(account: LocalAccountProcess, sfn: SFNClient, executionArn: string) {
  for (let i = 0; i < 3000; i++) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== "RUNNING") return d;
    const lasts: string[] = [];
    for (const machine of [PROVISION, CONNECT]) {
      const running =
        (await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: "RUNNING" }))).executions ??
        [];
      for (const e of running) {
        const h = await sfn.send(
          new GetExecutionHistoryCommand({ executionArn: e.executionArn, reverseOrder: true, maxResults: 1 }),
        );
        lasts.push(h.events?.[0]?.type ?? "");
      }
    }
    const waiting = lasts.some((t) => t === "WaitStateEntered" || /Failed$|TimedOut$/.test(t));
    if (!lasts.some((t) => IN_FLIGHT.has(t)) && waiting) await account.advance("2m");
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${executionArn} did not finish`);
}
