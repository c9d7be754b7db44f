import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeCustomKeyStoresCommand, DescribeKeyCommand, KMSClient, NotFoundException } from "@aws-sdk/client-kms";
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { resolveApproval } from "../../src/cleanup/approval";
import { mapAdaptive } from "../../src/cleanup/kms-calls";
import { nextWindow, startCleanups } from "../../src/cleanup/starter";
import { sweepOrphans } from "../../src/cleanup/sweep";
import type { Hsm, HsmKey } from "../../src/ports/hsm";

const kms = mockClient(KMSClient);
const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBDocumentClient);
const CLEANUP = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-orphanCleanup";
const EXECUTION = "arn:aws:states:us-east-1:111122223333:execution:keystore-autopilot-dev-orphanCleanup:run-1";
const arn = (id: string) => `arn:aws:kms:us-east-1:111122223333:key/${id}`;

beforeEach(() => {
  kms.reset();
  sfn.reset();
  ddb.reset();
});

describe("cleanup windows booked from events", () => {
  const deps = () => ({
    kms: new KMSClient({ region: "us-east-1" }),
    sfn: new SFNClient({ region: "us-east-1" }),
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })),
    table: "orphans",
    stateMachineArn: CLEANUP,
    windowHourUtc: 3,
  });
  const orphanAlert = (time: string) => ({
    source: "keystore-autopilot",
    "detail-type": "Keystore Autopilot Alert",
    time,
    detail: { type: "OrphanedKeyMaterial", customKeyStoreId: "cks-1234567890abcdef0", keyArn: arn("a") },
  });

  it("returns the next 03:00 UTC strictly after the time given", () => {
    expect(nextWindow(new Date("2026-11-23T02:59:59Z"), 3).toISOString()).toBe("2026-11-23T03:00:00.000Z");
    expect(nextWindow(new Date("2026-11-23T03:00:00Z"), 3).toISOString()).toBe("2026-11-24T03:00:00.000Z");
  });

  it("returns one booking named after the window for two orphan alerts before it", async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: EXECUTION })
      .rejects(new ExecutionAlreadyExists({ message: "exists", $metadata: {} }));

    const first = await startCleanups(deps(), orphanAlert("2026-11-23T10:00:00Z"));
    const second = await startCleanups(deps(), orphanAlert("2026-11-23T18:00:00Z"));

    expect(first).toEqual([
      {
        customKeyStoreId: "cks-1234567890abcdef0",
        executionName: "cleanup-cks-1234567890abcdef0-2026112403",
        outcome: "started",
      },
    ]);
    expect(second[0]?.outcome).toBe("already-scheduled");
    const calls = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.name)).toEqual([
      "cleanup-cks-1234567890abcdef0-2026112403",
      "cleanup-cks-1234567890abcdef0-2026112403",
    ]);
    expect(JSON.parse(calls[0]?.input ?? "{}")).toEqual({
      customKeyStoreId: "cks-1234567890abcdef0",
      notBefore: "2026-11-24T03:00:00.000Z",
    });
  });

  it("starts windows on the schedule only for stores with open orphans", async () => {
    kms.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [
        { CustomKeyStoreId: "cks-00000000000000001", CustomKeyStoreType: "AWS_CLOUDHSM" },
        { CustomKeyStoreId: "cks-00000000000000002", CustomKeyStoreType: "AWS_CLOUDHSM" },
        { CustomKeyStoreId: "cks-00000000000000003", CustomKeyStoreType: "EXTERNAL_KEY_STORE" },
      ],
    });
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ":id": "cks-00000000000000001", ":orphan": "orphan" } })
      .resolves({ Items: [] })
      .on(QueryCommand, { ExpressionAttributeValues: { ":id": "cks-00000000000000002", ":orphan": "orphan" } })
      .resolves({
        Items: [
          {
            pk: `ORPHAN#${arn("b")}`,
            kind: "orphan",
            keyArn: arn("b"),
            customKeyStoreId: "cks-00000000000000002",
            status: "FAILURE",
            foundAt: "2026-11-20T00:00:00Z",
            followUp: "followup-b",
          },
        ],
      });
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });

    const started = await startCleanups(deps(), { "detail-type": "Scheduled Event", time: "2026-11-28T03:00:00Z" });

    expect(started.map((s) => s.customKeyStoreId)).toEqual(["cks-00000000000000002"]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it("throws InvalidInputError naming the field and starts nothing for an alert without a key store", async () => {
    const bad = orphanAlert("2026-11-23T10:00:00Z");
    (bad.detail as Record<string, unknown>).customKeyStoreId = "not-a-store";

    await expect(startCleanups(deps(), bad)).rejects.toMatchObject({
      name: "InvalidInputError",
      field: "detail.customKeyStoreId",
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe("approval of a waiting window", () => {
  const client = () => new SFNClient({ region: "us-east-1" });
  const scheduled = (token: string) => ({
    type: "TaskScheduled",
    taskScheduledEventDetails: {
      resourceType: "lambda",
      resource: "invoke.waitForTaskToken",
      region: "us-east-1",
      parameters: JSON.stringify({ FunctionName: "fn", Payload: { taskToken: token, store: {} } }),
    },
  });

  it("sends the token from the execution's history with SendTaskSuccess when approved", async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: "RUNNING" });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [{ type: "TaskSubmitted" }, { type: "TaskStarted" }, scheduled("token-1")] as never,
    });

    await resolveApproval(client(), { executionArn: EXECUTION, decision: "APPROVE", by: "ops" });

    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: "token-1",
      output: JSON.stringify({ approved: true, by: "ops" }),
    });
  });

  it("fails the task with ApprovalDeniedError and the reason when denied", async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: "RUNNING" });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [scheduled("token-2")] as never });

    await resolveApproval(client(), { executionArn: EXECUTION, decision: "DENY", reason: "freeze" });

    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toMatchObject({
      taskToken: "token-2",
      error: "ApprovalDeniedError",
      cause: "freeze",
    });
  });

  it("throws NotAwaitingApprovalError and sends nothing when the approval already ended", async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: "RUNNING" });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          type: "TaskSucceeded",
          taskSucceededEventDetails: { resourceType: "lambda", resource: "invoke.waitForTaskToken" },
        },
        scheduled("token-3"),
      ] as never,
    });

    await expect(resolveApproval(client(), { executionArn: EXECUTION, decision: "APPROVE" })).rejects.toMatchObject({
      name: "NotAwaitingApprovalError",
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it("throws InvalidInputError naming executionArn for something that is not an execution ARN", async () => {
    await expect(resolveApproval(client(), { executionArn: "run-1", decision: "APPROVE" })).rejects.toMatchObject({
      name: "InvalidInputError",
      field: "executionArn",
    });
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe("the sweep's safety rules", () => {
  const STORE = "cks-1234567890abcdef0";
  function fakeHsm(keys: HsmKey[]) {
    const deleted: string[] = [];
    const hsm: Hsm = {
      listUsers: async () => [],
      changePassword: async () => undefined,
      createUser: async () => undefined,
      logout: async () => undefined,
      listKeys: async () => keys.filter((k) => !deleted.includes(k.reference)),
      deleteKey: async (_c, _as, reference) => {
        deleted.push(reference);
      },
      activateCluster: async () => undefined,
      userCoverage: async () => "full",
    };
    return { hsm, deleted };
  }
  function deps(hsm: Hsm, live: string[]) {
    ddb.on(QueryCommand).resolves({ Items: [] });
    // The snapshot: the live keys of the store, one chunk.
    ddb.onAnyCommand().resolves({ Item: { keyArns: live.join("\n") }, Items: [] });
    return {
      kms: new KMSClient({ region: "us-east-1" }),
      sfn: { send: async () => ({}) },
      secrets: {
        version: async () => JSON.stringify({ username: "kmsuser", password: "Window0Password" }),
      } as never,
      hsm,
      db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })),
      table: "orphans",
      events: { send: async () => ({ FailedEntryCount: 0 }) } as never,
      alertBusName: "default",
      accountId: "111122223333",
      region: "us-east-1",
      now: () => new Date("2026-11-23T10:00:00Z"),
      sleep: async () => undefined,
    };
  }
  const input = {
    customKeyStoreId: STORE,
    clusterId: "cluster-jxhlf7644ne",
    kmsuserSecretId: "keystore-autopilot/cks/kmsuser",
    versionId: "00000000-0000-0000-0000-000000000001",
    snapshot: { id: "run-1", chunks: 1 },
    maxDeletes: 10,
    executionName: "run-1",
  };

  it("deletes only material whose KMS key answers NotFoundException, and keeps the others with the reason", async () => {
    const { hsm, deleted } = fakeHsm([
      { reference: "0x01", label: arn("live") },
      { reference: "0x02", label: arn("gone") },
      { reference: "0x03", label: arn("pending-elsewhere") },
      { reference: "0x04", label: "arn:aws:kms:us-east-1:999999999999:key/foreign" },
      { reference: "0x05", label: arn("twice") },
      { reference: "0x06", label: arn("twice") },
      { reference: "0x07", label: arn("throttled") },
    ]);
    kms
      .on(DescribeKeyCommand, { KeyId: arn("gone") })
      .rejects(new NotFoundException({ message: "gone", $metadata: {} }))
      .on(DescribeKeyCommand, { KeyId: arn("pending-elsewhere") })
      .resolves({ KeyMetadata: { KeyId: "p", KeyState: "PendingDeletion" } })
      .on(DescribeKeyCommand, { KeyId: arn("throttled") })
      .rejects(Object.assign(new Error("slow down"), { name: "ThrottlingException" }));

    const report = await sweepOrphans(deps(hsm, [arn("live")]) as never, input);

    expect(deleted).toEqual(["0x02"]);
    expect(report.deleted).toBe(1);
    const reasons = Object.fromEntries(report.keptKeys.map((k) => [k.reference, k.reason]));
    expect(reasons["0x03"]).toContain("KMS has the key (PendingDeletion)");
    expect(reasons["0x04"]).toContain("no KMS key of this account");
    expect(reasons["0x05"]).toContain("share this label");
    expect(reasons["0x07"]).toContain("ThrottlingException");
    expect(reasons["0x01"]).toBeUndefined();
  });

  it("deletes nothing when a live key of the store has no material under its label", async () => {
    const { hsm, deleted } = fakeHsm([{ reference: "0x02", label: arn("gone") }]);
    kms
      .on(DescribeKeyCommand, { KeyId: arn("gone") })
      .rejects(new NotFoundException({ message: "gone", $metadata: {} }))
      .on(DescribeKeyCommand, { KeyId: arn("live") })
      .resolves({ KeyMetadata: { KeyId: "live", KeyState: "Enabled" } });

    const report = await sweepOrphans(deps(hsm, [arn("live")]) as never, input);

    expect(deleted).toEqual([]);
    expect(report).toMatchObject({ held: true, missingLive: 1, missingLiveKeys: [arn("live")] });
  });
});

describe("adaptive concurrency", () => {
  it("returns every result in order and halves the work in flight after a throttle", async () => {
    let inFlight = 0;
    const peaks: number[] = [];
    const results = await mapAdaptive(
      Array.from({ length: 60 }, (_, i) => i),
      8,
      async (i, onThrottle) => {
        inFlight++;
        peaks.push(inFlight);
        await new Promise((r) => setTimeout(r, 1));
        if (i === 10) onThrottle();
        inFlight--;
        return i * 2;
      },
    );

    expect(results).toEqual(Array.from({ length: 60 }, (_, i) => i * 2));
    expect(Math.max(...peaks)).toBeLessThanOrEqual(8);
    expect(Math.max(...peaks.slice(15, 30))).toBeLessThanOrEqual(2);
  });
});
