import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { CreateKeyCommand, DecryptCommand, EncryptCommand } from "@aws-sdk/client-kms";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { run as runCli } from "../../src/cli/main";
import { KEY_STORE_TAG } from "../../src/provision/model";
import { createTestCa, generateKeys, signClusterCsr, subnetIdInZone } from "../support/cloudhsm";
import { createStore, describeStore, patientKms, seedCluster } from "../support/kms";
import { CREDENTIALS, LocalAccountProcess } from "../support/local-account";

const MACHINES = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-";
const PROVISION = `${MACHINES}provisionKeyStore`;
const CONNECT = `${MACHINES}connectKeyStore`;
const IN_FLIGHT = new Set(["LambdaFunctionScheduled", "LambdaFunctionStarted", "TaskScheduled", "TaskStarted"]);

/** provision-key-store on the local account with serverless.yml deployed (issue 7), through the real SDK. */
describe("provision-key-store workflow on the local account", () => {
  let account: LocalAccountProcess;
  let sfn: SFNClient;
  let sm: SecretsManagerClient;
  /** Every secret reference the tests saw: their values are what must never leak. */
  const secretIds = new Set<string>();
  const secretValues = new Set<string>();
  let n = 0;

  beforeAll(async () => {
    account = await LocalAccountProcess.start({ entry: "local/start.ts" });
    sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS, maxAttempts: 5 });
    sm = new SecretsManagerClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS });
  });
  afterAll(() => account.stop());

  const uniqueName = (stem: string) => `${stem}-${++n}`;
  const zones2 = () => [subnetIdInZone("a"), subnetIdInZone("b")];

  async function start(input: Record<string, unknown>, name = `p-${++n}`): Promise<string> {
    const out = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: PROVISION, name, input: JSON.stringify(input) }),
    );
    return out.executionArn as string;
  }

  async function history(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }

  const entered = (events: HistoryEvent[], state: string) =>
    events.some((e) => e.stateEnteredEventDetails?.name === state);
  const exited = (events: HistoryEvent[], state: string) =>
    events.some((e) => e.stateExitedEventDetails?.name === state);

  /**
   * Runs the execution to its end (or until `until` holds), moving the simulated clock only while every running
   * execution waits: a Wait state or a retry's backoff, never while a Lambda or an SDK call is in flight.
   */
  async function drive(
    executionArn: string,
    until?: (events: HistoryEvent[]) => boolean,
  ): Promise<DescribeExecutionCommandOutput> {
    for (let i = 0; i < 1500; i++) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== "RUNNING") return d;
      if (until && until(await history(executionArn))) return d;
      await advanceWhenIdle();
    }
    throw new Error(`execution ${executionArn} did not finish`);
  }

  async function advanceWhenIdle() {
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
    if (
      !lasts.some((t) => IN_FLIGHT.has(t)) &&
      lasts.some((t) => t === "WaitStateEntered" || /Failed$|TimedOut$/.test(t))
    ) {
      await account.advance("2m");
    }
    await new Promise((r) => setTimeout(r, 30));
  }

  async function clustersTagged(name: string) {
    const out = await account.cloudhsm().send(new DescribeClustersCommand({}));
    return (out.Clusters ?? []).filter(
      (c) => c.State !== "DELETED" && c.TagList?.some((t) => t.Key === KEY_STORE_TAG && t.Value === name),
    );
  }

  async function storesNamed(name: string) {
    const out = await patientKms(account).send(
      new (await import("@aws-sdk/client-kms")).DescribeCustomKeyStoresCommand({}),
    );
    return (out.CustomKeyStores ?? []).filter((s) => s.CustomKeyStoreName === name);
  }

  function remember(output: string | undefined) {
    const parsed = JSON.parse(output ?? "{}") as { secrets?: Record<string, string>; clusterId?: string };
    for (const id of Object.values(parsed.secrets ?? {})) secretIds.add(id);
    return parsed;
  }

  async function expectWorkingKey(customKeyStoreId: string) {
    const kms = patientKms(account);
    const key = await kms.send(
      new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: customKeyStoreId, Description: "provision" }),
    );
    const plaintext = Buffer.from("provisioned by keystore-autopilot");
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyMetadata?.KeyId, Plaintext: plaintext }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext as Uint8Array).toString()).toBe(plaintext.toString());
  }

  it("returns CONNECTED with two HSMs in two AZs and a working key when a store is provisioned from subnets", async () => {
    const keyStoreName = uniqueName("fresh");

    const done = await drive(await start({ keyStoreName, subnetIds: zones2(), backupRetentionDays: 30 }));

    expect(done.status).toBe("SUCCEEDED");
    const out = remember(done.output) as Record<string, unknown> & {
      hsms: { State: string; AvailabilityZone: string }[];
    };
    expect(out).toMatchObject({ keyStoreName, connectionState: "CONNECTED" });
    expect(out.hsms.map((h) => h.State)).toEqual(["ACTIVE", "ACTIVE"]);
    expect(new Set(out.hsms.map((h) => h.AvailabilityZone)).size).toBe(2);
    expect(out.secrets).toMatchObject({
      ca: expect.stringContaining("/ca"),
      admin: expect.stringContaining("/admin"),
      kmsuser: expect.stringContaining("/kmsuser"),
    });
    const [cluster] = await clustersTagged(keyStoreName);
    expect(cluster).toMatchObject({ State: "ACTIVE", BackupRetentionPolicy: { Value: "30" } });
    expect((await describeStore(patientKms(account), out.customKeyStoreId as string)).ConnectionState).toBe(
      "CONNECTED",
    );
    await expectWorkingKey(out.customKeyStoreId as string);
  });
});
