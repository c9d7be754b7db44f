import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoRetirements } from "../../../../src/adapters/retirements";
import { MAX_USES_KEPT, RetirementInProgressError } from "../../../../src/ports/retirements";

const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
const ddb = mockClient(DynamoDBDocumentClient);
const retirements = new DynamoRetirements(DynamoDBDocumentClient.from(new DynamoDBClient({})), "orphans");
const opened = {
  keyArn: KEY_ARN,
  customKeyStoreId: "cks-1234567890abcdef0",
  execution: "retire-1",
  startedAt: "2026-12-01T00:00:00.000Z",
  probationEndsAt: "2026-12-15T00:00:00.000Z",
};
const refused = () => new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });

beforeEach(() => ddb.reset());

describe("DynamoRetirements", () => {
  it("returns the retirement in PROBATION after a put that never overwrites one in probation", async () => {
    ddb.on(PutCommand).resolves({});

    expect(await retirements.begin(opened)).toEqual({ ...opened, state: "PROBATION", uses: [], moreUses: false });
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.Item).toMatchObject({ pk: `RETIREMENT#${KEY_ARN}`, state: "PROBATION", uses: {} });
    expect(put?.ConditionExpression).toBe("attribute_not_exists(pk) OR #state <> :probation");
  });

  it("returns the stored retirement, uses included, when the same execution begins again", async () => {
    ddb.on(PutCommand).rejects(refused());
    ddb.on(GetCommand).resolves({
      Item: { ...opened, state: "PROBATION", uses: { e1: { eventId: "e1", caller: "app", operation: "Decrypt" } } },
    });

    const again = await retirements.begin({ ...opened, probationEndsAt: "2026-12-15T00:05:00.000Z" });

    expect(again).toMatchObject({ probationEndsAt: opened.probationEndsAt, uses: [{ eventId: "e1" }] });
  });

  it("throws RetirementInProgressError naming the other execution when another one holds the key", async () => {
    ddb.on(PutCommand).rejects(refused());
    ddb.on(GetCommand).resolves({ Item: { ...opened, execution: "retire-0", state: "PROBATION", uses: {} } });

    await expect(retirements.begin(opened)).rejects.toThrow(RetirementInProgressError);
    await expect(retirements.begin(opened)).rejects.toThrow("retire-0");
  });

  it("takes a retirement over only from the execution named, and only while it is in probation", async () => {
    ddb.on(PutCommand).resolves({});

    expect(await retirements.takeOver({ ...opened, execution: "retire-2" }, "retire-1")).toMatchObject({
      execution: "retire-2",
      state: "PROBATION",
    });
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe("#execution = :from AND #state = :probation");
    expect(put?.ExpressionAttributeValues).toMatchObject({ ":from": "retire-1" });

    ddb.reset();
    ddb.on(PutCommand).rejects(refused());
    ddb.on(GetCommand).resolves({ Item: { ...opened, execution: "retire-3", state: "PROBATION", uses: {} } });
    await expect(retirements.takeOver({ ...opened, execution: "retire-2" }, "retire-1")).rejects.toThrow("retire-3");
  });

  it("records a use under its event id, only in probation and while fewer than the kept maximum", async () => {
    ddb.on(UpdateCommand).resolves({});

    expect(await retirements.recordUse(KEY_ARN, { eventId: "e1", caller: "app", operation: "Decrypt" })).toBe(
      "recorded",
    );
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.UpdateExpression).toBe("SET #uses.#id = :use");
    expect(update?.ExpressionAttributeNames).toMatchObject({ "#id": "e1" });
    expect(update?.ExpressionAttributeValues).toMatchObject({ ":max": MAX_USES_KEPT, ":probation": "PROBATION" });
  });

  it("returns recorded with moreUses set when the kept uses are full, and not-retiring outside a probation", async () => {
    ddb.on(UpdateCommand).rejectsOnce(refused()).resolvesOnce({});
    expect(await retirements.recordUse(KEY_ARN, { eventId: "e21", caller: "app", operation: "Decrypt" })).toBe(
      "recorded",
    );
    expect(ddb.commandCalls(UpdateCommand)[1]?.args[0].input.UpdateExpression).toBe("SET moreUses = :true");

    ddb.reset();
    ddb.on(UpdateCommand).rejects(refused());
    expect(await retirements.recordUse(KEY_ARN, { eventId: "e1", caller: "app", operation: "Decrypt" })).toBe(
      "not-retiring",
    );
  });

  it("leaves another execution's retirement alone when finishing", async () => {
    ddb.on(UpdateCommand).rejects(refused());

    await expect(retirements.finish(KEY_ARN, "retire-2", "KEPT")).resolves.toBeUndefined();
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ConditionExpression).toBe("#execution = :me");
  });
});
