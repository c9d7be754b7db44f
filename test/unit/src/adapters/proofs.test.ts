import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoProofs, OPEN_PROOFS_INDEX } from "../../../../src/adapters/proofs";
import type { Proof } from "../../../../src/ports/proofs";

const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
const ddb = mockClient(DynamoDBDocumentClient);
const proofs = new DynamoProofs(DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })), "orphans");
const proof = (more: Partial<Proof> = {}): Proof => ({
  keyArn: KEY_ARN,
  customKeyStoreId: "cks-1234567890abcdef0",
  deletion: {},
  material: { state: "DELETED", by: "kms" },
  backups: [],
  status: "OPEN",
  reason: "1 backup holds the material",
  openedBy: "followup-a",
  openedAt: "2026-11-12T00:00:00.000Z",
  updatedAt: "2026-11-12T00:00:00.000Z",
  history: [],
  version: 1,
  ...more,
});

beforeEach(() => ddb.reset());

describe("DynamoProofs", () => {
  it("returns true and writes the first version only if no proof exists, marked open for the index", async () => {
    ddb.on(PutCommand).resolves({});

    expect(await proofs.save(proof())).toBe(true);

    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { pk: `PROOF#${KEY_ARN}`, kind: "proof", proofOpen: "OPEN", version: 1 },
      ConditionExpression: "attribute_not_exists(pk)",
    });
  });

  it("returns true and writes a later version only over the one it was built from, out of the index when CLOSED", async () => {
    ddb.on(PutCommand).resolves({});

    expect(await proofs.save(proof({ status: "CLOSED", version: 4 }))).toBe(true);

    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      ConditionExpression: "attribute_exists(pk) AND version = :previous",
      ExpressionAttributeValues: { ":previous": 3 },
    });
    expect(input?.Item?.proofOpen).toBeUndefined();
  });

  it("returns false when another writer saved first", async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: "no", $metadata: {} }));

    expect(await proofs.save(proof({ version: 2 }))).toBe(false);
  });

  it("returns the proof without the table's own attributes, read strongly consistent", async () => {
    ddb.on(GetCommand).resolves({ Item: { pk: `PROOF#${KEY_ARN}`, kind: "proof", proofOpen: "OPEN", ...proof() } });

    expect(await proofs.get(KEY_ARN)).toEqual(proof());
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });

  it("returns the key ARNs of every open proof across pages of the sparse index", async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ pk: `PROOF#${KEY_ARN}` }], LastEvaluatedKey: { pk: "x" } })
      .resolvesOnce({ Items: [{ pk: `PROOF#${KEY_ARN}-2` }] });

    expect(await proofs.listOpen()).toEqual([KEY_ARN, `${KEY_ARN}-2`]);
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input).toMatchObject({
      IndexName: OPEN_PROOFS_INDEX,
      ExclusiveStartKey: { pk: "x" },
    });
  });
});
