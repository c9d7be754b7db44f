import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { createStore, patientKms, seedCluster } from "../local/account/driver";
import { CREDENTIALS, LocalAccountProcess } from "../local/account/process";
import type { Figures } from "./run";
import { median, round } from "./stats";

const ROTATIONS = 3;
const MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-connectKeyStore";

/**
 * connect-key-store on the local account (`npm start` in a child process): a connected store is rotated ROTATIONS
 * times. Per rotation: the store's true downtime as the account records its state changes (DISCONNECTING to
 * CONNECTED: the keys are unavailable in between), how much of it is the connect itself, how late the workflow's poll
 * notices CONNECTED, and the execution's state transitions. The simulated clock only moves while the
 * execution waits, as in the e2e tests.
 */
export async function connectBench(): Promise<Figures> {
  const account = await LocalAccountProcess.start({ entry: "local/start.ts" });
  try {
    const sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS });
    const sm = new SecretsManagerClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS });
    const cluster = await seedCluster(account, { kmsuserPassword: "Kmsuser0Passw0rd" });
    const id = await createStore(patientKms(account), cluster, "bench-connect");
    await sm.send(
      new CreateSecretCommand({
        Name: `keystore-autopilot/admin/${cluster.clusterId}`,
        SecretString: JSON.stringify({ username: "admin", password: cluster.adminPassword }),
      }),
    );
    await idle(sfn);
    const run = async (name: string) => {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: MACHINE, name, input: JSON.stringify({ customKeyStoreId: id }) }),
      );
      for (;;) {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (d.status !== "RUNNING") {
          if (d.status !== "SUCCEEDED") throw new Error(`${name} ended ${d.status}: ${d.error}`);
          break;
        }
        const last = (
          await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }))
        ).events?.[0]?.type;
        if (last === "WaitStateEntered") await account.advance("30s");
        await new Promise((r) => setTimeout(r, 20));
      }
      return (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
    };
    await run("bench-first-connect");
    const disconnected: number[] = [];
    const downtime: number[] = [];
    const connecting: number[] = [];
    const transitions: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < ROTATIONS; i++) {
      const started = Date.now();
      const since = (await account.now()).getTime();
      const history = await run(`bench-rotation-${i}`);
      wall.push(Date.now() - started);
      disconnected.push(disconnectedMinutes(history));
      const outage = await storeOutage(account, id, since);
      downtime.push(outage.downtime);
      connecting.push(outage.connecting);
      transitions.push(history.filter((e) => e.type?.endsWith("StateEntered")).length);
    }
    const lateBy = disconnected.map((d, i) => d - (downtime[i] ?? 0));
    return {
      rotations: ROTATIONS,
      "store down per rotation, DISCONNECTING to CONNECTED as the account records it (simulated min, median)": round(
        median(downtime),
      ),
      "of which the connect itself, CONNECTING to CONNECTED (simulated min, median)": round(median(connecting)),
      "poll noticed CONNECTED late by (simulated min, median)": round(median(lateBy)),
      "disconnected per rotation as the workflow saw it (simulated min, median)": round(median(disconnected)),
      "state transitions per rotation (median)": median(transitions),
      "wall time per rotation (ms, median)": Math.round(median(wall)),
    };
  } finally {
    await account.stop();
  }
}

/** From the Disconnect task to the Describe that observed CONNECTED (the last one before MarkRotated). */
function disconnectedMinutes(history: HistoryEvent[]): number {
  const entered = (name: string) =>
    history.filter((e) => e.type?.endsWith("StateEntered") && e.stateEnteredEventDetails?.name === name);
  const from = entered("Disconnect")[0]?.timestamp;
  const to = entered("MarkRotated").at(-1)?.timestamp;
  if (!from || !to) throw new Error("the rotation history has no Disconnect or MarkRotated state");
  return (new Date(to).getTime() - new Date(from).getTime()) / 60_000;
}

/** The store's own record of its outage after `since`: first DISCONNECTING to the next CONNECTED, in minutes. */
async function storeOutage(account: LocalAccountProcess, id: string, since: number) {
  const { changes } = await account.control<{ changes: { state: string; at: string }[] }>(
    "GET",
    `/_local/inspect/key-store-states?customKeyStoreId=${id}`,
  );
  const after = changes.filter((c) => Date.parse(c.at) >= since);
  const down = after.find((c) => c.state === "DISCONNECTING");
  const up = after.find((c) => c.state === "CONNECTED" && down && Date.parse(c.at) >= Date.parse(down.at));
  const connectStart = after
    .filter((c) => c.state === "CONNECTING" && up && Date.parse(c.at) <= Date.parse(up.at))
    .at(-1);
  if (!down || !up || !connectStart) throw new Error(`the store's states after the rotation: ${JSON.stringify(after)}`);
  const minutes = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 60_000;
  return { downtime: minutes(down.at, up.at), connecting: minutes(connectStart.at, up.at) };
}

async function idle(sfn: SFNClient): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const running = (await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, statusFilter: "RUNNING" })))
      .executions;
    if (i > 10 && (running ?? []).length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
