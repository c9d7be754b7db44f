import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { CREDENTIALS, control, LocalAccountProcess, ROOT } from "../../local/account/process";
import { subnetIdInZone } from "../support/cloudhsm";

const PROVISION = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-provisionKeyStore";

/** Another process that advances the local account's clock by `by` every second, as an operator's loop would. */
function advanceEverySecond(endpoint: string, token: string, by: string): ChildProcess {
  const headers = { "content-type": "application/json", "x-local-account-token": token };
  const script = `setInterval(() => fetch(${JSON.stringify(`${endpoint}/_local/clock/advance`)}, {
    method: "POST", headers: ${JSON.stringify(headers)}, body: JSON.stringify({ by: ${JSON.stringify(by)} }),
  }).catch(() => {}), 1000);`;
  return spawn(process.execPath, ["-e", script], { stdio: "ignore" });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

describe("the local account's clock under a running workflow", () => {
  let account: LocalAccountProcess;
  let sfn: SFNClient;
  beforeAll(async () => {
    account = await LocalAccountProcess.start({ entry: "local/start.ts" });
    sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS, maxAttempts: 5 });
  });
  afterAll(() => account.stop());

  it("returns SUCCEEDED for a provisioning run while a second process advances the clock by 10 minutes every second", async () => {
    // Simulated time is a day ahead of real time: a stamp taken on real time cannot pass for a simulated one.
    await account.advance("1d");
    const advancer = advanceEverySecond(account.endpoint, account.token, "10m");
    let done: DescribeExecutionCommandOutput | undefined;
    try {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: PROVISION,
          name: "advanced-by-another-process",
          input: JSON.stringify({ keyStoreName: "advanced", subnetIds: [subnetIdInZone("a"), subnetIdInZone("b")] }),
        }),
      );
      for (;;) {
        done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (done.status !== "RUNNING") break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await stopProcess(advancer);
    }

    expect({ status: done?.status, error: done?.error, cause: done?.cause }).toEqual({ status: "SUCCEEDED" });
    const out = JSON.parse(done?.output ?? "{}") as { connectionState: string; secrets: { kmsuser: string } };
    expect(out.connectionState).toBe("CONNECTED");
    // The kmsuser secret's stamp was read by a handler: it is simulated time, within the execution.
    const sm = new SecretsManagerClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS });
    const kmsuser = await sm.send(new GetSecretValueCommand({ SecretId: out.secrets.kmsuser }));
    const { rotatedAt } = JSON.parse(kmsuser.SecretString ?? "{}") as { rotatedAt: string };
    expect(Date.parse(rotatedAt)).toBeGreaterThanOrEqual(done?.startDate?.getTime() ?? Number.NaN);
    expect(Date.parse(rotatedAt)).toBeLessThanOrEqual((await account.now()).getTime());
  });
});

describe("npm start's readiness", () => {
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child) await stopProcess(child);
  });

  async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  async function portOpen(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = tcpConnect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
  }

  it("returns every state machine to a script that waits only for the port before listing them", async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "local-ready-"));
    child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "local/start.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        LOCAL_ACCOUNT_PORT: String(port),
        LOCAL_ACCOUNT_DATA: dataDir,
      },
      stdio: "ignore",
    });
    for (let i = 0; i < 600 && !(await portOpen(port)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const endpoint = `http://127.0.0.1:${port}`;

    const listed = await new SFNClient({
      endpoint,
      region: "us-east-1",
      credentials: CREDENTIALS,
      maxAttempts: 1,
    }).send(new ListStateMachinesCommand({}));

    const token = readFileSync(join(dataDir, "control-token"), "utf8").trim();
    const runtime = await control<{ stateMachines: { arn: string }[] }>(endpoint, token, "GET", "/_local/runtime");
    expect(runtime.stateMachines.length).toBeGreaterThan(0);
    expect(listed.stateMachines?.map((m) => m.stateMachineArn).sort()).toEqual(
      runtime.stateMachines.map((m) => m.arn).sort(),
    );
    const health = (await (await fetch(`${endpoint}/_local/health`)).json()) as { ready: boolean; services: string[] };
    expect(health).toMatchObject({ ready: true, services: expect.arrayContaining(["states", "events"]) });
  });
});
