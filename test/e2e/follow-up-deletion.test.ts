import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  type KMSClient,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { connect, createStore, disconnect, patientKms, seedCluster, tokenKeys } from "../../local/account/driver";
import { CREDENTIALS, LocalAccountProcess, ROOT } from "../../local/account/process";
import { DynamoOrphanRegister } from "../../src/adapters/orphan-register";

const MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-deletionFollowUp";
const EVENTS_FN = "keystore-autopilot-dev-followUpEvents";
const TABLE = "keystore-autopilot-dev-orphans";
const scheduleFixture = JSON.parse(readFileSync(join(ROOT, "test/events/schedule-key-deletion.json"), "utf8"));

async function eventually<T>(
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  what: string,
  tick?: () => Promise<unknown>,
) {
  let last: T | undefined;
  for (let i = 0; i < 600; i++) {
    last = await probe();
    if (done(last)) return last;
    // Retry backoff runs on the simulated clock: move it along now and then, slower than any task's timeout.
    if (tick && i % 10 === 9) await tick();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Gave up waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

/** The deletion follow-up on the local account with serverless.yml deployed (npm start), through the real SDK. */
describe("deletion follow-up on the local runtime", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let sfn: SFNClient;
  let db: DynamoDBDocumentClient;
  let storeId: string;
  let clusterId: string;
  const passwords: string[] = [];

  const executionsOf = async (keyId: string): Promise<ExecutionListItem[]> =>
    (
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, maxResults: 1000 }))).executions ?? []
    ).filter((e) => e.name?.startsWith(`followup-${keyId}-`));
  const history = async (executionArn: string): Promise<HistoryEvent[]> =>
    (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
  const waiting = async (keyId: string) => {
    const [execution] = await eventually(
      () => executionsOf(keyId),
      (l) => l.length > 0,
      "the follow-up to start",
    );
    const arn = execution?.executionArn as string;
    await eventually(
      () => history(arn),
      (h) => h.some((e) => e.type === "WaitStateEntered"),
      "the wait",
    );
    return arn;
  };
  const finished = (arn: string, tick?: () => Promise<unknown>) =>
    eventually(
      () => sfn.send(new DescribeExecutionCommand({ executionArn: arn })),
      (d) => d.status !== "RUNNING",
      "the follow-up to finish",
      tick,
    );
  const newKey = async (store = storeId) =>
    (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: store }))).KeyMetadata
      ?.KeyId as string;
  const alerts = async () =>
    (await account.events()).map((e) => e.event).filter((e) => e.source === "keystore-autopilot");
  const invocations = async () =>
    (
      await account.control<{ invocations: { event: unknown; result?: unknown; status: string }[] }>(
        "GET",
        `/_local/invocations?function=${EVENTS_FN}`,
      )
    ).invocations;

  beforeAll(async () => {
    account = await LocalAccountProcess.start({ entry: "local/start.ts" });
    kms = patientKms(account);
    sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS, maxAttempts: 1 });
    const cluster = await seedCluster(account);
    passwords.push(...[cluster.adminPassword, cluster.kmsuserPassword].filter((p): p is string => Boolean(p)));
    clusterId = cluster.clusterId;
    storeId = await createStore(kms, cluster, "follow-up-store");
    await connect(account, kms, storeId);
    db = await account.register({ maxAttempts: 1 });
  });
  afterAll(() => account.stop());

  it("returns MATERIAL_DELETED with the cluster's backups and no orphan when the key is deleted while connected", async () => {
    const keyId = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const arn = await waiting(keyId);

    await account.advance("8d");
    const done = await finished(arn);

    expect(done.status).toBe("SUCCEEDED");
    const output = JSON.parse(done.output ?? "{}");
    expect(output).toMatchObject({ result: "MATERIAL_DELETED", deletionStatus: "SUCCESS", customKeyStoreId: storeId });
    expect(output.backups.length).toBeGreaterThan(0);
    expect(output.backups[0]).toEqual(
      expect.objectContaining({ backupId: expect.any(String), expiresAt: expect.any(String) }),
    );
    expect(await new DynamoOrphanRegister(db, TABLE).get(output.keyArn)).toBeUndefined();
    const entered = (await history(arn)).filter((e) => e.type?.endsWith("StateEntered"));
    expect(entered.length).toBeLessThanOrEqual(12);
  });

  it("returns ORPHAN_REGISTERED, a register entry and an alert when the store is disconnected during the deletion", async () => {
    const cluster = await seedCluster(account);
    passwords.push(...[cluster.adminPassword, cluster.kmsuserPassword].filter((p): p is string => Boolean(p)));
    const orphanStore = await createStore(kms, cluster, "follow-up-orphans");
    await connect(account, kms, orphanStore);
    const keyId = await newKey(orphanStore);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const arn = await waiting(keyId);
    await disconnect(account, kms, orphanStore);

    await account.advance("8d");
    const done = await finished(arn);

    expect(done.status).toBe("SUCCEEDED");
    const output = JSON.parse(done.output ?? "{}");
    expect(output).toMatchObject({ result: "ORPHAN_REGISTERED", deletionStatus: "FAILURE", orphanStatus: "FAILURE" });
    const orphan = await new DynamoOrphanRegister(db, TABLE).get(output.keyArn);
    expect(orphan).toMatchObject({
      keyArn: output.keyArn,
      customKeyStoreId: orphanStore,
      clusterId: cluster.clusterId,
      status: "FAILURE",
      followUp: done.name,
      backingKeyId: expect.any(String),
    });
    expect((await tokenKeys(account, cluster.clusterId)).map((k) => k.label)).toContain(output.keyArn);
    expect(await alerts()).toContainEqual(
      expect.objectContaining({
        detail: expect.objectContaining({ type: "OrphanedKeyMaterial", keyArn: output.keyArn }),
      }),
    );
  });

  it("returns an aborted follow-up when CancelKeyDeletion comes after the wait started", async () => {
    const keyId = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const arn = await waiting(keyId);

    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));

    expect((await finished(arn)).status).toBe("ABORTED");
  });

  it("returns a new follow-up when the same key is scheduled for deletion again after a cancel", async () => {
    const keyId = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const first = await waiting(keyId);
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    await finished(first);
    await account.advance("1h");

    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 10 }));

    const list = await eventually(
      () => executionsOf(keyId),
      (l) => l.length === 2,
      "a second follow-up",
    );
    expect(new Set(list.map((e) => e.name)).size).toBe(2);
    expect(list.filter((e) => e.status === "RUNNING")).toHaveLength(1);
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
  });

  it("returns CANCELLED without waiting when the Cancel event arrives before the Schedule event", async () => {
    const keyId = await newKey();
    const keyArn = `arn:aws:kms:us-east-1:111122223333:key/${keyId}`;
    const cancel = {
      ...scheduleFixture.detail,
      eventName: "CancelKeyDeletion",
      requestParameters: { keyId },
      responseElements: { keyId: keyArn },
    };
    await account.control("POST", "/_local/events", {
      source: "aws.kms",
      "detail-type": "AWS API Call via CloudTrail",
      detail: cancel,
    });
    // Deliveries run concurrently: the Cancel must have been handled (finding nothing to stop) before the Schedule
    // arrives, or it would rightly stop the new execution (ABORTED) instead.
    await eventually(
      invocations,
      (l) =>
        l.some(
          (i) =>
            JSON.stringify(i.event).includes(`"CancelKeyDeletion"`) &&
            JSON.stringify(i.event).includes(keyId) &&
            i.status === "succeeded",
        ),
      "the Cancel event to be handled",
    );
    const schedule = scheduleWith(keyArn, storeId, clusterId);

    await account.control("POST", "/_local/events", schedule);

    const [execution] = await eventually(
      () => executionsOf(keyId),
      (l) => l.length > 0,
      "the follow-up to start",
    );
    const done = await finished(execution?.executionArn as string);
    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output ?? "{}")).toEqual({ result: "CANCELLED", keyArn, reason: "CANCELLED" });
  });

  it("returns exactly one execution per key when deliveries are duplicated and reordered", async () => {
    await account.control("POST", "/_local/runtime/delivery", { duplicates: 2, reorder: true });
    try {
      const keyId = await newKey();
      const keyArn = `arn:aws:kms:us-east-1:111122223333:key/${keyId}`;
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
      const arn = await waiting(keyId);
      // The very record KMS wrote, delivered once more by hand on top of the runtime's duplicates.
      const original = (await account.events())
        .map((e) => e.event)
        .find((e) => e.detail.eventName === "ScheduleKeyDeletion" && JSON.stringify(e.detail).includes(keyArn));
      await account.control("POST", "/_local/events", {
        source: "aws.kms",
        "detail-type": "AWS API Call via CloudTrail",
        detail: original?.detail,
      });
      await eventually(
        invocations,
        (list) => list.filter((i) => JSON.stringify(i.event).includes(keyId) && i.status !== "running").length >= 6,
        "every delivery to be handled",
      );

      expect(await executionsOf(keyId)).toHaveLength(1);
      await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
      expect((await finished(arn)).status).toBe("ABORTED");
    } finally {
      await account.control("POST", "/_local/runtime/delivery", { duplicates: 0, reorder: false });
    }
  });

  it("returns MATERIAL_DELETED when KMS throttles DescribeKey during the checks", async () => {
    const keyId = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const arn = await waiting(keyId);
    await account.arm({ kind: "throttle", operation: "kms:DescribeKey", count: 3 });

    await account.advance("8d");
    const done = await finished(arn, () => account.advance("30s"));

    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output ?? "{}")).toMatchObject({ result: "MATERIAL_DELETED" });
  });

  it("returns FollowUpFailed and an alert after bounded retries when KMS keeps failing when the follow-up wakes", async () => {
    const keyId = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const arn = await waiting(keyId);
    await account.arm({ kind: "internal-error", operation: "kms:DescribeKey", count: 1000 });
    try {
      await account.advance("8d");
      const done = await finished(arn, () => account.advance("30s"));

      expect(done).toMatchObject({ status: "FAILED", error: "FollowUpFailed" });
      const failures = (await history(arn)).filter((e) => e.type === "LambdaFunctionFailed");
      expect(failures.length).toBeGreaterThan(1);
      expect(failures.every((f) => f.lambdaFunctionFailedEventDetails?.error === "KMSInternalException")).toBe(true);
      expect(await alerts()).toContainEqual(
        expect.objectContaining({ detail: expect.objectContaining({ type: "FollowUpFailed" }) }),
      );
    } finally {
      await account.control("DELETE", "/_local/faults");
    }
  });

  it("returns ignored when a Schedule record has no deletionDate and DescribeKey finds the key not pending, rejected when from a foreign account", async () => {
    const keyId = await newKey();
    const keyArn = `arn:aws:kms:us-east-1:111122223333:key/${keyId}`;
    const missing = scheduleWith(keyArn, storeId, clusterId);
    delete (missing.detail.responseElements as Record<string, unknown>).deletionDate;
    const foreign = scheduleWith(`arn:aws:kms:us-east-1:999999999999:key/${keyId}`, storeId, clusterId);

    await account.control("POST", "/_local/events", missing);
    await account.control("POST", "/_local/events", foreign);

    const handled = await eventually(
      invocations,
      (list) => list.filter((i) => JSON.stringify(i.event).includes(keyId) && i.status !== "running").length >= 2,
      "both events to be handled",
    );
    const results = handled.filter((i) => JSON.stringify(i.event).includes(keyId)).map((i) => i.result);
    expect(results).toEqual(
      expect.arrayContaining([
        // The date is informational: DescribeKey is asked, and this key was never scheduled for deletion.
        { outcome: "ignored", reason: "the key is no longer pending deletion" },
        { outcome: "rejected", field: "detail.responseElements.keyId" },
      ]),
    );
    expect(await executionsOf(keyId)).toHaveLength(0);
    const log = readFileSync(join(account.dataDir, "logs", `${EVENTS_FN}.log`), "utf8");
    expect(log).toContain("Rejected deletion event: Invalid input: detail.responseElements.keyId");
  });

  it("returns no password in any log line, execution history or event after every follow-up above", async () => {
    const logDir = join(account.dataDir, "logs");
    const logs = readdirSync(logDir).map((f) => readFileSync(join(logDir, f), "utf8"));
    const executions =
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, maxResults: 1000 }))).executions ?? [];
    const histories = await Promise.all(executions.map((e) => history(e.executionArn as string)));
    const everything = [...logs, JSON.stringify(histories), JSON.stringify(await account.events())].join("\n");

    expect(passwords.length).toBeGreaterThan(0);
    for (const password of passwords) expect(everything).not.toContain(password);
  });
});

/** A ScheduleKeyDeletion CloudTrail record for the key, 7 days out, as KMS writes it (test/events fixture). */
function scheduleWith(keyArn: string, storeId: string, clusterId: string) {
  const detail = structuredClone(scheduleFixture.detail);
  detail.requestParameters.keyId = keyArn;
  detail.responseElements.keyId = keyArn;
  detail.resources[0].ARN = keyArn;
  detail.additionalEventData.customKeyStoreId = storeId;
  detail.additionalEventData.clusterId = clusterId;
  return { source: "aws.kms", "detail-type": "AWS API Call via CloudTrail", detail };
}
