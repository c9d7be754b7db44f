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
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { EventBridgeAlerts } from "../../../../../src/adapters/alerts";
import { callerArn } from "../../../../../src/adapters/caller-identity";
import { StepFunctionsExecutions } from "../../../../../src/adapters/executions";
import { KmsKeyStores } from "../../../../../src/adapters/key-stores";
import { DynamoOrphanRegister } from "../../../../../src/adapters/orphan-register";
import type { Hsm, HsmKey } from "../../../../../src/ports/hsm";
import { parseOrThrow } from "../../../../../src/validation";
import { ApprovalDecisionSchema, resolveApproval } from "../../../../../src/workflows/orphan-cleanup/approval";
import { mapAdaptive } from "../../../../../src/workflows/orphan-cleanup/kms-calls";
import { nextWindow, startCleanups } from "../../../../../src/workflows/orphan-cleanup/starter";
import { sweepOrphans } from "../../../../../src/workflows/orphan-cleanup/sweep";

const kms = mockClient(KMSClient);
const sfn = mockClient(SFNClient);
const sts = mockClient(STSClient);
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
    keyStores: new KmsKeyStores(new KMSClient({ region: "us-east-1" })),
    executions: new StepFunctionsExecutions(new SFNClient({ region: "us-east-1" })),
    orphans: new DynamoOrphanRegister(
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })),
      "orphans",
    ),
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

  const STORE_ID = "cks-1234567890abcdef0";
  /** The register as the product keeps it: the store exists and has one open orphan (or none). */
  const register = (openOrphans: number) => {
    kms.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [{ CustomKeyStoreId: STORE_ID, CustomKeyStoreType: "AWS_CLOUDHSM" }],
    });
    ddb.on(QueryCommand).resolves({
      Items: Array.from({ length: openOrphans }, () => ({
        pk: `ORPHAN#${arn("a")}`,
        kind: "orphan",
        keyArn: arn("a"),
        customKeyStoreId: STORE_ID,
        status: "FAILURE",
        foundAt: "2026-11-20T00:00:00Z",
        followUp: "followup-a",
      })),
    });
  };

  it("returns no booking and starts nothing for a forged alert when the register holds no open orphan of the store", async () => {
    register(0);

    expect(await startCleanups(deps(), orphanAlert("2026-11-23T10:00:00Z"))).toEqual([]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("returns no booking and starts nothing for a forged alert naming a store that is not a CloudHSM key store here", async () => {
    register(1);
    const forged = orphanAlert("2026-11-23T10:00:00Z");
    forged.detail.customKeyStoreId = "cks-0000000000000000f";

    expect(await startCleanups(deps(), forged)).toEqual([]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("returns one booking named after the window for two orphan alerts before it", async () => {
    register(1);
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
  const APPROVER = "arn:aws:iam::111122223333:role/cleanup-approver";
  const client = () => ({
    executions: new StepFunctionsExecutions(new SFNClient({ region: "us-east-1" })),
    caller: () => callerArn(new STSClient({ region: "us-east-1" })),
  });
  beforeEach(() => sts.reset().on(GetCallerIdentityCommand).resolves({ Arn: APPROVER, Account: "111122223333" }));
  const scheduled = (token: string) => ({
    type: "TaskScheduled",
    taskScheduledEventDetails: {
      resourceType: "lambda",
      resource: "invoke.waitForTaskToken",
      region: "us-east-1",
      parameters: JSON.stringify({ FunctionName: "fn", Payload: { taskToken: token, store: {} } }),
    },
  });

  it("sends the token from the execution's history with SendTaskSuccess and the caller's ARN when approved", async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: "RUNNING" });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [{ type: "TaskSubmitted" }, { type: "TaskStarted" }, scheduled("token-1")] as never,
    });

    const resolved = await resolveApproval(client(), { executionArn: EXECUTION, decision: "APPROVE" });

    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: "token-1",
      output: JSON.stringify({ approved: true, approvedBy: APPROVER }),
    });
    expect(resolved.approver).toBe(APPROVER);
  });

  it("refuses with InvalidInputError naming by a decision that names the approver", () => {
    expect(() =>
      parseOrThrow(ApprovalDecisionSchema, { executionArn: EXECUTION, decision: "APPROVE", by: "someone-else" }),
    ).toThrow(expect.objectContaining({ name: "InvalidInputError", message: expect.stringContaining('"by"') }));
  });

  it("fails the task with ApprovalDeniedError and the reason when denied", async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: "RUNNING" });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [scheduled("token-2")] as never });

    await resolveApproval(client(), { executionArn: EXECUTION, decision: "DENY", reason: "freeze" });

    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toMatchObject({
      taskToken: "token-2",
      error: "ApprovalDeniedError",
      cause: `freeze (denied by ${APPROVER})`,
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

  it("refuses with InvalidInputError naming executionArn something that is not an execution ARN", () => {
    expect(() => parseOrThrow(ApprovalDecisionSchema, { executionArn: "run-1", decision: "APPROVE" })).toThrow(
      expect.objectContaining({ name: "InvalidInputError", field: "executionArn" }),
    );
  });
});

describe("the sweep's safety rules", () => {
  const STORE = "cks-1234567890abcdef0";
  const CLUSTER = "cluster-jxhlf7644ne";
  const NOW = new Date("2026-11-23T10:00:00Z");
  const HOUR = 3_600_000;
  /** A KMS backing key as `key list --verbose` shows it (KMS Developer Guide, find-handle-for-cmk-id). */
  const backing = (reference: string, label: string): HsmKey => ({
    reference,
    label,
    owners: ["kmsuser"],
    sharedWith: [],
    keyClass: "secret-key",
    keyType: "aes",
    token: true,
    extractable: false,
    lengthBytes: 32,
  });
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
  type Register = { orphans?: Record<string, unknown>[]; statuses?: Record<string, Record<string, unknown>> };
  function deps(hsm: Hsm, live: string[], register: Register = {}) {
    ddb.onAnyCommand().resolves({});
    ddb.on(QueryCommand).resolves({ Items: (register.orphans ?? []).map((o) => ({ kind: "orphan", ...o })) });
    ddb.on(GetCommand, { Key: { pk: "SCAN#run-1#0" } }).resolves({ Item: { keyArns: live.join("\n") } });
    for (const [keyArn, status] of Object.entries(register.statuses ?? {})) {
      ddb.on(GetCommand, { Key: { pk: `STATUS#${keyArn}` } }).resolves({ Item: { keyArn, ...status } });
    }
    kms.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [{ CustomKeyStoreId: STORE, ConnectionState: "DISCONNECTED", CloudHsmClusterId: CLUSTER }],
    });
    return {
      keyStores: new KmsKeyStores(new KMSClient({ region: "us-east-1" })),
      secrets: {
        version: async () => JSON.stringify({ username: "kmsuser", password: "Window0Password" }),
      } as never,
      hsm,
      orphans: new DynamoOrphanRegister(
        DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })),
        "orphans",
      ),
      alerts: new EventBridgeAlerts({ send: async () => ({ FailedEntryCount: 0 }) } as never, "default"),
      accountId: "111122223333",
      region: "us-east-1",
      now: () => NOW,
      sleep: async () => undefined,
      quarantineMs: 24 * HOUR,
    };
  }
  const input = {
    customKeyStoreId: STORE,
    clusterId: CLUSTER,
    kmsuserSecretId: "keystore-autopilot/kmsuser/cks",
    versionId: "00000000-0000-0000-0000-000000000001",
    snapshot: { id: "run-1", chunks: 1 },
    maxDeletes: 10,
    executionName: "run-1",
  };
  const notFound = () => new NotFoundException({ message: "gone", $metadata: {} });
  const orphan = (id: string, status: string, foundAt: string) => ({
    pk: `ORPHAN#${arn(id)}`,
    keyArn: arn(id),
    customKeyStoreId: STORE,
    status,
    foundAt,
    followUp: status === "DISCOVERED" ? "an-earlier-window" : "follow-up-1",
  });
  const puts = () => ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item as Record<string, unknown>);
  const resolutions = () =>
    ddb
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .filter((i) => String(i.Key?.pk).startsWith("ORPHAN#"))
      .map((i) => [String(i.Key?.pk).slice(7), i.ExpressionAttributeValues?.[":r"]]);

  it("deletes only material with evidence its key is gone and NotFoundException right before, keeping the others with the reason", async () => {
    const { hsm, deleted } = fakeHsm([
      backing("0x01", arn("live")),
      backing("0x02", arn("orphan-of-follow-up")),
      backing("0x03", arn("pending-elsewhere")),
      backing("0x04", "arn:aws:kms:us-east-1:999999999999:key/foreign"),
      backing("0x05", arn("twice")),
      backing("0x06", arn("twice")),
      backing("0x07", arn("throttled")),
      backing("0x08", arn("deleted-on-record")),
    ]);
    kms
      .on(DescribeKeyCommand, { KeyId: arn("orphan-of-follow-up") })
      .rejects(notFound())
      .on(DescribeKeyCommand, { KeyId: arn("deleted-on-record") })
      .rejects(notFound())
      .on(DescribeKeyCommand, { KeyId: arn("pending-elsewhere") })
      .resolves({ KeyMetadata: { KeyId: "p", KeyState: "PendingDeletion" } })
      .on(DescribeKeyCommand, { KeyId: arn("throttled") })
      .rejects(Object.assign(new Error("slow down"), { name: "ThrottlingException" }));

    const report = await sweepOrphans(
      deps(hsm, [arn("live")], {
        orphans: [orphan("orphan-of-follow-up", "FAILURE", "2026-11-20T00:00:00Z")],
        statuses: { [arn("deleted-on-record")]: { deleteKeyEventAt: "2026-11-22T00:00:00Z" } },
      }) as never,
      input,
    );

    expect(deleted.sort()).toEqual(["0x02", "0x08"]);
    expect(report.deleted).toBe(2);
    const reasons = Object.fromEntries(report.keptKeys.map((k) => [k.reference, k.reason]));
    expect(reasons["0x03"]).toContain("KMS has the key (PendingDeletion)");
    expect(reasons["0x04"]).toContain("no KMS key of this account");
    expect(reasons["0x05"]).toContain("share this label");
    expect(reasons["0x07"]).toContain("ThrottlingException");
    expect(reasons["0x01"]).toBeUndefined();
  });

  it("registers a first sighting DISCOVERED and deletes nothing, however sure KMS sounds", async () => {
    const { hsm, deleted } = fakeHsm([backing("0x02", arn("new-key-kms-not-sure-of"))]);
    kms.on(DescribeKeyCommand).rejects(notFound());

    const report = await sweepOrphans(deps(hsm, []) as never, input);

    expect(deleted).toEqual([]);
    expect(report).toMatchObject({ deleted: 0, discovered: 1 });
    expect(report.keptKeys[0]?.reason).toContain("first sighting");
    expect(puts()).toEqual([
      expect.objectContaining({
        keyArn: arn("new-key-kms-not-sure-of"),
        status: "DISCOVERED",
        foundAt: NOW.toISOString(),
      }),
    ]);
  });

  it("deletes a sighting only once the quarantine has passed", async () => {
    const { hsm, deleted } = fakeHsm([
      backing("0x02", arn("seen-an-hour-ago")),
      backing("0x03", arn("seen-2-days-ago")),
    ]);
    kms.on(DescribeKeyCommand).rejects(notFound());

    const report = await sweepOrphans(
      deps(hsm, [], {
        orphans: [
          orphan("seen-an-hour-ago", "DISCOVERED", new Date(NOW.getTime() - HOUR).toISOString()),
          orphan("seen-2-days-ago", "DISCOVERED", new Date(NOW.getTime() - 48 * HOUR).toISOString()),
        ],
      }) as never,
      input,
    );

    expect(deleted).toEqual(["0x03"]);
    expect(report.keptKeys.find((k) => k.reference === "0x02")?.reason).toContain("quarantined until");
  });

  it("resolves a sighting whose key KMS describes after all, so it books no further window", async () => {
    const { hsm, deleted } = fakeHsm([backing("0x02", arn("was-eventually-consistent"))]);
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: "k", KeyState: "Enabled" } });

    await sweepOrphans(
      deps(hsm, [], { orphans: [orphan("was-eventually-consistent", "DISCOVERED", "2026-11-20T00:00:00Z")] }) as never,
      input,
    );

    expect(deleted).toEqual([]);
    expect(resolutions()).toEqual([[arn("was-eventually-consistent"), "KEY_EXISTS"]]);
  });

  it("never takes keys shared with kmsuser or public keys for candidates or for a live key's material", async () => {
    const shared = { ...backing("0x02", arn("deleted-key")), owners: ["alice"], sharedWith: ["kmsuser"] };
    const pub = { ...backing("0x03", arn("live")), keyClass: "public-key", keyType: "rsa", extractable: true };
    const { hsm, deleted } = fakeHsm([shared, pub]);
    kms
      .on(DescribeKeyCommand, { KeyId: arn("deleted-key") })
      .rejects(notFound())
      .on(DescribeKeyCommand, { KeyId: arn("live") })
      .resolves({ KeyMetadata: { KeyId: "live", KeyState: "Enabled" } });

    const report = await sweepOrphans(
      deps(hsm, [arn("live")], { orphans: [orphan("deleted-key", "FAILURE", "2026-11-20T00:00:00Z")] }) as never,
      input,
    );

    expect(deleted).toEqual([]);
    // The live key's material is not the public key labelled with its ARN: it is missing, so everything is held.
    expect(report).toMatchObject({ held: true, missingLiveKeys: [arn("live")] });
    expect(report.keptKeys.map((k) => k.reason)).toEqual([
      expect.stringContaining("not a KMS backing key of kmsuser"),
      expect.stringContaining("not a KMS backing key of kmsuser"),
    ]);
  });

  it("deletes nothing when the store was reconnected or re-pointed since the disconnect", async () => {
    const { hsm, deleted } = fakeHsm([backing("0x02", arn("orphan-of-follow-up"))]);
    kms.on(DescribeKeyCommand).rejects(notFound());
    const d = deps(hsm, [], { orphans: [orphan("orphan-of-follow-up", "FAILURE", "2026-11-20T00:00:00Z")] });
    kms.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [{ CustomKeyStoreId: STORE, ConnectionState: "CONNECTED", CloudHsmClusterId: CLUSTER }],
    });

    await expect(sweepOrphans(d as never, input)).rejects.toMatchObject({ name: "StoreChangedError" });
    expect(deleted).toEqual([]);
  });

  it("deletes nothing when a live key of the store has no material under its label", async () => {
    const { hsm, deleted } = fakeHsm([backing("0x02", arn("gone"))]);
    kms
      .on(DescribeKeyCommand, { KeyId: arn("gone") })
      .rejects(notFound())
      .on(DescribeKeyCommand, { KeyId: arn("live") })
      .resolves({ KeyMetadata: { KeyId: "live", KeyState: "Enabled" } });

    const report = await sweepOrphans(
      deps(hsm, [arn("live")], { orphans: [orphan("gone", "FAILURE", "2026-11-20T00:00:00Z")] }) as never,
      input,
    );

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
