import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeKeyCommand, KMSClient, NotFoundException } from "@aws-sdk/client-kms";
import {
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { StepFunctionsExecutions } from "../../../../../src/adapters/executions";
import { KmsKeyStores } from "../../../../../src/adapters/key-stores";
import { DynamoOrphanRegister } from "../../../../../src/adapters/orphan-register";
import { InvalidInputError } from "../../../../../src/validation";
import { executionName, parseDeletionDate } from "../../../../../src/workflows/deletion-follow-up/events";
import { handleDeletionEvent } from "../../../../../src/workflows/deletion-follow-up/starter";

const ROOT = join(__dirname, "../../../../..");
const fixture = () => JSON.parse(readFileSync(join(ROOT, "test/events/schedule-key-deletion.json"), "utf8"));
const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
const MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-deletionFollowUp";

const kms = mockClient(KMSClient);
const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBDocumentClient);
const deps = {
  keyStores: new KmsKeyStores(new KMSClient({ region: "us-east-1" })),
  executions: new StepFunctionsExecutions(new SFNClient({ region: "us-east-1" })),
  orphans: new DynamoOrphanRegister(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })),
    "orphans",
  ),
  stateMachineArn: MACHINE,
  accountId: "111122223333",
};

beforeEach(() => {
  kms.reset();
  sfn.reset();
  ddb.reset();
});

describe("parseDeletionDate", () => {
  it("returns the UTC instant when CloudTrail writes the date human-formatted", () => {
    expect(parseDeletionDate("Nov 2, 2021, 11:25:25 PM")?.toISOString()).toBe("2021-11-02T23:25:25.000Z");
    expect(parseDeletionDate("Apr 12, 2021 18:58:30 PM")?.toISOString()).toBe("2021-04-12T18:58:30.000Z");
    expect(parseDeletionDate("Jan 1, 2022, 12:05:00 AM")?.toISOString()).toBe("2022-01-01T00:05:00.000Z");
    expect(parseDeletionDate("Jan 1, 2022, 12:05:00 PM")?.toISOString()).toBe("2022-01-01T12:05:00.000Z");
  });

  it("returns the instant when the date is ISO 8601 or epoch seconds", () => {
    expect(parseDeletionDate("2021-11-02T23:25:25Z")?.toISOString()).toBe("2021-11-02T23:25:25.000Z");
    expect(parseDeletionDate(1635895525)?.toISOString()).toBe("2021-11-02T23:25:25.000Z");
  });

  it("returns undefined rather than guessing when the text is not a date", () => {
    for (const bad of [
      "",
      "tomorrow",
      "Feb 30, 2021, 1:00:00 PM",
      "Xyz 2, 2021, 11:25:25 PM",
      "Nov 2, 2021, 25:00:00",
    ]) {
      expect(parseDeletionDate(bad)).toBeUndefined();
    }
  });
});

describe("executionName", () => {
  it("returns a name of at most 80 allowed characters, the same for the same key and date", () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.date({ min: new Date(0), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true }),
        (id, date) => {
          const arn = `arn:aws:kms:us-east-1:111122223333:key/${id}`;
          const name = executionName(arn, date);
          expect(name).toMatch(/^[a-z0-9-]{1,80}$/);
          expect(executionName(arn, new Date(date.getTime()))).toBe(name);
        },
      ),
    );
  });
});

describe("handleDeletionEvent", () => {
  it("returns started with a deterministic name and calls no DescribeKey when the record names the key store", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn" });

    const out = await handleDeletionEvent(deps, fixture());

    expect(out).toEqual({
      outcome: "started",
      executionName: "followup-0987dcba-09fe-87dc-65ba-ab0987654321-20261130232525",
    });
    expect(kms.commandCalls(DescribeKeyCommand)).toHaveLength(0);
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? "{}");
    expect(input).toEqual({
      keyArn: KEY_ARN,
      customKeyStoreId: "cks-1234567890abcdef0",
      clusterId: "cluster-jxhlf7644ne",
      backingKeyId: "backing-key-id",
      deletionDate: "2026-11-30T23:25:25.000Z",
    });
  });

  it("records the key as pending deletion in its store, with the schedule's time, when its follow-up starts", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn" });

    await handleDeletionEvent(deps, fixture());

    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.Key).toEqual({ pk: `PENDING#${KEY_ARN}` });
    expect(update?.ConditionExpression).toBe("attribute_not_exists(scheduledAt) OR scheduledAt < :at");
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ":store": "cks-1234567890abcdef0",
      ":date": "2026-11-30T23:25:25.000Z",
      ":at": "2026-11-23T23:25:25Z",
      // A week after the deletion date, in epoch seconds (the table's TTL attribute).
      ":exp": Date.parse("2026-12-08T23:25:25Z") / 1000,
    });
  });

  it("returns started when the register already holds a later schedule of the key (its write is refused)", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn" });
    ddb.on(UpdateCommand).rejects(Object.assign(new Error("refused"), { name: "ConditionalCheckFailedException" }));

    expect(await handleDeletionEvent(deps, fixture())).toMatchObject({ outcome: "started" });
  });

  it("returns already-following when StartExecution says the execution exists", async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: "exists", $metadata: {} }));

    expect(await handleDeletionEvent(deps, fixture())).toMatchObject({ outcome: "already-following" });
  });

  it("returns ignored and starts nothing when DescribeKey says the key is in no CloudHSM key store", async () => {
    const event = fixture();
    delete event.detail.additionalEventData;
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: "k", KeyState: "PendingDeletion" } });

    expect(await handleDeletionEvent(deps, event)).toEqual({
      outcome: "ignored",
      reason: "not in a CloudHSM key store",
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("returns ignored when the record lacks the store and the key no longer exists", async () => {
    const event = fixture();
    delete event.detail.additionalEventData;
    kms.on(DescribeKeyCommand).rejects(new NotFoundException({ message: "gone", $metadata: {} }));

    expect(await handleDeletionEvent(deps, event)).toMatchObject({ outcome: "ignored" });
  });

  it("returns stopped naming only the key's running follow-ups when CancelKeyDeletion arrives", async () => {
    const event = fixture();
    event.detail.eventName = "CancelKeyDeletion";
    event.detail.responseElements = { keyId: KEY_ARN };
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { name: "followup-0987dcba-09fe-87dc-65ba-ab0987654321-20261130232525", executionArn: "a1" } as never,
        { name: "followup-11111111-09fe-87dc-65ba-ab0987654321-20261130232525", executionArn: "a2" } as never,
      ],
    });

    const out = await handleDeletionEvent(deps, event);

    expect(out).toEqual({
      outcome: "stopped",
      executions: ["followup-0987dcba-09fe-87dc-65ba-ab0987654321-20261130232525"],
    });
    expect(sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual(["a1"]);
  });

  it("records the cancel with its event's time before it stops the follow-ups", async () => {
    const event = fixture();
    event.detail.eventName = "CancelKeyDeletion";
    event.detail.responseElements = { keyId: KEY_ARN };
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });

    await handleDeletionEvent(deps, event);

    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.Key).toEqual({ pk: `PENDING#${KEY_ARN}` });
    expect(update?.ConditionExpression).toBe("attribute_not_exists(cancelledAt) OR cancelledAt < :at");
    expect(update?.ExpressionAttributeValues).toMatchObject({ ":at": "2026-11-23T23:25:25Z" });
  });

  it.each([
    ["CancelKeyDeletion", "AccessDeniedException"],
    ["ScheduleKeyDeletion", "KMSInvalidStateException"],
  ])("returns ignored and calls nothing when a %s KMS refused (%s) arrives", async (eventName, errorCode) => {
    const event = fixture();
    event.detail.eventName = eventName;
    event.detail.errorCode = errorCode;
    event.detail.errorMessage = "refused (test)";
    event.detail.responseElements = null;
    event.detail.resources = [{ accountId: "111122223333", type: "AWS::KMS::Key", ARN: KEY_ARN }];
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { name: "followup-0987dcba-09fe-87dc-65ba-ab0987654321-20261130232525", executionArn: "a1" } as never,
      ],
    });

    const out = await handleDeletionEvent(deps, event);

    expect(out).toEqual({ outcome: "ignored", reason: `the call was refused (${errorCode}) and changed nothing` });
    expect(sfn.calls()).toHaveLength(0);
    expect(kms.calls()).toHaveLength(0);
  });

  it("returns recorded with a first-report-wins update when the DeleteKey event reports FAILURE", async () => {
    const event = fixture();
    event["detail-type"] = "AWS Service Event via CloudTrail";
    event.detail.eventName = "DeleteKey";
    event.detail.responseElements = { keyId: KEY_ARN };
    event.detail.additionalEventData.backingKeysDeletionStatus = JSON.stringify([
      { backingKeyId: "backing-key-id", deletionStatus: "FAILURE" },
    ]);

    expect(await handleDeletionEvent(deps, event)).toEqual({ outcome: "recorded", keyArn: KEY_ARN });
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.Key).toEqual({ pk: `STATUS#${KEY_ARN}` });
    expect(update?.UpdateExpression).toContain(
      "backingKeysDeletionStatus = if_not_exists(backingKeysDeletionStatus, :status)",
    );
    expect(update?.ExpressionAttributeValues).toMatchObject({ ":status": "FAILURE", ":bk": "backing-key-id" });
  });

  it("returns recorded when KMS CMK Deletion arrives before DeleteKey, touching only its own attribute", async () => {
    const event = {
      version: "0",
      id: "e",
      "detail-type": "KMS CMK Deletion",
      source: "aws.kms",
      account: "111122223333",
      time: "2026-12-01T03:11:54Z",
      region: "us-east-1",
      resources: [KEY_ARN],
      detail: { "key-id": "0987dcba-09fe-87dc-65ba-ab0987654321" },
    };

    expect(await handleDeletionEvent(deps, event)).toEqual({ outcome: "recorded", keyArn: KEY_ARN });
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.UpdateExpression).toContain("cmkDeletionAt = if_not_exists(cmkDeletionAt, :at)");
    expect(update?.UpdateExpression).not.toContain("backingKeysDeletionStatus");
  });

  it("returns started from the record's resources when responseElements has no key ARN", async () => {
    const event = fixture();
    event.detail.responseElements = null;
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn" });
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: "k",
        KeyState: "PendingDeletion",
        Origin: "AWS_CLOUDHSM",
        CustomKeyStoreId: "cks-1234567890abcdef0",
        DeletionDate: new Date("2026-11-30T23:25:25Z"),
      },
    });

    expect(await handleDeletionEvent(deps, event)).toEqual({
      outcome: "started",
      executionName: "followup-0987dcba-09fe-87dc-65ba-ab0987654321-20261130232525",
    });
  });

  const describedHsmKey = {
    KeyMetadata: {
      KeyId: "k",
      KeyState: "PendingDeletion" as const,
      Origin: "AWS_CLOUDHSM" as const,
      CustomKeyStoreId: "cks-1234567890abcdef0",
      CloudHsmClusterId: "cluster-jxhlf7644ne",
      DeletionDate: new Date("2026-12-01T10:00:00Z"),
    },
  };
  it.each<[string, (e: Event) => void]>([
    [
      "deletionDate is not a date",
      (e) => {
        e.detail.responseElements.deletionDate = true;
      },
    ],
    [
      // CloudHSM issues base32 cluster ids: 0, 1, 8 and 9 never appear in one.
      "clusterId is malformed",
      (e) => {
        e.detail.additionalEventData.clusterId = "cluster-1234abcd0189";
      },
    ],
  ])("returns started with DescribeKey's store, cluster and date when the record's %s", async (_what, spoil) => {
    const event = fixture();
    spoil(event);
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn" });
    kms.on(DescribeKeyCommand).resolves(describedHsmKey);

    const out = await handleDeletionEvent(deps, event);

    expect(out).toMatchObject({ outcome: "started" });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? "{}");
    expect(input).toMatchObject({ customKeyStoreId: "cks-1234567890abcdef0", clusterId: expect.any(String) });
    expect(kms.commandCalls(DescribeKeyCommand)).toHaveLength(1);
  });

  it("returns ignored and starts nothing when the record has no cluster and DescribeKey says an external key store", async () => {
    const event = fixture();
    delete event.detail.additionalEventData.clusterId;
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: "k",
        KeyState: "PendingDeletion",
        Origin: "EXTERNAL_KEY_STORE",
        CustomKeyStoreId: "cks-1234567890abcdef0",
      },
    });

    expect(await handleDeletionEvent(deps, event)).toEqual({
      outcome: "ignored",
      reason: "not in a CloudHSM key store",
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("returns ignored and starts nothing when a multi-Region key waits for its replicas (no deletionDate)", async () => {
    const event = fixture();
    delete event.detail.additionalEventData;
    delete event.detail.responseElements.deletionDate;
    event.detail.responseElements.keyState = "PendingReplicaDeletion";
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: "k", KeyState: "PendingReplicaDeletion" } });

    expect(await handleDeletionEvent(deps, event)).toMatchObject({ outcome: "ignored" });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("returns ignored and writes nothing when a DeleteKey record has no readable backingKeysDeletionStatus", async () => {
    const event = fixture();
    event["detail-type"] = "AWS Service Event via CloudTrail";
    event.detail.eventName = "DeleteKey";
    event.detail.additionalEventData.backingKeysDeletionStatus = "not json";

    expect(await handleDeletionEvent(deps, event)).toMatchObject({ outcome: "ignored" });
    expect(ddb.calls()).toHaveLength(0);
  });

  type Event = {
    account: string;
    "detail-type": string;
    detail: {
      responseElements: Record<string, unknown>;
      additionalEventData: Record<string, unknown>;
      resources?: unknown;
    };
  };
  const spoilers: [string, (e: Event) => void][] = [
    [
      "detail.responseElements.keyId",
      (e) => {
        delete e.detail.responseElements.keyId;
        delete e.detail.resources;
      },
    ],
    [
      "account",
      (e) => {
        e.account = "999999999999";
      },
    ],
    [
      "detail-type",
      (e) => {
        e["detail-type"] = "Something Else";
      },
    ],
  ];
  it.each(spoilers)(
    "throws InvalidInputError naming %s and calls nothing when the event is bad",
    async (field, spoil) => {
      const event = fixture();
      spoil(event);

      const error = await handleDeletionEvent(deps, event).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe(field);
      expect((error as Error).message).toContain(field);
      expect(sfn.calls()).toHaveLength(0);
      expect(kms.calls()).toHaveLength(0);
      expect(ddb.calls()).toHaveLength(0);
    },
  );
});
