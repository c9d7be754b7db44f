import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoOrphanRegister } from "../../../../src/adapters/orphan-register";

const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
const ddb = mockClient(DynamoDBDocumentClient);
const register = new DynamoOrphanRegister(DynamoDBDocumentClient.from(new DynamoDBClient({})), "orphans");

beforeEach(() => ddb.reset());

describe("DynamoOrphanRegister.storeRegister", () => {
  it("returns the store's open orphans and pending deletions from every page of its ByKeyStore items", async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ pk: `ORPHAN#${KEY_ARN}`, kind: "orphan", keyArn: KEY_ARN, foundAt: "2026-11-20T00:00:00Z" }],
        LastEvaluatedKey: { pk: "x" },
      })
      .resolvesOnce({
        Items: [
          {
            pk: `PENDING#${KEY_ARN}`,
            kind: "pending-deletion",
            keyArn: KEY_ARN,
            customKeyStoreId: "cks-1",
            deletionDate: "2026-12-07T00:00:00.000Z",
            scheduledAt: "2026-11-30T00:00:00Z",
            cancelledAt: "2026-11-29T00:00:00Z",
          },
        ],
      });

    const out = await register.storeRegister("cks-1");

    expect(out).toEqual({
      openOrphansFoundAt: ["2026-11-20T00:00:00Z"],
      pendingDeletions: [
        {
          keyArn: KEY_ARN,
          customKeyStoreId: "cks-1",
          deletionDate: "2026-12-07T00:00:00.000Z",
          scheduledAt: "2026-11-30T00:00:00Z",
          cancelledAt: "2026-11-29T00:00:00Z",
        },
      ],
    });
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries.map((q) => q.ExclusiveStartKey)).toEqual([undefined, { pk: "x" }]);
    expect(queries[0]).toMatchObject({
      IndexName: "ByKeyStore",
      FilterExpression: "(kind = :orphan AND attribute_not_exists(resolution)) OR kind = :pending",
    });
  });
});

describe("DynamoOrphanRegister.recordDeletionCancelled", () => {
  it("returns quietly when a later cancel of the key was recorded first", async () => {
    ddb.on(UpdateCommand).rejects(Object.assign(new Error("refused"), { name: "ConditionalCheckFailedException" }));

    await expect(register.recordDeletionCancelled(KEY_ARN, "2026-11-30T00:00:00Z")).resolves.toBeUndefined();
  });

  it("throws any other error, for Lambda to retry the event", async () => {
    ddb.on(UpdateCommand).rejects(Object.assign(new Error("slow down"), { name: "ThrottlingException" }));

    await expect(register.recordDeletionCancelled(KEY_ARN, "2026-11-30T00:00:00Z")).rejects.toThrow("slow down");
  });
});
