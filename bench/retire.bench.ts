import { CreateKeyCommand, DecryptCommand, EncryptCommand } from "@aws-sdk/client-kms";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { connect, createStore, patientKms, seedCluster } from "../local/account/driver";
import { CREDENTIALS, LocalAccountProcess } from "../local/account/process";
import { DynamoRetirements } from "../src/adapters/retirements";
import type { Figures } from "./run";
import { median, round } from "./stats";

const RETIREMENTS = 5;
const PROBATION_DAYS = 14;
const MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-retireKey";

async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`bench: gave up waiting for ${what}`);
}

/**
 * retire-key on the local account (`npm start` in a child process), from the committed ASL and handlers: RETIREMENTS
 * quiet retirements with a 14-day probation (deletion scheduled) and one whose key is used during it (stopped,
 * KeyUsedDuringProbation). Per retirement: state transitions (StateEntered events), Lambda invocations, and the
 * transitions between WaitStateEntered and WaitStateExited, which is what the 14 days cost.
 */
export async function retireBench(): Promise<Figures> {
  const account = await LocalAccountProcess.start({ entry: "local/start.ts" });
  try {
    const kms = patientKms(account);
    const sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS });
    const cluster = await seedCluster(account);
    const storeId = await createStore(kms, cluster, "bench-retire");
    await connect(account, kms, storeId);
    const retirements = new DynamoRetirements(await account.register(), "keystore-autopilot-dev-orphans");
    const history = async (executionArn: string): Promise<HistoryEvent[]> =>
      (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
    const retire = async (name: string, use: boolean) => {
      const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
        .KeyMetadata?.Arn as string;
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from("x") }));
      const started = performance.now();
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: MACHINE,
          name,
          input: JSON.stringify({ keyArn: key, probationDays: PROBATION_DAYS, pendingWindowInDays: 7 }),
        }),
      );
      await until(
        async () => (await history(executionArn as string)).some((e) => e.type === "WaitStateEntered"),
        "the probation",
      );
      if (use) {
        await kms.send(new DecryptCommand({ CiphertextBlob })).catch(() => {});
        await until(async () => ((await retirements.get(key))?.uses.length ?? 0) > 0, "the use to be recorded");
      }
      await account.advance(`${PROBATION_DAYS * 24 + 1}h`);
      await until(
        async () => (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status !== "RUNNING",
        "the retirement to end",
      );
      const events = await history(executionArn as string);
      const waitFrom = events.findIndex((e) => e.type === "WaitStateEntered");
      const waitTo = events.findIndex((e) => e.type === "WaitStateExited");
      const status = (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
      return {
        status,
        transitions: events.filter((e) => e.type?.endsWith("StateEntered")).length,
        lambdas: events.filter((e) => e.type === "LambdaFunctionScheduled").length,
        duringWait: events.slice(waitFrom + 1, waitTo).filter((e) => e.type?.endsWith("StateEntered")).length,
        wallMs: performance.now() - started,
      };
    };
    const quiet = [];
    for (let i = 0; i < RETIREMENTS; i++) quiet.push(await retire(`bench-retire-${i}`, false));
    if (quiet.some((r) => r.status !== "SUCCEEDED")) throw new Error("bench: a quiet retirement did not succeed");
    const used = await retire("bench-retire-used", true);
    if (used.status !== "FAILED") throw new Error(`bench: the used key's retirement ended ${used.status}`);
    return {
      retirements: RETIREMENTS,
      "probation (simulated days)": PROBATION_DAYS,
      "state transitions per retirement, deletion scheduled (median)": median(quiet.map((r) => r.transitions)),
      "state transitions per retirement, used during probation": used.transitions,
      "Lambda invocations per retirement (median)": median(quiet.map((r) => r.lambdas)),
      "state transitions during the probation's wait": Math.max(...quiet.map((r) => r.duringWait), used.duringWait),
      "wall ms per retirement incl. the 14-day clock advance (median)": round(median(quiet.map((r) => r.wallMs))),
    };
  } finally {
    await account.stop();
  }
}
