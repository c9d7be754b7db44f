import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { LocalAccount } from "../local/account/account";
import { configFromEnv } from "../local/account/config";
import { LocalRuntime } from "../local/runtime/runtime";
import { bindConfig } from "../local/runtime/serverless-config";
import type { Figures } from "./run";
import { median, round } from "./stats";

const EVENTS = 500;
const RUNS = 3;
const STATES = 100;
const CREDENTIALS = { accessKeyId: "AKIALOCAL", secretAccessKey: "local" };

/** A chain of `STATES` states of one type, the last one ending the execution. */
function chain(make: (i: number) => Record<string, unknown>): Record<string, unknown> {
  const states: Record<string, unknown> = {};
  for (let i = 0; i < STATES; i++)
    states[`S${i}`] = { ...make(i), ...(i === STATES - 1 ? { End: true } : { Next: `S${i + 1}` }) };
  return { StartAt: "S0", States: states };
}

/**
 * The local runtime's throughput, in process on a fresh data directory with quotas off:
 * - events per second from PutEvents (batches of 10, through the SDK) to the matching handler's invocation;
 * - state transitions per second of a 100-state execution, of Pass states (the engine and its durable history)
 *   and of Lambda Task states (each an invocation in the function's warm instance).
 */
export async function runtimeBench(): Promise<Figures> {
  const dataDir = mkdtempSync(join(tmpdir(), "runtime-bench-"));
  const account = new LocalAccount(
    configFromEnv({ LOCAL_ACCOUNT_PORT: "0", LOCAL_ACCOUNT_DATA: dataDir, LOCAL_ACCOUNT_QUOTAS: "off" }),
  );
  const endpoint = await account.start();
  const config = bindConfig(
    {
      service: "bench",
      provider: { stage: "bench", timeout: 30 },
      functions: {
        noop: {
          handler: "bench/runtime-handlers.noop",
          events: [{ eventBridge: { pattern: { source: ["bench.events"], detail: { n: [{ numeric: [">=", 0] }] } } } }],
        },
      },
      stepFunctions: {
        stateMachines: {
          passes: { definition: chain(() => ({ Type: "Pass" })) },
          tasks: { definition: chain(() => ({ Type: "Task", Resource: { "Fn::GetAtt": ["noop", "Arn"] } })) },
        },
      },
    },
    { rootDir: resolve(__dirname, ".."), region: account.config.region, accountId: account.config.accountId },
  );
  const runtime = await LocalRuntime.deploy(account, config);
  const client = { endpoint, region: account.config.region, credentials: CREDENTIALS, maxAttempts: 1 };
  const events = new EventBridgeClient(client);
  const sfn = new SFNClient(client);
  try {
    await runtime.invoke("noop", {}); // warm instance
    const eventRates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const before = runtime.invocations("bench-bench-noop").length;
      const started = performance.now();
      for (let i = 0; i < EVENTS; i += 10) {
        const entries = Array.from({ length: 10 }, (_, j) => ({
          Source: "bench.events",
          DetailType: "Bench",
          Detail: JSON.stringify({ n: i + j }),
        }));
        await events.send(new PutEventsCommand({ Entries: entries }));
      }
      await until(
        () => runtime.invocations("bench-bench-noop").filter((r) => r.status !== "running").length >= before + EVENTS,
      );
      eventRates.push(EVENTS / ((performance.now() - started) / 1000));
    }

    const transitions = async (key: "passes" | "tasks") => {
      const rates: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        const { executionArn } = await sfn.send(
          new StartExecutionCommand({ stateMachineArn: config.stateMachines[key]?.arn }),
        );
        let status = "RUNNING";
        while (status === "RUNNING") {
          await new Promise((r) => setTimeout(r, 5));
          status = (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status ?? "";
        }
        if (status !== "SUCCEEDED") throw new Error(`bench execution ${key} ended ${status}`);
        rates.push(STATES / ((performance.now() - started) / 1000));
      }
      return round(median(rates));
    };

    return {
      [`PutEvents to handler invocation (events/s, ${EVENTS} events, median of ${RUNS})`]: round(median(eventRates)),
      [`100 Pass states (transitions/s, median of ${RUNS})`]: await transitions("passes"),
      [`100 Lambda Task states (transitions/s, median of ${RUNS})`]: await transitions("tasks"),
    };
  } finally {
    await runtime.stop();
    await account.stop();
  }
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 6000 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!done()) throw new Error("bench: the deliveries did not finish in 60 s");
}
