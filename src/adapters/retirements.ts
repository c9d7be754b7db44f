import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import {
  type KeyUse,
  MAX_USES_KEPT,
  type Retirement,
  RetirementInProgressError,
  type RetirementState,
  type Retirements,
} from "../ports/retirements";
import type { DocumentPort } from "./clients/types";
import { conditionFailed } from "./conditions";

const retirementKey = (keyArn: string) => `RETIREMENT#${keyArn}`;

/**
 * Retirements in the orphan register's table, one item per key, `RETIREMENT#<keyArn>`: uses in a map keyed by
 * CloudTrail event id (a redelivery writes the same entry), every write conditional on the state and the owner.
 */
export class DynamoRetirements implements Retirements {
  constructor(
    private readonly db: DocumentPort,
    private readonly tableName: string | undefined,
  ) {}

  begin(r: Omit<Retirement, "state" | "uses" | "moreUses">): Promise<Retirement> {
    // A finished retirement (scheduled, or kept) may be followed by a new one; one in probation is never overwritten,
    // not even by its own execution's retry, whose uses it would lose.
    return this.open(r, "attribute_not_exists(pk) OR #state <> :probation");
  }

  takeOver(r: Omit<Retirement, "state" | "uses" | "moreUses">, from: string): Promise<Retirement> {
    return this.open(r, "#execution = :from AND #state = :probation", {
      names: { "#execution": "execution" },
      values: { ":from": from },
    });
  }

  /**
   * Writes a new retirement in PROBATION under `condition`; when the condition fails, returns the stored one if it is
   * this execution's (a retry), else throws RetirementInProgressError naming the execution that holds it.
   */
  private async open(
    r: Omit<Retirement, "state" | "uses" | "moreUses">,
    condition: string,
    extra: { names?: Record<string, string>; values?: Record<string, string> } = {},
  ): Promise<Retirement> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table(),
          Item: {
            pk: retirementKey(r.keyArn),
            kind: "retirement",
            ...r,
            state: "PROBATION",
            uses: {},
            moreUses: false,
          },
          ConditionExpression: condition,
          ExpressionAttributeNames: { "#state": "state", ...extra.names },
          ExpressionAttributeValues: { ":probation": "PROBATION", ...extra.values },
        }),
      );
      return { ...r, state: "PROBATION", uses: [], moreUses: false };
    } catch (error: unknown) {
      if (!conditionFailed(error)) throw error;
      const existing = await this.get(r.keyArn);
      if (existing?.execution === r.execution) return existing;
      throw new RetirementInProgressError(r.keyArn, existing?.execution ?? "unknown");
    }
  }

  async get(keyArn: string): Promise<Retirement | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table(), Key: { pk: retirementKey(keyArn) }, ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item) return undefined;
    const uses = Object.values((item.uses ?? {}) as Record<string, KeyUse>).sort((a, b) =>
      (a.at ?? "").localeCompare(b.at ?? ""),
    );
    return {
      keyArn: item.keyArn,
      customKeyStoreId: item.customKeyStoreId,
      execution: item.execution,
      startedAt: item.startedAt,
      probationEndsAt: item.probationEndsAt,
      state: item.state,
      uses,
      moreUses: item.moreUses === true,
    };
  }

  async recordUse(keyArn: string, use: KeyUse): Promise<"recorded" | "not-retiring"> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table(),
          Key: { pk: retirementKey(keyArn) },
          UpdateExpression: "SET #uses.#id = :use",
          ConditionExpression: "#state = :probation AND (size(#uses) < :max OR attribute_exists(#uses.#id))",
          ExpressionAttributeNames: { "#uses": "uses", "#id": use.eventId, "#state": "state" },
          ExpressionAttributeValues: { ":use": use, ":probation": "PROBATION", ":max": MAX_USES_KEPT },
        }),
      );
      return "recorded";
    } catch (error: unknown) {
      if (!conditionFailed(error)) throw error;
    }
    // Full, or not in probation: say there were more, if it is still in probation.
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table(),
          Key: { pk: retirementKey(keyArn) },
          UpdateExpression: "SET moreUses = :true",
          ConditionExpression: "#state = :probation",
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: { ":true": true, ":probation": "PROBATION" },
        }),
      );
      return "recorded";
    } catch (error: unknown) {
      if (conditionFailed(error)) return "not-retiring";
      throw error;
    }
  }

  async finish(keyArn: string, execution: string, state: Exclude<RetirementState, "PROBATION">): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table(),
          Key: { pk: retirementKey(keyArn) },
          UpdateExpression: "SET #state = :state",
          ConditionExpression: "#execution = :me",
          ExpressionAttributeNames: { "#state": "state", "#execution": "execution" },
          ExpressionAttributeValues: { ":state": state, ":me": execution },
        }),
      );
    } catch (error: unknown) {
      if (!conditionFailed(error)) throw error;
    }
  }

  private table(): string {
    if (!this.tableName) throw new Error("Missing configuration: ORPHAN_TABLE_NAME");
    return this.tableName;
  }
}
