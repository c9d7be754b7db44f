import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateClusterCommand, DescribeClustersCommand, ModifyClusterCommand } from "@aws-sdk/client-cloudhsm-v2";
import { CreateKeyCommand, DecryptCommand, DescribeCustomKeyStoresCommand, EncryptCommand } from "@aws-sdk/client-kms";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
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
import { run as runCli } from "../../cli/main";
import { createStore, describeStore, patientKms, seedCluster } from "../../local/account/driver";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";
import { StepFunctionsExecutions } from "../../src/adapters/executions";
import { KEY_STORE_TAG } from "../../src/workflows/provision-key-store/model";
import { createTestCa, generateKeys, signClusterCsr, subnetIdInZone } from "../support/cloudhsm";

const MACHINES = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-";
const PROVISION = `${MACHINES}provisionKeyStore`;
const CONNECT = `${MACHINES}connectKeyStore`;
const IN_FLIGHT = new Set(["LambdaFunctionScheduled", "LambdaFunctionStarted", "TaskScheduled", "TaskStarted"]);

/** provision-key-store on the local account with serverless.yml deployed, through the real SDK. */
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
  const files = mkdtempSync(join(tmpdir(), "provision-e2e-"));

  /** The autopilot CLI in-process against this account; exit code and what it printed. */
  async function cli(args: string[]) {
    let stdout = "";
    let stderr = "";
    const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
    const code = await runCli(["--endpoint", account.endpoint, ...args], io);
    return { code, stdout, stderr };
  }

  async function allClusterIds() {
    const out = await account.cloudhsm().send(new DescribeClustersCommand({}));
    return (out.Clusters ?? []).map((c) => c.ClusterId);
  }

  /** The execution waits in AwaitSignature: the putEvents task is scheduled and not closed. */
  const awaitingSignature = (events: HistoryEvent[]) => {
    const i = events.findLastIndex(
      (e) => e.type === "TaskScheduled" && e.taskScheduledEventDetails?.resource === "invoke.waitForTaskToken",
    );
    const after = events.slice(i + 1);
    return (
      i >= 0 &&
      after.some((e) => e.type === "TaskSubmitted") &&
      !after.some((e) => /^Task(Succeeded|Failed|TimedOut)$/.test(e.type ?? ""))
    );
  };

  async function clusterOf(arn: string): Promise<string> {
    const h = await history(arn);
    const exit = h.find((e) => e.stateExitedEventDetails?.name === "EnsureCluster");
    return (JSON.parse(exit?.stateExitedEventDetails?.output ?? "{}") as { cluster: { clusterId: string } }).cluster
      .clusterId;
  }

  async function csrOf(clusterId: string): Promise<string> {
    const out = await account.cloudhsm().send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
    return out.Clusters?.[0]?.Certificates?.ClusterCsr as string;
  }
  const clusterState = async (clusterId: string) =>
    (await account.cloudhsm().send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }))).Clusters?.[0]
      ?.State;

  async function writeFile(name: string, text: string) {
    const path = join(files, `${++n}-${name}`);
    writeFileSync(path, text);
    return path;
  }
  const zones2 = () => [subnetIdInZone("a"), subnetIdInZone("b")];

  async function start(input: Record<string, unknown>, name = `p-${++n}`): Promise<string> {
    const out = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: PROVISION, name, input: JSON.stringify(input) }),
    );
    return out.executionArn as string;
  }

  async function history(executionArn: string): Promise<HistoryEvent[]> {
    return new StepFunctionsExecutions(sfn).history(executionArn);
  }

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
      if (until?.(await history(executionArn))) return d;
      // Checked again once everything is idle: the clock must not move past the point the caller waits for.
      await advanceWhenIdle(async () => until?.(await history(executionArn)) ?? false);
    }
    throw new Error(`execution ${executionArn} did not finish`);
  }

  /** No invocation of any function in flight: the clock moves only between steps, so a stop point is never jumped. */
  async function noLambdaRunning(): Promise<boolean> {
    const { invocations } = await account.control<{ invocations: { status: string }[] }>("GET", "/_local/invocations");
    return !invocations.some((inv) => inv.status === "running");
  }

  async function advanceWhenIdle(reached: () => Promise<boolean>) {
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
      lasts.some((t) => t === "WaitStateEntered" || /Failed$|TimedOut$/.test(t)) &&
      (await noLambdaRunning()) &&
      !(await reached())
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
    const out = await patientKms(account).send(new DescribeCustomKeyStoresCommand({}));
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
    expect(out).toMatchObject({ keyStoreName, connectionState: "CONNECTED", strayClusters: [] });
    expect(out.hsms.map((h) => h.State)).toEqual(["ACTIVE", "ACTIVE"]);
    expect(new Set(out.hsms.map((h) => h.AvailabilityZone)).size).toBe(2);
    const [cluster] = await clustersTagged(keyStoreName);
    // Named by kind: the CA and admin by cluster, kmsuser's rotation secret by key store.
    expect(out.secrets).toMatchObject({
      ca: `keystore-autopilot/managed-ca/${cluster?.ClusterId}`,
      admin: `keystore-autopilot/admin/${cluster?.ClusterId}`,
      kmsuser: `keystore-autopilot/kmsuser/${String(out.customKeyStoreId)}`,
    });
    // Created under the stack's secrets key, readable only by the roles of its kind (serverless.yml SecretsKey).
    const admin = `keystore-autopilot/admin/${cluster?.ClusterId}`;
    expect((await sm.send(new DescribeSecretCommand({ SecretId: admin }))).KmsKeyId).toMatch(
      /^arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]{36}$/,
    );
    const policy = JSON.parse(
      (await sm.send(new GetResourcePolicyCommand({ SecretId: admin }))).ResourcePolicy ?? "{}",
    );
    expect(policy.Statement?.[0]).toMatchObject({
      Effect: "Deny",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
    });
    expect(policy.Statement?.[0]?.Condition?.ArnNotLike?.["aws:PrincipalArn"]).toContain(
      "arn:aws:iam::111122223333:role/keystore-autopilot-dev-provisionActivate-role",
    );
    expect(cluster).toMatchObject({ State: "ACTIVE", BackupRetentionPolicy: { Value: "30" } });
    expect((await describeStore(patientKms(account), out.customKeyStoreId as string)).ConnectionState).toBe(
      "CONNECTED",
    );
    await expectWorkingKey(out.customKeyStoreId as string);
  });
  it("returns one cluster, two HSMs and one key store when attempts stopped at several points are started again", async () => {
    const keyStoreName = uniqueName("resume");
    const input = JSON.stringify({ keyStoreName, subnetIds: zones2() });
    const arns: string[] = [];
    for (const stopAfter of ["FirstHsm", "Accept", "Activate", "Kmsuser", "CreateKeyStore"]) {
      const started = await cli(["start", "provision-key-store", "--input", input, "--no-follow"]);
      expect(started.code).toBe(0);
      const arn = started.stdout.trim();
      arns.push(arn);
      const d = await drive(arn, (h) => exited(h, stopAfter));
      expect(d.status).toBe("RUNNING");
      await sfn.send(new StopExecutionCommand({ executionArn: arn, error: "TestStop" }));
    }
    const last = await cli(["start", "provision-key-store", "--input", input, "--no-follow"]);

    const done = await drive(last.stdout.trim());

    expect(arns.map((a) => a.split(":").at(-1))).toEqual([1, 2, 3, 4, 5].map((i) => `${keyStoreName}-r${i}`));
    expect(done.status).toBe("SUCCEEDED");
    const out = remember(done.output) as { customKeyStoreId: string };
    const clusters = await clustersTagged(keyStoreName);
    expect(clusters).toHaveLength(1);
    expect(clusters[0]?.Hsms?.filter((h) => h.State === "ACTIVE")).toHaveLength(2);
    expect(clusters[0]?.Hsms).toHaveLength(2);
    expect((await storesNamed(keyStoreName)).map((s) => s.CustomKeyStoreId)).toEqual([out.customKeyStoreId]);
  });

  it("resumes on the cluster it got furthest with, and reports the empty duplicate a lost CreateCluster answer left", async () => {
    const keyStoreName = uniqueName("duplicate");
    const tag = [{ Key: KEY_STORE_TAG, Value: keyStoreName }];
    const create = async () =>
      (
        await account
          .cloudhsm()
          .send(new CreateClusterCommand({ HsmType: "hsm2m.medium", SubnetIds: zones2(), TagList: tag }))
      ).Cluster?.ClusterId as string;
    // The older one is the duplicate nobody carried on with; the run carried on with the newer one.
    const duplicate = await create();
    await account.advance("1m");
    const carried = await create();
    const first = await drive(await start({ keyStoreName, clusterId: carried }));
    expect(first.status).toBe("SUCCEEDED");

    const again = await drive(await start({ keyStoreName, subnetIds: zones2() }));

    expect({ status: again.status, error: again.error, cause: again.cause }).toEqual({ status: "SUCCEEDED" });
    expect(remember(again.output)).toMatchObject({ clusterId: carried, strayClusters: [duplicate] });
    const left = await account.cloudhsm().send(new DescribeClustersCommand({ Filters: { clusterIds: [duplicate] } }));
    expect(left.Clusters?.[0]).toMatchObject({ State: "UNINITIALIZED", Hsms: [] });
    expect((await storesNamed(keyStoreName)).map((s) => s.CustomKeyStoreId)).toHaveLength(1);
  });

  it("returns a clear rejection and leaves the cluster UNINITIALIZED when an external signature does not match the CSR", async () => {
    const keyStoreName = uniqueName("external-bad");
    const arn = await start({ keyStoreName, subnetIds: zones2(), ca: { mode: "external" } });
    await drive(arn, awaitingSignature);
    const clusterId = await clusterOf(arn);
    const csr = await csrOf(clusterId);
    const ca = await createTestCa();
    const wrongKey = (await generateKeys()).publicKey;
    const wrong = await writeFile("wrong.pem", await signClusterCsr(csr, ca, wrongKey));
    const anchor = await writeFile("ca.pem", ca.pem);

    const refused = await cli(["sign", arn, "--cert", wrong, "--trust-anchor", anchor]);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("does not match the cluster CSR");
    expect(refused.stderr).toContain("keeps waiting");
    expect(await clusterState(clusterId)).toBe("UNINITIALIZED");
    // Bypassing the CLI: the workflow checks again, rejects, and waits for another signature.
    const token = JSON.parse(
      (await history(arn)).findLast((e) => e.type === "TaskScheduled")?.taskScheduledEventDetails?.parameters ?? "{}",
    ).Payload.taskToken as string;
    await sfn.send(
      new SendTaskSuccessCommand({
        taskToken: token,
        output: JSON.stringify({ signedCert: readFileSync(wrong, "utf8"), trustAnchor: ca.pem }),
      }),
    );
    const waiting = await drive(arn, (h) => exited(h, "CountRejected") && awaitingSignature(h));
    expect(waiting.status).toBe("RUNNING");
    const failures = (await history(arn)).filter((e) => e.type === "LambdaFunctionFailed");
    expect(failures.map((e) => e.lambdaFunctionFailedEventDetails?.error)).toContain("CertificateRejectedError");
    expect(await clusterState(clusterId)).toBe("UNINITIALIZED");
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
  });

  it("returns CONNECTED when an external signature is handed back with keystore-autopilot sign", async () => {
    const keyStoreName = uniqueName("external");
    const arn = await start({ keyStoreName, subnetIds: zones2(), ca: { mode: "external" } });
    await drive(arn, awaitingSignature);
    const csr = await csrOf(await clusterOf(arn));
    const ca = await createTestCa();
    const cert = await writeFile("cluster.pem", await signClusterCsr(csr, ca));
    const anchor = await writeFile("ca.pem", ca.pem);

    const signed = await cli(["sign", arn, "--cert", cert, "--trust-anchor", anchor]);
    const done = await drive(arn);

    expect(signed).toMatchObject({ code: 0, stderr: "" });
    expect(signed.stdout).toContain("Certificates accepted");
    // The signer is the caller's identity, in the history; the token was never on the bus nor in the CLI's output.
    const answered = (await history(arn)).find(
      (e) => e.type === "TaskSucceeded" && e.taskSucceededEventDetails?.resource === "invoke.waitForTaskToken",
    );
    expect(JSON.parse(answered?.taskSucceededEventDetails?.output ?? "{}")).toMatchObject({
      signedBy: "arn:aws:iam::111122223333:user/local-operator",
    });
    const scheduled = (await history(arn)).find(
      (e) => e.type === "TaskScheduled" && e.taskScheduledEventDetails?.resource === "invoke.waitForTaskToken",
    );
    const token = JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? "{}").Payload.taskToken as string;
    expect(token.length).toBeGreaterThan(0);
    const requests = (await account.events())
      .map((e) => e.event)
      .filter((e) => e["detail-type"] === "Cluster CSR Awaiting Signature" && e.detail?.executionArn === arn);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.detail).not.toHaveProperty("taskToken");
    const logDir = join(account.dataDir, "logs");
    const seen = [signed.stdout, signed.stderr, JSON.stringify(await account.events()), account.log];
    for (const file of readdirSync(logDir)) seen.push(readFileSync(join(logDir, file), "utf8"));
    expect(seen.join("\n").includes(token)).toBe(false);
    expect(done.status).toBe("SUCCEEDED");
    const out = remember(done.output) as { customKeyStoreId: string; secrets: Record<string, string> };
    expect(out.secrets).not.toHaveProperty("ca");
    expect((await describeStore(patientKms(account), out.customKeyStoreId)).TrustAnchorCertificate).toBe(ca.pem);
  });

  it("returns CONNECTED after replacing an HSM that comes up DEGRADED", async () => {
    const keyStoreName = uniqueName("degraded");
    const after = (await account.events()).at(-1)?.seq ?? 0;
    await account.arm({ kind: "hsm-degraded", activatedOnly: true });

    const done = await drive(await start({ keyStoreName, subnetIds: zones2() }));

    expect(done.status).toBe("SUCCEEDED");
    const out = remember(done.output) as { clusterId: string; hsms: { State: string; AvailabilityZone: string }[] };
    expect(out.hsms.map((h) => h.State)).toEqual(["ACTIVE", "ACTIVE"]);
    expect(new Set(out.hsms.map((h) => h.AvailabilityZone)).size).toBe(2);
    const deletes = (await account.events(after)).filter(
      (e) => e.event.detail.eventName === "DeleteHsm" && JSON.stringify(e.event.detail).includes(out.clusterId),
    );
    expect(deletes).toHaveLength(1);
  });

  it("returns CONNECTED when the cluster passes through UPDATE_IN_PROGRESS, MODIFY_IN_PROGRESS and ROLLBACK_IN_PROGRESS", async () => {
    const keyStoreName = uniqueName("passing");
    const observedStates = (events: HistoryEvent[]) =>
      events
        .filter((e) => e.stateExitedEventDetails?.name === "Observe")
        .map(
          (e) =>
            (JSON.parse(e.stateExitedEventDetails?.output ?? "{}") as { observed?: { c?: { State?: string } } })
              .observed?.c?.State,
        );
    const arn = await start({ keyStoreName, subnetIds: zones2(), backupRetentionDays: 30 });
    // An operator changes the backup retention while the cluster waits for its first HSM; the change rolls back.
    await drive(arn, (events) => observedStates(events).includes("UNINITIALIZED"));
    const clusterId = await clusterOf(arn);
    await account.arm({ kind: "cluster-rollback", clusterId });
    await account
      .cloudhsm()
      .send(new ModifyClusterCommand({ ClusterId: clusterId, BackupRetentionPolicy: { Type: "DAYS", Value: "60" } }));

    const done = await drive(arn);

    expect(done.status).toBe("SUCCEEDED");
    const seen = observedStates(await history(arn));
    expect(seen).toEqual(expect.arrayContaining(["ROLLBACK_IN_PROGRESS", "UPDATE_IN_PROGRESS"]));
    expect(remember(done.output)).toMatchObject({ clusterId, connectionState: "CONNECTED" });
    const [cluster] = await clustersTagged(keyStoreName);
    expect(cluster).toMatchObject({ State: "ACTIVE", BackupRetentionPolicy: { Value: "30" } });
  });

  it("returns CONNECTED and adopts kmsuser when an active cluster that already has kmsuser is given", async () => {
    const seeded = await seedCluster(account, { kmsuser: true, kmsuserPassword: "Seeded0Kmsuser0Pw" });
    for (const p of [seeded.adminPassword, seeded.kmsuserPassword]) if (p) secretValues.add(p);

    await sm.send(
      new CreateSecretCommand({
        Name: `keystore-autopilot/admin/${seeded.clusterId}`,
        SecretString: JSON.stringify({ username: "admin", password: seeded.adminPassword }),
      }),
    );
    // seedCluster stored the trust anchor as keystore-autopilot/trust-anchor/<cluster id>, as an adopted cluster needs (README).
    const keyStoreName = uniqueName("adopt");

    const done = await drive(await start({ keyStoreName, clusterId: seeded.clusterId }));

    expect(done.status).toBe("SUCCEEDED");
    const out = remember(done.output) as { customKeyStoreId: string; clusterId: string };
    expect(out.clusterId).toBe(seeded.clusterId);
    const kmsuserExit = (await history(done.executionArn as string)).find(
      (e) => e.stateExitedEventDetails?.name === "Kmsuser",
    );
    expect(JSON.parse(kmsuserExit?.stateExitedEventDetails?.output ?? "{}").kmsuser).toMatchObject({
      kmsuser: "adopted",
    });
    await expectWorkingKey(out.customKeyStoreId);
  });

  it("returns ClusterInUseError naming the store and creates nothing when the cluster already backs a key store", async () => {
    const seeded = await seedCluster(account);
    const taken = await createStore(patientKms(account), seeded, uniqueName("taken"));
    const keyStoreName = uniqueName("in-use");
    const clustersBefore = await allClusterIds();

    const done = await drive(await start({ keyStoreName, clusterId: seeded.clusterId }));

    expect(done).toMatchObject({ status: "FAILED", error: "ClusterInUseError" });
    expect(done.cause).toContain(taken);
    expect(await allClusterIds()).toEqual(clustersBefore);
    expect(await storesNamed(keyStoreName)).toEqual([]);
  });

  it.each([
    ["one AZ only", { subnetIds: [subnetIdInZone("a"), subnetIdInZone("a")] }, "subnetIds"],
    ["a single subnet", { subnetIds: [subnetIdInZone("a")] }, "subnetIds"],
    ["a malformed subnet id", { subnetIds: ["subnet-xyz", subnetIdInZone("b")] }, "subnetIds.0"],
    ["an unknown HSM type", { subnetIds: zones2(), hsmType: "hsm9.huge" }, "hsmType"],
    ["both a cluster and subnets", { subnetIds: zones2(), clusterId: "cluster-abcdefghijk" }, "clusterId"],
  ])("returns InvalidInputError naming %s's field and creates nothing", async (_what, fields, field) => {
    const keyStoreName = uniqueName("bad");
    const clustersBefore = await allClusterIds();

    const done = await drive(await start({ keyStoreName, ...fields }));

    expect(done).toMatchObject({ status: "FAILED", error: "InvalidInputError" });
    expect(done.cause).toContain(`${field}:`);
    expect(await allClusterIds()).toEqual(clustersBefore);
    expect(await storesNamed(keyStoreName)).toEqual([]);
  });

  it("returns KeyStoreNameInUseError naming keyStoreName and creates nothing when the name is taken", async () => {
    const seeded = await seedCluster(account);
    const keyStoreName = uniqueName("taken-name");
    await createStore(patientKms(account), seeded, keyStoreName);
    const clustersBefore = await allClusterIds();

    const done = await drive(await start({ keyStoreName, subnetIds: zones2() }));

    expect(done).toMatchObject({ status: "FAILED", error: "KeyStoreNameInUseError" });
    expect(done.cause).toContain("keyStoreName:");
    expect(await allClusterIds()).toEqual(clustersBefore);
  });

  it("refuses bad input in the CLI with exit 2 naming the field before anything starts", async () => {
    const input = JSON.stringify({ keyStoreName: uniqueName("cli-bad"), subnetIds: zones2(), hsmType: "hsm9.huge" });

    const run = await cli(["start", "provision-key-store", "--input", input, "--no-follow"]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("hsmType");
  });

  it("returns no CA private key or password in any log, execution history or event", async () => {
    // Its own provisioning, so the scan always has a managed CA, an admin and a kmsuser to look for.
    const own = await drive(await start({ keyStoreName: uniqueName("leak"), subnetIds: zones2() }));
    expect(own.status).toBe("SUCCEEDED");
    remember(own.output);
    for (const secretId of secretIds) {
      const described = await sm.send(new DescribeSecretCommand({ SecretId: secretId })).catch(() => undefined);
      for (const versionId of Object.keys(described?.VersionIdsToStages ?? {})) {
        const value = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }));
        try {
          const parsed = JSON.parse(value.SecretString ?? "") as { password?: string; privateKey?: string };
          if (parsed.password) secretValues.add(parsed.password);
          if (parsed.privateKey) {
            secretValues.add(parsed.privateKey);
            // The key's base64 body, in case something re-wrapped the PEM.
            secretValues.add(parsed.privateKey.split("\n").slice(1, 3).join(""));
          }
        } catch {
          // not JSON: a trust anchor, which is public
        }
      }
    }
    // At least the admin, initial kmsuser and CA key (PEM and body) of its own provisioning.
    expect(secretValues.size).toBeGreaterThanOrEqual(4);
    const haystacks: string[] = [account.log];
    const logDir = join(account.dataDir, "logs");
    for (const file of readdirSync(logDir)) haystacks.push(readFileSync(join(logDir, file), "utf8"));
    for (const machine of [PROVISION, CONNECT]) {
      const all = (await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1000 })))
        .executions;
      for (const e of all ?? []) {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
        haystacks.push(JSON.stringify(d), JSON.stringify(await history(e.executionArn as string)));
      }
    }
    haystacks.push(JSON.stringify(await account.events()));
    expect(haystacks.length).toBeGreaterThan(20);
    for (const secret of secretValues) {
      for (const text of haystacks) expect(text.includes(secret)).toBe(false);
    }
  });
});
