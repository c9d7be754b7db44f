import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import {
  ConnectCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  type KMSClient,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
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
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { STSClient } from "@aws-sdk/client-sts";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { createStore, describeStore, patientKms, seedCluster, tokenKeys } from "../../local/account/driver";
import { CREDENTIALS, LocalAccountProcess, ROOT } from "../../local/account/process";
import { callerArn } from "../../src/adapters/caller-identity";
import { StepFunctionsExecutions } from "../../src/adapters/executions";
import { DynamoOrphanRegister } from "../../src/adapters/orphan-register";
import { DynamoProofs } from "../../src/adapters/proofs";
import { resolveApproval } from "../../src/workflows/orphan-cleanup/approval";

const REGION = "us-east-1";
const PREFIX = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-";
const CLEANUP = `${PREFIX}orphanCleanup`;
const CONNECT = `${PREFIX}connectKeyStore`;
const FOLLOW_UP = `${PREFIX}deletionFollowUp`;
const TABLE = "keystore-autopilot-dev-orphans";
/** What the local account's sts:GetCallerIdentity answers for every caller. */
const OPERATOR = "arn:aws:iam::111122223333:user/local-operator";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Each test drives a chain of events, functions and executions; on a loaded machine that takes minutes (a bound).
jest.setTimeout(300_000);

/** orphan-cleanup on the local account with serverless.yml deployed, through the real SDK. */
describe("orphan-cleanup workflow on the local account", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let sfn: SFNClient;
  let sm: SecretsManagerClient;
  let sts: STSClient;
  let db: DynamoDBDocumentClient;
  const passwords = new Set<string>();
  /** What the CLI printed, for the token scan. */
  const cliOutputs: string[] = [];
  const secretIds = new Set<string>();
  let n = 0;
  /** A store left CONNECTED and clean by an earlier test: the account has room for only 10 custom key stores. */
  let cleanStore: Awaited<ReturnType<typeof storeWithKeys>> | undefined;
  /** A CONNECTED store the forged-alert test leaves untouched; reused where a test needs any store (10 per account). */
  let quietStore: Awaited<ReturnType<typeof storeWithKeys>> | undefined;

  beforeAll(async () => {
    account = await LocalAccountProcess.start({ entry: "local/start.ts" });
    kms = patientKms(account);
    sfn = new SFNClient({ endpoint: account.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 5 });
    sm = new SecretsManagerClient({ endpoint: account.endpoint, region: REGION, credentials: CREDENTIALS });
    sts = new STSClient({ endpoint: account.endpoint, region: REGION, credentials: CREDENTIALS });
    db = await account.register();
  });
  afterEach(() => collectSecretValues());
  afterAll(() => account.stop());

  const list = async (machine: string) =>
    (await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1000 }))).executions ?? [];
  const history = async (executionArn: string): Promise<HistoryEvent[]> =>
    (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];

  /** Polls until `done`; the bound is generous (a loaded CI machine runs the chain of functions slowly). */
  async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
    let last: T | undefined;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      last = await probe();
      if (done(last)) return last;
      await sleep(50);
    }
    throw new Error(`Gave up waiting for ${what}; last seen: ${JSON.stringify(last)}`);
  }

  /** No Lambda invocation in flight, twice in a row: the clock may move without timing a task out. */
  async function calm() {
    let quietChecks = 0;
    for (let i = 0; i < 600 && quietChecks < 2; i++) {
      await sleep(100);
      const { invocations } = await account.control<{ invocations: { status: string }[] }>(
        "GET",
        "/_local/invocations",
      );
      quietChecks = invocations.some((inv) => inv.status === "running") ? 0 : quietChecks + 1;
    }
  }

  /** Moves the simulated clock only between tasks (task timeouts run on the same clock). */
  async function tick(by: string) {
    await calm();
    await account.advance(by);
    await calm();
  }

  /** Moves the simulated clock to the next hh:00 UTC. */
  async function toNextHourUtc(hour: number) {
    const now = await account.now();
    const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour));
    if (next <= now) next.setUTCDate(next.getUTCDate() + 1);
    await tick(`${Math.ceil((next.getTime() - now.getTime()) / 1000)}s`);
  }

  async function connectNow(id: string) {
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await tick("21m");
    await quiet(CONNECT, id);
  }

  /** Every execution of a machine whose input names the store has ended. */
  async function quiet(machine: string, id: string) {
    await until(
      async () => {
        const running = (await list(machine)).filter((e) => e.status === "RUNNING");
        const mine = [];
        for (const e of running) {
          const d = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
          if (d.input?.includes(id)) mine.push(e.name);
        }
        return mine;
      },
      (mine) => mine.length === 0,
      `${machine} executions of ${id} to end`,
    );
  }

  /** Puts events on the default bus as anyone allowed events:PutEvents there could. */
  function putOnDefaultBus(entries: PutEventsRequestEntry[]) {
    const events = new EventBridgeClient({ endpoint: account.endpoint, region: REGION, credentials: CREDENTIALS });
    return events.send(new PutEventsCommand({ Entries: entries }));
  }

  /** A CONNECTED store with `keys` keys and its admin secret (the password stays in Secrets Manager). */
  async function storeWithKeys(keys: number) {
    const cluster = await seedCluster(account);
    for (const p of [cluster.adminPassword, cluster.kmsuserPassword]) if (p) passwords.add(p);
    n += 1;
    const id = await createStore(kms, cluster, `cleanup-${n}`);
    await sm.send(
      new CreateSecretCommand({
        Name: `keystore-autopilot/admin/${cluster.clusterId}`,
        SecretString: JSON.stringify({ username: "admin", password: cluster.adminPassword }),
      }),
    );
    secretIds.add(`keystore-autopilot/kmsuser/${id}`);
    await connectNow(id);
    const keyIds: string[] = [];
    for (let i = 0; i < keys; i++) {
      const out = await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: id }));
      keyIds.push(out.KeyMetadata?.KeyId as string);
    }
    return { id, cluster, keyIds, arn: (keyId: string) => `arn:aws:kms:${REGION}:111122223333:key/${keyId}` };
  }

  /**
   * Deletes keys while the store is disconnected, so KMS's best-effort deletion of their material fails: orphans.
   * The follow-ups register them and each books the store's next cleanup window.
   */
  async function orphan(store: { id: string }, keyIds: string[]) {
    // The orphans are registered eight days on at the time of day this starts, and the clock stops 1h21m later. From
    // 04:00 UTC the 03:00 window the follow-ups book is still ahead then, whatever time of day earlier tests left the
    // clock at; from between 01:39 and 03:00 it opened and closed in here, leaving no booking to find.
    await toNextHourUtc(4);
    for (const keyId of keyIds) {
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    }
    await until(
      async () => (await list(FOLLOW_UP)).filter((e) => keyIds.some((k) => e.name?.includes(k))).length,
      (count) => count === keyIds.length,
      "the follow-ups to start",
    );
    // KMS deletes a key up to 6 hours (locally) after its DeletionDate; the follow-ups wake 24 hours after it. The
    // clock never moves while a follow-up's check runs (its timeout runs on the same clock).
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }));
    await tick("7d7h");
    await connectNow(store.id);
    await tick("18h");
    for (const keyId of keyIds) {
      await until(
        () => new DynamoOrphanRegister(db, TABLE).get(`arn:aws:kms:${REGION}:111122223333:key/${keyId}`),
        (o) => o !== undefined,
        `the orphan of ${keyId} to be registered`,
      );
    }
  }

  /** Cleanup executions of the store booked by follow-ups and still waiting for their window. */
  const booked = async (id: string) =>
    (await list(CLEANUP)).filter((e) => e.status === "RUNNING" && e.name?.startsWith(`cleanup-${id}-`));
  async function cancelBooked(id: string) {
    const waiting = await until(
      () => booked(id),
      (b) => b.length > 0,
      "the follow-up's booking",
    );
    for (const e of waiting) await sfn.send(new StopExecutionCommand({ executionArn: e.executionArn }));
  }

  async function start(input: Record<string, unknown>) {
    const out = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: CLEANUP, name: `manual-${++n}`, input: JSON.stringify(input) }),
    );
    return out.executionArn as string;
  }

  /** The execution (or the connect it waits on) that is running deepest. */
  async function deepest(executionArn: string): Promise<HistoryEvent | undefined> {
    const events = (await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 })))
      .events;
    const last = events?.[0];
    if (last?.type === "TaskSubmitted" && last.taskSubmittedEventDetails?.resource?.startsWith("startExecution")) {
      const child = JSON.parse(last.taskSubmittedEventDetails.output ?? "{}") as { ExecutionArn?: string };
      if (child.ExecutionArn) return deepest(child.ExecutionArn);
    }
    return last;
  }

  /**
   * Drives an execution to its end: the simulated clock moves only while something waits (a Wait state or a retry's
   * backoff), never while a Lambda runs, whose timeout runs on the same clock.
   */
  async function finish(executionArn: string): Promise<DescribeExecutionCommandOutput> {
    for (let i = 0; i < 1500; i++) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== "RUNNING") return d;
      const last = (await deepest(executionArn))?.type ?? "";
      if (last === "WaitStateEntered") await tick("5m");
      else if (/Failed$|TimedOut$/.test(last)) await tick("1m");
      else await sleep(30);
    }
    throw new Error(`execution ${executionArn} did not finish`);
  }

  const output = (d: DescribeExecutionCommandOutput) => JSON.parse(d.output ?? "{}") as Record<string, unknown>;
  const labels = async (clusterId: string) => (await tokenKeys(account, clusterId)).map((k) => k.label);

  async function roundTrip(keyId: string) {
    const sealed = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`data of ${keyId}`) }));
    const opened = await kms.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: sealed.CiphertextBlob }));
    return Buffer.from(opened.Plaintext ?? new Uint8Array()).toString();
  }

  async function seqNow() {
    return (await account.events()).at(-1)?.seq ?? 0;
  }
  async function calls(after: number, eventName: string, id: string) {
    return (await account.events(after)).filter(
      (e) =>
        e.event.detail?.eventName === eventName &&
        (e.event.detail?.requestParameters as { customKeyStoreId?: string } | undefined)?.customKeyStoreId === id,
    ).length;
  }
  const alerts = async (type: string) =>
    (await account.events())
      .map((e) => e.event)
      .filter((e) => e.source === "keystore-autopilot" && (e.detail as { type?: string }).type === type);

  async function collectSecretValues() {
    for (const secretId of secretIds) {
      const described = await sm.send(new DescribeSecretCommand({ SecretId: secretId })).catch(() => undefined);
      for (const versionId of Object.keys(described?.VersionIdsToStages ?? {})) {
        const value = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }));
        const parsed = JSON.parse(value.SecretString ?? "{}") as { password?: string };
        if (parsed.password) passwords.add(parsed.password);
      }
    }
  }

  it("returns SUCCEEDED with both orphans deleted in one booked window, one disconnect and one connect", async () => {
    const store = await storeWithKeys(3);
    const [live, a, b] = store.keyIds as [string, string, string];
    await orphan(store, [a, b]);
    expect(await labels(store.cluster.clusterId)).toEqual(expect.arrayContaining([store.arn(a), store.arn(b)]));
    // Two orphans, one booking: they wait for the same window.
    const bookings = await until(
      () => booked(store.id),
      (l) => l.length > 0,
      "the booking",
    );
    await sleep(500);
    expect(await booked(store.id)).toHaveLength(1);
    const before = await seqNow();

    await tick("1d");
    const done = await finish(bookings[0]?.executionArn as string);

    expect(done.status).toBe("SUCCEEDED");
    expect(output(done)).toMatchObject({
      status: "SUCCEEDED",
      connectionState: "CONNECTED",
      deleted: 2,
      remaining: 0,
      sweep: expect.objectContaining({ deleted: 2, missingLive: 0, held: false }),
    });
    const left = await labels(store.cluster.clusterId);
    expect(left).toContain(store.arn(live));
    expect(left).not.toContain(store.arn(a));
    expect(left).not.toContain(store.arn(b));
    expect(await roundTrip(live)).toBe(`data of ${live}`);
    expect(await new DynamoOrphanRegister(db, TABLE).get(store.arn(a))).toMatchObject({ resolution: "DELETED" });
    expect(await new DynamoOrphanRegister(db, TABLE).get(store.arn(b))).toMatchObject({ resolution: "DELETED" });
    expect(await calls(before, "DisconnectCustomKeyStore", store.id)).toBe(1);
    expect(await calls(before, "ConnectCustomKeyStore", store.id)).toBe(1);

    // The next daily proof refresh finds the cleanup's `key delete` of each key in the cluster's HSM audit log, tied
    // to that key by the key reference the cleanup deleted (the other key's deletion is left out).
    await tick("1d");
    for (const keyId of [a, b]) {
      const reference = (await new DynamoOrphanRegister(db, TABLE).get(store.arn(keyId)))?.hsmKeyReference as string;
      const proof = await until(
        () => new DynamoProofs(db, TABLE).get(store.arn(keyId)),
        (p) => p?.auditRecords?.status === "FOUND",
        `the audit records in the proof of ${keyId}`,
      );
      expect(proof?.material).toMatchObject({ state: "DELETED", hsmKeyReference: reference });
      expect(proof?.auditRecords).toMatchObject({
        logGroup: `/aws/cloudhsm/${store.cluster.clusterId}`,
        matchedBy: "key-reference",
        leftOut: 1,
        records: [{ opcode: "CN_DESTROY_OBJECT", keyHandle: BigInt(reference).toString(), matchesKeyReference: true }],
      });
    }
    cleanStore = store;
  });

  it("keeps the material of a key KMS cannot see yet: a first sighting is registered DISCOVERED, then resolved", async () => {
    const store = cleanStore ?? (await storeWithKeys(1));
    await tick("3h");
    // KMS is eventually consistent: for a while after CreateKey, ListKeys omits the key and DescribeKey answers
    // NotFoundException (KMS Developer Guide, programming-eventual-consistency). The scan misses it, the sweep finds
    // its material without a KMS key in the snapshot, and KMS says it does not exist.
    await account.control("POST", "/_local/faults", { kind: "kms-eventual-consistency", seconds: 7_200 });
    const fresh = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: store.id })))
      .KeyMetadata?.KeyId as string;

    const first = await finish(await start({ customKeyStoreId: store.id, discover: true, approval: "skip" }));

    expect(first.status).toBe("SUCCEEDED");
    expect(output(first)).toMatchObject({
      connectionState: "CONNECTED",
      sweep: expect.objectContaining({ deleted: 0, discovered: 1 }),
    });
    expect(await labels(store.cluster.clusterId)).toContain(store.arn(fresh));
    expect(await new DynamoOrphanRegister(db, TABLE).get(store.arn(fresh))).toMatchObject({ status: "DISCOVERED" });
    await account.control("DELETE", "/_local/faults");
    expect(await roundTrip(fresh)).toBe(`data of ${fresh}`);

    // The next window, after the quarantine: KMS now lists the key, so the sighting is resolved and nothing deleted.
    await tick("25h");
    const second = await finish(await start({ customKeyStoreId: store.id, discover: true, approval: "skip" }));

    expect(second.status).toBe("SUCCEEDED");
    expect(output(second)).toMatchObject({ sweep: expect.objectContaining({ deleted: 0 }) });
    expect(await new DynamoOrphanRegister(db, TABLE).get(store.arn(fresh))).toMatchObject({ resolution: "KEY_EXISTS" });
    expect(await roundTrip(fresh)).toBe(`data of ${fresh}`);
  });

  it("waits for a connect of the store running when its booked window opens, then cleans in that window", async () => {
    const store = await storeWithKeys(2);
    const [live, gone] = store.keyIds as [string, string];
    await orphan(store, [gone]);
    const [booking] = await until(
      () => booked(store.id),
      (l) => l.length > 0,
      "the booking",
    );
    const bookingArn = booking?.executionArn as string;
    const { notBefore } = JSON.parse(
      (await sfn.send(new DescribeExecutionCommand({ executionArn: bookingArn }))).input ?? "{}",
    ) as { notBefore: string };
    // A minute before the window, someone rotates the store's kmsuser password; a connect takes 4 simulated minutes.
    await calm();
    const toWindow = Date.parse(notBefore) - (await account.now()).getTime();
    await tick(`${Math.max(0, Math.floor(toWindow / 1000) - 60)}s`);
    const rotation = (
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: CONNECT,
          name: `rotate-${store.id}`,
          input: JSON.stringify({ customKeyStoreId: store.id }),
        }),
      )
    ).executionArn as string;
    await tick("2m");

    const refused = await until(
      async () =>
        (
          (await sfn.send(new GetExecutionHistoryCommand({ executionArn: bookingArn, maxResults: 1000 }))).events ?? []
        ).filter((e) => e.type === "LambdaFunctionFailed" || e.type === "TaskFailed"),
      (failed) => failed.some((e) => JSON.stringify(e).includes("ConnectInProgressError")),
      "the window to find the connect running",
    );
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: rotation }))).status).toBe("RUNNING");
    expect(refused.length).toBeGreaterThan(0);
    expect((await finish(rotation)).status).toBe("SUCCEEDED");
    const done = await finish(bookingArn);

    expect(done.status).toBe("SUCCEEDED");
    expect(output(done)).toMatchObject({ status: "SUCCEEDED", connectionState: "CONNECTED", deleted: 1, remaining: 0 });
    const left = await labels(store.cluster.clusterId);
    expect(left).toContain(store.arn(live));
    expect(left).not.toContain(store.arn(gone));
    expect(await roundTrip(live)).toBe(`data of ${live}`);
  });

  it("returns DRY_RUN listing the orphans and never disconnects when dryRun is set", async () => {
    const store = await storeWithKeys(2);
    const [live, gone] = store.keyIds as [string, string];
    await orphan(store, [gone]);
    await cancelBooked(store.id);
    const before = await seqNow();

    const done = await finish(await start({ customKeyStoreId: store.id, dryRun: true }));

    expect(output(done)).toMatchObject({
      status: "DRY_RUN",
      scan: expect.objectContaining({
        storeKeys: 1,
        openOrphans: 1,
        wouldDelete: [{ keyArn: store.arn(gone), backingKeyId: expect.any(String) }],
      }),
    });
    expect(await calls(before, "DisconnectCustomKeyStore", store.id)).toBe(0);
    expect(await labels(store.cluster.clusterId)).toContain(store.arn(gone));
    expect((await describeStore(kms, store.id)).ConnectionState).toBe("CONNECTED");
    expect(await roundTrip(live)).toBe(`data of ${live}`);
  });

  it("changes nothing when an approval or a booking is forged as an operator event on the bus", async () => {
    const store = await storeWithKeys(2);
    const [, gone] = store.keyIds as [string, string];
    await orphan(store, [gone]);
    await cancelBooked(store.id);
    const waiting = await start({ customKeyStoreId: store.id, approval: "required" });
    await until(
      () => history(waiting),
      (h) => h.some((e) => e.type === "TaskSubmitted"),
      "the approval request",
    );
    const before = await seqNow();
    const executionsBefore = (await list(CLEANUP)).length;

    // Anyone with events:PutEvents on the default bus: the old approval and a booking, with a self-declared approver.
    const put = await putOnDefaultBus([
      {
        Source: "keystore-autopilot.operator",
        DetailType: "Orphan Cleanup Approval",
        Detail: JSON.stringify({ executionArn: waiting, decision: "APPROVE", by: "mallory" }),
      },
      {
        Source: "keystore-autopilot.operator",
        DetailType: "Orphan Cleanup Approval",
        Detail: JSON.stringify({ executionArn: waiting, decision: "DENY", by: "mallory" }),
      },
      {
        Source: "keystore-autopilot.operator",
        DetailType: "Orphan Cleanup Booking",
        Detail: JSON.stringify({ customKeyStoreId: store.id }),
      },
    ]);
    expect(put.FailedEntryCount).toBe(0);
    await tick("1m");

    // The events reached the bus, and no rule took them: no function ran on them, the window still waits.
    expect((await account.events(before)).filter((e) => e.event.source === "keystore-autopilot.operator")).toHaveLength(
      3,
    );
    const { invocations } = await account.control<{ invocations: { functionName?: string; event?: unknown }[] }>(
      "GET",
      "/_local/invocations",
    );
    expect(JSON.stringify(invocations)).not.toContain("mallory");
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: waiting }))).status).toBe("RUNNING");
    const after = await history(waiting);
    expect(after.filter((e) => /^Task(Succeeded|Failed)$/.test(e.type ?? ""))).toEqual([]);
    expect(after.at(-1)?.type).toBe("TaskSubmitted");
    expect(await list(CLEANUP)).toHaveLength(executionsBefore);
    expect(await calls(before, "DisconnectCustomKeyStore", store.id)).toBe(0);

    await resolveApproval(
      { executions: new StepFunctionsExecutions(sfn), caller: () => callerArn(sts) },
      { executionArn: waiting, decision: "DENY", reason: "test over" },
    );
    expect(output(await finish(waiting))).toMatchObject({ status: "DENIED" });
  });

  it("books nothing when an OrphanedKeyMaterial alert is forged for a store with no orphan in the register", async () => {
    const store = await storeWithKeys(1);
    quietStore = store;
    const before = await seqNow();
    const executionsBefore = (await list(CLEANUP)).length;

    // The product's own alert source and shape, put by anyone with events:PutEvents on the default bus.
    const put = await putOnDefaultBus([
      {
        Source: "keystore-autopilot",
        DetailType: "Keystore Autopilot Alert",
        Detail: JSON.stringify({ type: "OrphanedKeyMaterial", customKeyStoreId: store.id, forgedBy: "mallory" }),
      },
    ]);
    expect(put.FailedEntryCount).toBe(0);
    await tick("1m");

    // The rule took it (the starter ran on it), and the register, holding no orphan of the store, booked nothing.
    const { invocations } = await account.control<{ invocations: { functionName?: string; event?: unknown }[] }>(
      "GET",
      "/_local/invocations",
    );
    expect(invocations.filter((i) => JSON.stringify(i.event ?? {}).includes("mallory")).length).toBeGreaterThan(0);
    expect(await list(CLEANUP)).toHaveLength(executionsBefore);
    expect(await calls(before, "DisconnectCustomKeyStore", store.id)).toBe(0);
    expect((await describeStore(kms, store.id)).ConnectionState).toBe("CONNECTED");
  });

  it("returns DENIED and APPROVAL_TIMED_OUT without touching the store, and cleans after an approval", async () => {
    const store = await storeWithKeys(2);
    const [, gone] = store.keyIds as [string, string];
    await orphan(store, [gone]);
    await cancelBooked(store.id);
    const waitingForApproval = async (arn: string) =>
      until(
        () => history(arn),
        (h) => h.some((e) => e.type === "TaskSubmitted"),
        "the approval request",
      );
    const before = await seqNow();

    const denied = await start({ customKeyStoreId: store.id, approval: "required" });
    await waitingForApproval(denied);
    await resolveApproval(
      { executions: new StepFunctionsExecutions(sfn), caller: () => callerArn(sts) },
      { executionArn: denied, decision: "DENY", reason: "not this week" },
    );
    expect(output(await finish(denied))).toMatchObject({
      status: "DENIED",
      reason: `not this week (denied by ${OPERATOR})`,
    });

    const timedOut = await start({ customKeyStoreId: store.id, approval: "required", approvalTimeoutSeconds: 3600 });
    await waitingForApproval(timedOut);
    await tick("2h");
    expect(output(await finish(timedOut))).toMatchObject({ status: "APPROVAL_TIMED_OUT" });
    expect(await calls(before, "DisconnectCustomKeyStore", store.id)).toBe(0);
    expect(await labels(store.cluster.clusterId)).toContain(store.arn(gone));
    await expect(
      resolveApproval(
        { executions: new StepFunctionsExecutions(sfn), caller: () => callerArn(sts) },
        { executionArn: timedOut, decision: "APPROVE" },
      ),
    ).rejects.toMatchObject({
      name: "NotAwaitingApprovalError",
    });

    const approved = await start({ customKeyStoreId: store.id, approval: "required" });
    await waitingForApproval(approved);
    expect(await alerts("OrphanCleanupApprovalRequested")).toContainEqual(
      expect.objectContaining({ detail: expect.objectContaining({ customKeyStoreId: store.id }) }),
    );
    // The CLI, by execution name, as an operator answers the alert.
    const cli = spawnSync(join(ROOT, "bin/keystore-autopilot"), ["approve", approved.split(":").pop() as string], {
      cwd: ROOT,
      env: { ...process.env, LOCAL_ACCOUNT_ENDPOINT: account.endpoint, NO_COLOR: "1" },
      encoding: "utf8",
    });
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain(`Approved by ${OPERATOR}:`);
    cliOutputs.push(cli.stdout, cli.stderr);
    // Who approved is the caller's identity (sts:GetCallerIdentity), in the history; no field names it.
    const succeeded = (await history(approved)).find(
      (e) => e.type === "TaskSucceeded" && e.taskSucceededEventDetails?.resource === "invoke.waitForTaskToken",
    );
    expect(JSON.parse(succeeded?.taskSucceededEventDetails?.output ?? "{}")).toEqual({
      approved: true,
      approvedBy: OPERATOR,
    });
    const again = spawnSync(join(ROOT, "bin/keystore-autopilot"), ["approve", approved], {
      cwd: ROOT,
      env: { ...process.env, LOCAL_ACCOUNT_ENDPOINT: account.endpoint, NO_COLOR: "1" },
      encoding: "utf8",
    });
    cliOutputs.push(again.stdout, again.stderr);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain("not waiting for an approval");
    const done = await finish(approved);
    expect(output(done)).toMatchObject({ status: "SUCCEEDED", deleted: 1, connectionState: "CONNECTED" });
    expect(await labels(store.cluster.clusterId)).not.toContain(store.arn(gone));
  });

  it("keeps every candidate when KMS throttles the re-check, and still reconnects the store", async () => {
    const store = await storeWithKeys(2);
    const [live, gone] = store.keyIds as [string, string];
    await orphan(store, [gone]);
    await cancelBooked(store.id);
    const arn = await start({ customKeyStoreId: store.id, approval: "required" });
    await until(
      () => history(arn),
      (h) => h.some((e) => e.type === "TaskSubmitted"),
      "the approval request",
    );
    // From here on DescribeKey is throttled: the scan is done, the re-checks are not.
    await account.arm({ kind: "throttle", operation: "kms:DescribeKey", count: 100 });
    await resolveApproval(
      { executions: new StepFunctionsExecutions(sfn), caller: () => callerArn(sts) },
      { executionArn: arn, decision: "APPROVE" },
    );

    const done = await finish(arn);
    await account.control("DELETE", "/_local/faults");

    expect(output(done)).toMatchObject({ status: "SUCCEEDED", deleted: 0, remaining: 1, connectionState: "CONNECTED" });
    const sweep = output(done).sweep as { keptKeys: { keyArn?: string; reason: string }[] };
    expect(sweep.keptKeys).toContainEqual(
      expect.objectContaining({ keyArn: store.arn(gone), reason: expect.stringContaining("ThrottlingException") }),
    );
    expect(await labels(store.cluster.clusterId)).toContain(store.arn(gone));
    expect(await roundTrip(live)).toBe(`data of ${live}`);
  });

  it("reconnects the store, alerts and reports the orphans left when the CLI fails in the middle of the batch", async () => {
    const store = await storeWithKeys(3);
    const [live, a, b] = store.keyIds as [string, string, string];
    await orphan(store, [a, b]);
    await cancelBooked(store.id);
    await account.arm({
      kind: "cli-error",
      command: "key delete",
      message: "HSM returned an internal error",
      after: 1,
    });

    const done = await finish(await start({ customKeyStoreId: store.id }));

    expect(done.status).toBe("FAILED");
    expect(done.error).toBe("OrphanCleanupFailed");
    expect((await describeStore(kms, store.id)).ConnectionState).toBe("CONNECTED");
    const left = (await labels(store.cluster.clusterId)).filter((l) => l === store.arn(a) || l === store.arn(b));
    expect(left).toHaveLength(1);
    const failedAlert = (await alerts("OrphanCleanupFailed")).find(
      (e) => (e.detail as { customKeyStoreId?: string }).customKeyStoreId === store.id,
    );
    expect(failedAlert?.detail).toMatchObject({
      details: expect.objectContaining({ remaining: 1, connectionState: "CONNECTED" }),
    });
    expect(await new DynamoOrphanRegister(db, TABLE).get(left[0] as string)).not.toHaveProperty("resolution");
    expect(await roundTrip(live)).toBe(`data of ${live}`);
  });

  it("raises a CRITICAL alert naming the store's state when the reconnect at the end fails", async () => {
    const store = await storeWithKeys(2);
    const [, gone] = store.keyIds as [string, string];
    await orphan(store, [gone]);
    await cancelBooked(store.id);
    await account.arm({
      kind: "connect-error",
      connectionErrorCode: "SUBNET_NOT_FOUND",
      customKeyStoreId: store.id,
      count: 5,
    });

    const done = await finish(await start({ customKeyStoreId: store.id }));
    await account.control("DELETE", "/_local/faults");

    expect(done.status).toBe("FAILED");
    expect(await labels(store.cluster.clusterId)).not.toContain(store.arn(gone));
    const state = (await describeStore(kms, store.id)).ConnectionState;
    expect(state).not.toBe("CONNECTED");
    const alert = (await alerts("OrphanCleanupFailed")).find(
      (e) => (e.detail as { customKeyStoreId?: string }).customKeyStoreId === store.id,
    );
    expect(alert?.detail).toMatchObject({
      severity: "CRITICAL",
      details: expect.objectContaining({ outcome: "reconnect-failed", connectionState: state }),
    });
  });

  it("deletes nothing and alerts KeyMaterialMissing when a live key's material carries an orphan's label", async () => {
    const store = await storeWithKeys(2);
    const [live, gone] = store.keyIds as [string, string];
    await orphan(store, [gone]);
    await cancelBooked(store.id);
    // Someone relabelled the live key's material with the deleted key's ARN: two keys now share that label, and the
    // live key has no material under its own label.
    const liveMaterial = (await tokenKeys(account, store.cluster.clusterId)).find((k) => k.label === store.arn(live));
    await account.control("POST", "/_local/actions/set-key-label", {
      clusterId: store.cluster.clusterId,
      id: liveMaterial?.id,
      label: store.arn(gone),
    });

    const done = await finish(await start({ customKeyStoreId: store.id }));

    expect(output(done)).toMatchObject({
      status: "SUCCEEDED",
      deleted: 0,
      remaining: 1,
      sweep: expect.objectContaining({ held: true, missingLive: 1, missingLiveKeys: [store.arn(live)] }),
    });
    expect((await tokenKeys(account, store.cluster.clusterId)).filter((k) => k.label === store.arn(gone))).toHaveLength(
      2,
    );
    expect(await roundTrip(live)).toBe(`data of ${live}`);
    expect(await alerts("KeyMaterialMissing")).toContainEqual(
      expect.objectContaining({
        detail: expect.objectContaining({ customKeyStoreId: store.id, severity: "CRITICAL" }),
      }),
    );
  });

  it("fails fast and changes nothing for an unknown store, an XKS-shaped id, or a malformed orphan record", async () => {
    const unknown = await finish(await start({ customKeyStoreId: "cks-0000000000000000" }));
    expect(unknown.error).toBe("KeyStoreNotFound");
    const bad = await finish(await start({ customKeyStoreId: "not-a-store" }));
    expect(bad.error).toBe("InvalidInput");
    expect(JSON.stringify(await history(bad.executionArn as string))).toContain("customKeyStoreId must look like");

    const store = quietStore ?? (await storeWithKeys(1));
    await db.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          pk: "ORPHAN#broken",
          kind: "orphan",
          customKeyStoreId: store.id,
          keyArn: "not-an-arn",
          status: "FAILURE",
          foundAt: "x",
          followUp: "x",
        },
      }),
    );
    const before = await seqNow();
    const malformed = await finish(await start({ customKeyStoreId: store.id }));
    expect(malformed.error).toBe("ScanFailed");
    expect(JSON.stringify(await history(malformed.executionArn as string))).toContain("OrphanRecordInvalidError");
    expect(await calls(before, "DisconnectCustomKeyStore", store.id)).toBe(0);
    expect((await describeStore(kms, store.id)).ConnectionState).toBe("CONNECTED");
  });

  it("leaks no task token into logs, events or the CLI's output", async () => {
    const tokens = new Set<string>();
    for (const e of await list(CLEANUP)) {
      for (const h of await history(e.executionArn as string)) {
        if (h.type !== "TaskScheduled" || h.taskScheduledEventDetails?.resource !== "invoke.waitForTaskToken") continue;
        const token = (
          JSON.parse(h.taskScheduledEventDetails.parameters ?? "{}") as { Payload?: { taskToken?: string } }
        ).Payload?.taskToken;
        if (token) tokens.add(token);
      }
    }
    expect(tokens.size).toBeGreaterThan(2);
    expect(cliOutputs.length).toBeGreaterThan(0);
    const captured: string[] = [...cliOutputs];
    const logDir = join(account.dataDir, "logs");
    for (const file of readdirSync(logDir)) captured.push(readFileSync(join(logDir, file), "utf8"));
    captured.push(JSON.stringify(await account.events()));
    captured.push(account.log);
    const text = captured.join("\n");
    for (const token of tokens) expect(text.includes(token)).toBe(false);
  });

  it("leaks no password into logs, execution histories or events", async () => {
    await collectSecretValues();
    expect(passwords.size).toBeGreaterThan(3);
    const captured: string[] = [];
    const logDir = join(account.dataDir, "logs");
    for (const file of readdirSync(logDir)) captured.push(readFileSync(join(logDir, file), "utf8"));
    for (const machine of [CLEANUP, CONNECT, FOLLOW_UP]) {
      for (const e of await list(machine)) captured.push(JSON.stringify(await history(e.executionArn as string)));
    }
    captured.push(JSON.stringify(await account.events()));
    captured.push(account.log);
    const text = captured.join("\n");
    for (const password of passwords) expect(text.includes(password)).toBe(false);
  });
});
