import { ModifyClusterCommand } from "@aws-sdk/client-cloudhsm-v2";
import { CreateKeyCommand, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { connect, createStore, patientKms, seedCluster } from "../local/account/driver";
import { CREDENTIALS, LocalAccountProcess } from "../local/account/process";
import { DynamoProofs } from "../src/adapters/proofs";
import type { Figures } from "./run";
import { median, round } from "./stats";

const KEYS = 3;
const FOLLOW_UP = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-deletionFollowUp";
const REFRESH_FN = "keystore-autopilot-dev-followUpProofs";

async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`bench: gave up waiting for ${what}`);
}

/**
 * The proof of destruction on the local account (`npm start` in a child process), from the committed ASL and
 * handlers: KEYS keys of one store, each with two days of backups, deleted with a 7-day waiting period on a cluster
 * with the shortest retention (7 days). Measures what a proof costs: the follow-up's state transitions that open it,
 * then, day by day until every proof is CLOSED, the state transitions started (none: the refresh is a scheduled
 * function) and the refresh's invocations (one a day for all proofs together).
 */
export async function proofBench(): Promise<Figures> {
  const account = await LocalAccountProcess.start({ entry: "local/start.ts" });
  try {
    const kms = patientKms(account);
    const sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS });
    const cluster = await seedCluster(account);
    await account.cloudhsm().send(
      new ModifyClusterCommand({
        ClusterId: cluster.clusterId,
        BackupRetentionPolicy: { Type: "DAYS", Value: "7" },
      }),
    );
    await account.advance("1h");
    const storeId = await createStore(kms, cluster, "bench-proof");
    await connect(account, kms, storeId);
    const proofs = new DynamoProofs(await account.register(), "keystore-autopilot-dev-orphans");
    const keys: string[] = [];
    for (let i = 0; i < KEYS; i++) {
      const key = await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId }));
      keys.push(key.KeyMetadata?.Arn as string);
    }
    await account.advance("2d");
    for (const key of keys) await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 }));
    const followUps = async () =>
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn: FOLLOW_UP, maxResults: 1000 }))).executions ?? [];
    await until(async () => (await followUps()).length === KEYS, "the follow-ups to start");
    await account.advance("8d");
    await until(async () => (await followUps()).every((e) => e.status !== "RUNNING"), "the follow-ups to end");
    const transitions = [];
    for (const e of await followUps()) {
      const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      if (status !== "SUCCEEDED") throw new Error(`bench: follow-up ${e.name} ended ${status}`);
      const events =
        (await sfn.send(new GetExecutionHistoryCommand({ executionArn: e.executionArn, maxResults: 1000 }))).events ??
        [];
      transitions.push(events.filter((h) => h.type?.endsWith("StateEntered")).length);
    }
    await until(async () => (await Promise.all(keys.map((k) => proofs.get(k)))).every(Boolean), "the proofs");

    const executions = async () => {
      let count = 0;
      for (const machine of (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? []) {
        const listed = await sfn.send(
          new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn, maxResults: 1000 }),
        );
        count += listed.executions?.length ?? 0;
      }
      return count;
    };
    const refreshes = async () =>
      (await account.control<{ invocations: unknown[] }>("GET", `/_local/invocations?function=${REFRESH_FN}`))
        .invocations.length;
    const executionsBefore = await executions();
    const refreshesBefore = await refreshes();
    const started = performance.now();
    let days = 0;
    while (!(await Promise.all(keys.map((k) => proofs.get(k)))).every((p) => p?.status === "CLOSED")) {
      if (++days > 40) throw new Error("bench: the proofs did not close within 40 simulated days");
      await account.advance("1d");
      const expected = refreshesBefore + days;
      await until(async () => (await refreshes()) >= expected, "the day's refresh");
    }
    const closed = await Promise.all(keys.map((k) => proofs.get(k)));
    return {
      keys: KEYS,
      "backups per proof (median)": median(closed.map((p) => p?.backups.length ?? 0)),
      "state transitions per follow-up that opens a proof (median)": median(transitions),
      "simulated days from the deletion to every proof CLOSED": days,
      "state transitions started while the proofs were open": (await executions()) - executionsBefore,
      "refresh invocations while the proofs were open (one a day, for all proofs)":
        (await refreshes()) - refreshesBefore,
      "wall ms per simulated day of the watch (mean)": round((performance.now() - started) / days),
    };
  } finally {
    await account.stop();
  }
}
