import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateHsmCommand, DeleteHsmCommand, ModifyClusterCommand } from "@aws-sdk/client-cloudhsm-v2";
import { ConnectCustomKeyStoreCommand, DeleteCustomKeyStoreCommand } from "@aws-sdk/client-kms";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { createStore, describeStore, patientKms, removeAllStores, seedCluster } from "../../local/account/driver";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";
import { ALERT_DETAIL_TYPE, ALERT_SOURCE } from "../../src/alert-source";

const MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-connectKeyStore";
/** An alert of ours, not one of our other events (a Key Store State Change shares the source). */
const isAlert = (e: { event: Record<string, unknown> }) =>
  e.event.source === ALERT_SOURCE && e.event["detail-type"] === ALERT_DETAIL_TYPE;

/** connect-key-store on the local account with serverless.yml deployed, through the real SDK. */
describe("connect-key-store workflow on the local account", () => {
  let account: LocalAccountProcess;
  let sfn: SFNClient;
  let sm: SecretsManagerClient;
  const passwords = new Set<string>();
  let n = 0;

  beforeAll(async () => {
    account = await LocalAccountProcess.start({ entry: "local/start.ts" });
    sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS, maxAttempts: 5 });
    sm = new SecretsManagerClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS });
  });
  afterEach(async () => {
    await collectSecretValues();
    await removeAllStores(account, patientKms(account));
  });
  afterAll(() => account.stop());

  /** A disconnected store on a fresh cluster, with its admin secret (the password stays in Secrets Manager). */
  async function newStore(options: { kmsuserPassword?: string; admin?: boolean } = {}) {
    const cluster = await seedCluster(account, { kmsuserPassword: options.kmsuserPassword ?? "Kmsuser0Passw0rd" });
    n += 1;
    const id = await createStore(patientKms(account), cluster, `connect-${n}`);
    if (cluster.adminPassword) passwords.add(cluster.adminPassword);
    if (cluster.kmsuserPassword) passwords.add(cluster.kmsuserPassword);
    // CreateCustomKeyStore's CloudTrail record starts a watch execution (it finds nothing to watch): let it end.
    await settled(id);
    if (options.admin === false) return { id, cluster };
    await sm.send(
      new CreateSecretCommand({
        Name: `keystore-autopilot/admin/${cluster.clusterId}`,
        SecretString: JSON.stringify({ username: "admin", password: cluster.adminPassword }),
      }),
    );
    return { id, cluster };
  }

  /** Executions that ran before a test's own connect (the CreateCustomKeyStore watch): never "the" watch. */
  const before = new Set<string>();

  async function settled(id: string) {
    for (let i = 0; i < 200; i++) {
      const all =
        (await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, maxResults: 1000 }))).executions ?? [];
      const mine = all.filter((e) => e.name?.startsWith(id));
      for (const e of mine) if (e.executionArn) before.add(e.executionArn);
      if (mine.length > 0 && mine.every((e) => e.status !== "RUNNING")) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the watch execution for ${id} did not end`);
  }

  /** The watch execution the connect's CloudTrail event started (not the one CreateCustomKeyStore started). */
  async function watchOf(id: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const all =
        (await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, maxResults: 1000 }))).executions ?? [];
      const watch = all.find(
        (e) =>
          e.name?.startsWith(`${id}-watch-`) &&
          e.status === "RUNNING" &&
          e.executionArn !== undefined &&
          !before.has(e.executionArn),
      );
      if (watch?.executionArn) return watch.executionArn;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no watch execution started for ${id}`);
  }

  async function run(input: Record<string, unknown>, name = `run-${++n}`) {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: MACHINE, name, input: JSON.stringify(input) }),
    );
    return finish(executionArn as string);
  }

  async function finish(executionArn: string) {
    for (let i = 0; i < 400; i++) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== "RUNNING") return d;
      await advanceWhenIdle(executionArn);
    }
    throw new Error(`execution ${executionArn} did not finish`);
  }

  /**
   * Moves the simulated clock only while the execution waits (a Wait state, or a retry's backoff after a failed task):
   * task timeouts run on the same clock, so advancing while a Lambda runs would time it out.
   */
  async function advanceWhenIdle(executionArn: string) {
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
    const last = history.events?.[0]?.type ?? "";
    if (last === "WaitStateEntered") await account.advance("5m");
    else if (/Failed$|TimedOut$/.test(last)) await account.advance("30s");
    await new Promise((r) => setTimeout(r, 40));
  }

  async function collectSecretValues() {
    // Every version still held (AWSPENDING, AWSCURRENT, AWSPREVIOUS) of every kmsuser secret the tests made.
    for (const secretId of secretIds) {
      const described = await sm.send(new DescribeSecretCommand({ SecretId: secretId })).catch(() => undefined);
      for (const versionId of Object.keys(described?.VersionIdsToStages ?? {})) {
        const value = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }));
        const parsed = JSON.parse(value.SecretString ?? "{}") as { password?: string };
        if (parsed.password) passwords.add(parsed.password);
      }
    }
  }
  const secretIds = new Set<string>();
  const kmsuserSecret = (id: string) => {
    const name = `keystore-autopilot/kmsuser/${id}`;
    secretIds.add(name);
    return name;
  };

  async function currentKmsuserSecret(id: string) {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: kmsuserSecret(id) }));
    return JSON.parse(out.SecretString ?? "{}") as Record<string, unknown>;
  }

  it("returns CONNECTED and a secret marked rotated by KMS when a disconnected store is connected", async () => {
    const { id } = await newStore();

    const done = await run({ customKeyStoreId: id });

    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output ?? "{}")).toMatchObject({ customKeyStoreId: id, connectionState: "CONNECTED" });
    expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("CONNECTED");
    expect(await currentKmsuserSecret(id)).toMatchObject({ state: "ROTATED_BY_KMS" });
    expect(await currentKmsuserSecret(id)).not.toHaveProperty("password");
  });

  it("returns CONNECTED after disconnecting and rotating when the store is already connected", async () => {
    const { id } = await newStore();
    await run({ customKeyStoreId: id });

    const done = await run({ customKeyStoreId: id });

    expect(done.status).toBe("SUCCEEDED");
    expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("CONNECTED");
  });

  it.each([
    "INVALID_CREDENTIALS",
    "USER_LOCKED_OUT",
    "USER_LOGGED_IN",
    "USER_NOT_FOUND",
    "INSUFFICIENT_CLOUDHSM_HSMS",
    "NETWORK_ERRORS",
    "INTERNAL_ERROR",
  ])("returns CONNECTED after remediation when the connect fails with %s", async (code) => {
    const { id } = await newStore();
    await account.arm({ kind: "connect-error", connectionErrorCode: code, customKeyStoreId: id });

    const done = await run({ customKeyStoreId: id });

    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output ?? "{}")).toMatchObject({ connectionState: "CONNECTED", attempts: 2 });
  });

  it.each([
    ["CLUSTER_NOT_FOUND", "ClusterNotFound"],
    ["SUBNET_NOT_FOUND", "SubnetNotFound"],
    ["INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET", "InsufficientFreeAddressesInSubnet"],
  ])(
    "returns the named failure %s with the operator action and an alert when the connect fails with it",
    async (code, error) => {
      const { id } = await newStore();
      const after = (await account.events()).at(-1)?.seq ?? 0;
      await account.arm({ kind: "connect-error", connectionErrorCode: code, customKeyStoreId: id });

      const done = await run({ customKeyStoreId: id });

      expect(done).toMatchObject({ status: "FAILED", error });
      expect(done.cause).toContain(code);
      const alerts = (await account.events(after)).filter(isAlert);
      expect(alerts.map((e) => e.event.detail)).toEqual([
        expect.objectContaining({ type: "ConnectFailed", customKeyStoreId: id }),
      ]);
    },
  );

  it("returns ConnectAttemptsExhausted and stops when the connect keeps failing", async () => {
    const { id } = await newStore();
    await account.arm({
      kind: "connect-error",
      connectionErrorCode: "NETWORK_ERRORS",
      customKeyStoreId: id,
      count: 10,
    });

    const done = await run({ customKeyStoreId: id });

    expect(done).toMatchObject({ status: "FAILED", error: "ConnectAttemptsExhausted" });
    await account.control("DELETE", "/_local/faults");
  });

  it("returns CONNECTED after logging kmsuser out when its CLI session was opened with the password the secret holds", async () => {
    const { id, cluster } = await newStore();
    // The store's kmsuser secret already holds the cluster's kmsuser password (as provisioning leaves it).
    await sm.send(
      new PutSecretValueCommand({
        SecretId: kmsuserSecret(id),
        SecretString: JSON.stringify({ username: "kmsuser", password: cluster.kmsuserPassword }),
      }),
    );
    const login = account.cli(
      ["--cluster-id", cluster.clusterId, "login", "--username", "kmsuser", "--role", "crypto-user"],
      { role: "crypto-user", username: "kmsuser", password: cluster.kmsuserPassword as string },
    );
    expect(login.json?.error_code).toBe(0);

    const done = await run({ customKeyStoreId: id });

    expect(done.status).toBe("SUCCEEDED");
    expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("CONNECTED");
  });

  it("returns KmsuserLoggedInElsewhere when kmsuser holds a CLI session opened with a password the workflow does not know", async () => {
    const { id, cluster } = await newStore();
    const login = account.cli(
      ["--cluster-id", cluster.clusterId, "login", "--username", "kmsuser", "--role", "crypto-user"],
      {
        role: "crypto-user",
        username: "kmsuser",
        password: cluster.kmsuserPassword as string,
      },
    );
    expect(login.json?.error_code).toBe(0);

    const done = await run({ customKeyStoreId: id });

    expect(done).toMatchObject({ status: "FAILED", error: "KmsuserLoggedInElsewhere" });
    expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("DISCONNECTED");
  });

  it("returns KeyStoreDeleted when the store is deleted while the workflow waits", async () => {
    const { id } = await newStore();
    await account.arm({ kind: "connect-error", connectionErrorCode: "NETWORK_ERRORS", customKeyStoreId: id });
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: MACHINE,
        name: `deleted-${id}`,
        input: JSON.stringify({ customKeyStoreId: id }),
      }),
    );
    const kms = patientKms(account);
    // NETWORK_ERRORS remediation disconnects, then cools down for 5 minutes: delete the store during the cooldown.
    for (let i = 0; i < 400; i++) {
      const last = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
      if (last.events?.[0]?.stateEnteredEventDetails?.name === "Cooldown") break;
      await advanceWhenIdle(executionArn as string);
    }
    await account.advance("1m");
    await kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }));

    const done = await finish(executionArn as string);

    expect(done).toMatchObject({ status: "FAILED", error: "KeyStoreDeleted" });
  });

  it("returns one watch execution that remediates to CONNECTED when someone else's connect fails and its event is delivered three times", async () => {
    const { id } = await newStore();
    await account.control("POST", "/_local/runtime/delivery", { duplicates: 2 });
    await account.arm({ kind: "connect-error", connectionErrorCode: "INVALID_CREDENTIALS", customKeyStoreId: id });

    await patientKms(account).send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    const done = await finish(await watchOf(id));
    await account.control("POST", "/_local/runtime/delivery", { duplicates: 0 });

    expect(done.status).toBe("SUCCEEDED");
    expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("CONNECTED");
    const forStoreNow = async () =>
      (
        (await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, maxResults: 1000 }))).executions ?? []
      ).filter((e) => e.name?.startsWith(id));
    // The remediation's own connect may start a watch just as the first one ends: let every watch finish first.
    for (
      let running = await forStoreNow();
      running.some((e) => e.status === "RUNNING");
      running = await forStoreNow()
    ) {
      for (const e of running.filter((x) => x.status === "RUNNING")) await finish(e.executionArn as string);
    }
    const forStore = await forStoreNow();
    expect(forStore.filter((e) => e.status !== "SUCCEEDED")).toEqual([]);
    // At most one watch per Create/Connect request, however often its event was delivered: the test's connect, the
    // store's creation, and (when its event arrives after the watch ended) the connect the remediation itself made.
    const requests = (await account.events())
      .map((e) => e.event.detail as { eventName?: string; requestID?: string; requestParameters?: unknown })
      .filter(
        (d) =>
          (d?.eventName === "ConnectCustomKeyStore" || d?.eventName === "CreateCustomKeyStore") &&
          JSON.stringify(d).includes(id),
      )
      .map((d) => d.requestID as string);
    const watches = forStore.filter((e) => e.name?.includes("-watch-")).map((e) => e.name?.split("-watch-")[1]);
    expect(new Set(watches).size).toBe(watches.length);
    for (const rid of watches) expect(requests).toContain(rid);
    expect(watches.length).toBeLessThanOrEqual(requests.length);
  });

  it("returns AdminSecretMissing and leaves the store FAILED when a watched connect fails and no admin secret exists", async () => {
    const { id } = await newStore({ admin: false });
    await account.arm({ kind: "connect-error", connectionErrorCode: "NETWORK_ERRORS", customKeyStoreId: id });

    await patientKms(account).send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    const done = await finish(await watchOf(id));

    expect(done).toMatchObject({ status: "FAILED", error: "AdminSecretMissing" });
    expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("FAILED");
  });

  it("returns AdminSecretMissing with no alert and nothing changed when a rotation starts and no admin secret exists", async () => {
    const { id } = await newStore({ admin: false });
    const after = (await account.events()).at(-1)?.seq ?? 0;

    const done = await run({ customKeyStoreId: id });

    expect(done).toMatchObject({ status: "FAILED", error: "AdminSecretMissing" });
    expect(done.cause).toContain("Create the admin secret");
    expect((await account.events(after)).filter(isAlert)).toEqual([]);
    expect(await calls(after, id)).not.toContain("DisconnectCustomKeyStore");
  });

  it("returns AlreadyRunning for a second start for the same store while the first runs", async () => {
    const { id } = await newStore();
    const first = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: MACHINE,
        name: `first-${id}`,
        input: JSON.stringify({ customKeyStoreId: id }),
      }),
    );
    await new Promise((r) => setTimeout(r, 300));

    const second = await run({ customKeyStoreId: id }, `second-${id}`);

    expect(second).toMatchObject({ status: "FAILED", error: "AlreadyRunning" });
    expect((await finish(first.executionArn as string)).status).toBe("SUCCEEDED");
  });

  /** The CloudTrail records (by eventName) the account wrote after `after` that mention `ref`. */
  async function calls(after: number, ref: string): Promise<string[]> {
    return (await account.events(after))
      .map((e) => e.event.detail as { eventName?: string })
      .filter((d) => typeof d?.eventName === "string" && JSON.stringify(d).includes(ref))
      .map((d) => d.eventName as string);
  }

  async function alertsFor(after: number, id: string) {
    return (await account.events(after))
      .filter((e) => isAlert(e) && e.event.detail.customKeyStoreId === id)
      .map((e) => e.event.detail as { type?: string; message?: string; details?: { failure?: string } });
  }

  describe("a working store is never left disconnected", () => {
    afterEach(() => account.control("DELETE", "/_local/faults"));

    it("returns the store CONNECTED and a RotationFailedStoreReconnected alert when the CLI fails after the disconnect", async () => {
      const { id } = await newStore();
      await run({ customKeyStoreId: id });
      const after = (await account.events()).at(-1)?.seq ?? 0;
      await account.arm({ kind: "cli-error", command: "user change-password", message: "Internal error" });

      const done = await run({ customKeyStoreId: id });

      expect(done).toMatchObject({ status: "FAILED", error: "RotationFailedStoreReconnected" });
      expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("CONNECTED");
      expect(await calls(after, id)).toEqual(
        expect.arrayContaining(["DisconnectCustomKeyStore", "ConnectCustomKeyStore"]),
      );
      expect(await calls(after, id)).not.toContain("UpdateCustomKeyStore");
      const alerts = await alertsFor(after, id);
      expect(alerts).toEqual([
        expect.objectContaining({
          type: "ConnectFailed",
          details: expect.objectContaining({ failure: "RotationFailedStoreReconnected" }),
        }),
      ]);
      expect(alerts[0]?.message).toContain("HsmCommandFailed");
      expect(alerts[0]?.message).toContain("is CONNECTED");
    });

    it("returns the store CONNECTED when KMS could not be told the password already changed in the cluster, by telling it before reconnecting", async () => {
      const { id } = await newStore();
      await run({ customKeyStoreId: id });
      const after = (await account.events()).at(-1)?.seq ?? 0;
      // TellKms runs six times (five retries), each SDK call three times (the SDK's default): all 18 fail, so the
      // rotation stops after the cluster password changed; the safety net's own TellKms then succeeds.
      await account.arm({ kind: "internal-error", operation: "kms:UpdateCustomKeyStore", count: 18 });

      const done = await run({ customKeyStoreId: id });

      expect(done).toMatchObject({ status: "FAILED", error: "RotationFailedStoreReconnected" });
      expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("CONNECTED");
      const made = await calls(after, id);
      expect(made.indexOf("UpdateCustomKeyStore")).toBeGreaterThan(made.indexOf("DisconnectCustomKeyStore"));
      expect(made.lastIndexOf("ConnectCustomKeyStore")).toBeGreaterThan(made.indexOf("UpdateCustomKeyStore"));
    });

    it("returns HsmPathUnavailable with no disconnect and no HSM added when the CLI cannot reach the cluster", async () => {
      const { id, cluster } = await newStore();
      await run({ customKeyStoreId: id });
      const after = (await account.events()).at(-1)?.seq ?? 0;
      await account.arm({
        kind: "cli-error",
        message: "Cannot reach the cluster at 10.0.1.5:2223: connection refused",
        count: 20,
      });

      const done = await run({ customKeyStoreId: id });

      expect(done).toMatchObject({ status: "FAILED", error: "HsmPathUnavailable" });
      expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("CONNECTED");
      expect(await calls(after, id)).not.toContain("DisconnectCustomKeyStore");
      expect(await calls(after, cluster.clusterId)).not.toContain("CreateHsm");
      expect((await alertsFor(after, id)).map((a) => a.details?.failure)).toEqual(["HsmPathUnavailable"]);
    });

    it("returns CONNECTED after adding one HSM and a plain connect, with no UpdateCustomKeyStore, when KMS reports INSUFFICIENT_CLOUDHSM_HSMS", async () => {
      const { id, cluster } = await newStore();
      const second = cluster.hsms[1];
      if (!second) throw new Error("the seeded cluster has two HSMs");
      await account.cloudhsm().send(new DeleteHsmCommand({ ClusterId: cluster.clusterId, HsmId: second.HsmId }));
      await account.advance("10m");
      const after = (await account.events()).at(-1)?.seq ?? 0;
      await account.arm({
        kind: "connect-error",
        connectionErrorCode: "INSUFFICIENT_CLOUDHSM_HSMS",
        customKeyStoreId: id,
      });

      await patientKms(account).send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      const done = await finish(await watchOf(id));

      expect(done.status).toBe("SUCCEEDED");
      expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("CONNECTED");
      expect((await calls(after, cluster.clusterId)).filter((c) => c === "CreateHsm")).toHaveLength(1);
      expect(await calls(after, id)).not.toContain("UpdateCustomKeyStore");
    });
    it("returns CONNECTED after waiting out MODIFY_IN_PROGRESS and ROLLBACK_IN_PROGRESS before adding the HSM KMS asked for", async () => {
      const { id, cluster } = await newStore();
      const second = cluster.hsms[1];
      if (!second) throw new Error("the seeded cluster has two HSMs");
      await account.cloudhsm().send(new DeleteHsmCommand({ ClusterId: cluster.clusterId, HsmId: second.HsmId }));
      await account.advance("10m");
      const after = (await account.events()).at(-1)?.seq ?? 0;
      await account.arm({
        kind: "connect-error",
        connectionErrorCode: "INSUFFICIENT_CLOUDHSM_HSMS",
        customKeyStoreId: id,
      });
      await account.arm({ kind: "cluster-rollback", clusterId: cluster.clusterId });
      await account.cloudhsm().send(
        new ModifyClusterCommand({
          ClusterId: cluster.clusterId,
          BackupRetentionPolicy: { Type: "DAYS", Value: "60" },
        }),
      );

      await patientKms(account).send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      const arn = await watchOf(id);
      const done = await finish(arn);

      expect(done.status).toBe("SUCCEEDED");
      expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("CONNECTED");
      expect((await calls(after, cluster.clusterId)).filter((c) => c === "CreateHsm")).toHaveLength(1);
      const events = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }))).events;
      const waitedOn = (events ?? [])
        .filter((e) => e.stateExitedEventDetails?.name === "AddHsm")
        .map((e) => (JSON.parse(e.stateExitedEventDetails?.output ?? "{}") as { hsm?: { clusterState?: string } }).hsm)
        .map((hsm) => hsm?.clusterState);
      expect(waitedOn).toEqual(expect.arrayContaining(["MODIFY_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"]));
    });
  });

  it("returns CONNECTED with a rotated password when an HSM was replaced since the CLI was last configured", async () => {
    const { id, cluster } = await newStore();
    await run({ customKeyStoreId: id });
    const second = cluster.hsms[1];
    if (!second) throw new Error("the seeded cluster has two HSMs");
    // The replacement: the old HSM deleted, a new one (a new address) in its AZ; the CLI's configuration still
    // names the old address until the adapter rebuilds it.
    const cloudhsm = account.cloudhsm();
    await cloudhsm.send(new DeleteHsmCommand({ ClusterId: cluster.clusterId, HsmId: second.HsmId }));
    await cloudhsm.send(
      new CreateHsmCommand({ ClusterId: cluster.clusterId, AvailabilityZone: second.AvailabilityZone }),
    );
    await account.advance("10m");

    const done = await run({ customKeyStoreId: id });

    expect(done).toMatchObject({ status: "SUCCEEDED" });
    expect((await describeStore(patientKms(account), id)).ConnectionState).toBe("CONNECTED");
  });

  it.each([
    [{ customKeyStoreId: "cks-0000000000000000a" }, "KeyStoreNotFound"],
    [{ customKeyStoreId: "not-a-store" }, "InvalidInput"],
    [{ customKeyStoreId: "cks-0000000000000000a", adminPassword: "x" }, "InvalidInput"],
  ])("returns %j → %s fast and creates no secret when the input is bad", async (input, error) => {
    const done = await run(input);

    expect(done).toMatchObject({ status: "FAILED", error });
    await expect(
      sm.send(new DescribeSecretCommand({ SecretId: "keystore-autopilot/kmsuser/cks-0000000000000000a" })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("returns no password in any log line, execution history or event after the suite", async () => {
    const logsDir = join(account.dataDir, "logs");
    const logs = readdirSync(logsDir).map((f) => readFileSync(join(logsDir, f), "utf8"));
    const executions =
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, maxResults: 1000 }))).executions ?? [];
    const histories: string[] = [];
    for (const e of executions) {
      const history = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn: e.executionArn, maxResults: 1000 }),
      );
      histories.push(JSON.stringify(history.events));
    }
    const events = JSON.stringify(await account.events());
    const captured = [...logs, ...histories, events, account.log].join("\n");

    expect(passwords.size).toBeGreaterThan(5);
    expect(executions.length).toBeGreaterThan(5);
    for (const password of passwords) expect(captured.includes(password)).toBe(false);
  });
});

/** The CloudHSM CLI binary missing from the functions (a broken layer): the spawn fails with ENOENT. */
describe("connect-key-store workflow when the CloudHSM CLI cannot be started", () => {
  let account: LocalAccountProcess;
  let sfn: SFNClient;

  beforeAll(async () => {
    account = await LocalAccountProcess.start({
      entry: "local/start.ts",
      env: { LOCAL_RUNTIME_CLOUDHSM_CLI_PATH: "/nonexistent/cloudhsm-cli" },
    });
    sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS, maxAttempts: 5 });
  });
  afterAll(() => account.stop());

  async function finish(executionArn: string) {
    for (let i = 0; i < 400; i++) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== "RUNNING") return d;
      const history = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }),
      );
      const last = history.events?.[0]?.type ?? "";
      if (last === "WaitStateEntered") await account.advance("5m");
      else if (/Failed$|TimedOut$/.test(last)) await account.advance("30s");
      await new Promise((r) => setTimeout(r, 40));
    }
    throw new Error(`execution ${executionArn} did not finish`);
  }

  async function idle(id: string) {
    for (let i = 0; i < 400; i++) {
      const all =
        (await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, maxResults: 1000 }))).executions ?? [];
      const running = all.filter((e) => e.name?.startsWith(id) && e.status === "RUNNING");
      if (running.length === 0) return;
      for (const e of running) await finish(e.executionArn as string);
    }
  }

  it("returns HsmPathUnavailable with the store still CONNECTED, no disconnect and no HSM added", async () => {
    const cluster = await seedCluster(account, { kmsuserPassword: "Kmsuser0Passw0rd" });
    const kms = patientKms(account);
    const id = await createStore(kms, cluster, "cli-missing");
    await new SecretsManagerClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS }).send(
      new CreateSecretCommand({
        Name: `keystore-autopilot/admin/${cluster.clusterId}`,
        SecretString: JSON.stringify({ username: "admin", password: cluster.adminPassword }),
      }),
    );
    // Connected by its owner with the password KMS was given at creation (no CLI needed for that).
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    for (let i = 0; i < 100 && (await describeStore(kms, id)).ConnectionState !== "CONNECTED"; i++) {
      await account.advance("1m");
      await new Promise((r) => setTimeout(r, 50));
    }
    await idle(id);
    expect((await describeStore(kms, id)).ConnectionState).toBe("CONNECTED");
    const after = (await account.events()).at(-1)?.seq ?? 0;

    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: MACHINE,
        name: `rotate-${id}`,
        input: JSON.stringify({ customKeyStoreId: id }),
      }),
    );
    const done = await finish(executionArn as string);

    expect(done).toMatchObject({ status: "FAILED", error: "HsmPathUnavailable" });
    expect((await describeStore(kms, id)).ConnectionState).toBe("CONNECTED");
    const made = (await account.events(after)).map((e) => (e.event.detail as { eventName?: string }).eventName);
    expect(made).not.toContain("DisconnectCustomKeyStore");
    expect(made).not.toContain("CreateHsm");
  });
});
