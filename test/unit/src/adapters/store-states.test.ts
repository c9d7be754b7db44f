import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoStoreStates } from "../../../../src/adapters/store-states";
import type { StoreRecord } from "../../../../src/ports/store-states";

const db = mockClient(DynamoDBDocumentClient);
const states = new DynamoStoreStates(
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })),
  "orphans",
);
const CKS = "cks-1234567890abcdef0";
const record: StoreRecord = {
  connectionState: "CONNECTED",
  observedAt: "2026-12-01T00:00:00.000Z",
  observer: "store-check",
  lastConnectedAt: "2026-12-01T00:00:00.000Z",
};
const pending = {
  eventId: "e1",
  customKeyStoreId: CKS,
  previousConnectionState: "CONNECTED",
  connectionState: "FAILED",
  connectionErrorCode: "NETWORK_ERRORS",
  observedAt: "2026-12-01T00:05:00.000Z",
  observer: "store-check",
};
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });

beforeEach(() => db.reset());

describe("DynamoStoreStates", () => {
  it("returns the record of the STORE# item, read strongly consistent", async () => {
    db.on(GetCommand).resolves({ Item: { pk: `STORE#${CKS}`, kind: "store-state", storeId: CKS, ...record, pending } });

    await expect(states.get(CKS)).resolves.toEqual({ ...record, pending });
    expect(db.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: "orphans",
      Key: { pk: `STORE#${CKS}` },
      ConsistentRead: true,
    });
  });

  it("returns undefined when the store has no record", async () => {
    db.on(GetCommand).resolves({});

    await expect(states.get(CKS)).resolves.toBeUndefined();
  });

  it("writes the first record only when none exists, without the ByKeyStore index's customKeyStoreId", async () => {
    db.on(PutCommand).resolves({});

    await expect(states.replace(CKS, undefined, record)).resolves.toBe(true);

    const input = db.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(input?.Item).toEqual({ pk: `STORE#${CKS}`, kind: "store-state", storeId: CKS, ...record });
    expect(input?.Item).not.toHaveProperty("customKeyStoreId");
  });

  it("writes only while the record has the observation time and the pending change it was read with", async () => {
    db.on(PutCommand).resolves({});

    await states.replace(CKS, { ...record, pending }, { ...record, observedAt: "2026-12-01T00:10:00.000Z" });

    expect(db.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: "observedAt = :seen AND #pending.eventId = :pending",
      ExpressionAttributeNames: { "#pending": "pending" },
      ExpressionAttributeValues: { ":seen": record.observedAt, ":pending": "e1" },
    });
  });

  it("requires no pending change when the record was read without one", async () => {
    db.on(PutCommand).resolves({});

    await states.replace(CKS, record, record);

    expect(db.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBe(
      "observedAt = :seen AND attribute_not_exists(#pending)",
    );
  });

  it("returns false when another observer wrote first", async () => {
    db.on(PutCommand).rejects(conditionFailed());

    await expect(states.replace(CKS, record, record)).resolves.toBe(false);
  });

  it("throws other DynamoDB errors", async () => {
    db.on(PutCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));

    await expect(states.replace(CKS, record, record)).rejects.toThrow("Rate exceeded");
  });

  it("removes the pending change only while it is the one published", async () => {
    db.on(UpdateCommand).resolves({});

    await states.clearPending(CKS, "e1");

    expect(db.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: `STORE#${CKS}` },
      UpdateExpression: "REMOVE #pending",
      ConditionExpression: "#pending.eventId = :id",
      ExpressionAttributeValues: { ":id": "e1" },
    });
  });

  it("returns quietly when another change replaced the pending one", async () => {
    db.on(UpdateCommand).rejects(conditionFailed());

    await expect(states.clearPending(CKS, "e1")).resolves.toBeUndefined();
  });
});
