import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { StoreRecord, StoreStateChange, StoreStates } from "../ports/store-states";
import type { DocumentPort } from "./clients/types";
import { conditionFailed } from "./conditions";

const KIND = "store-state";
const keyOf = (customKeyStoreId: string) => ({ pk: `STORE#${customKeyStoreId}` });

/**
 * The last observed connection state of each store, an item `STORE#<id>` of the orphan register's table (a few
 * hundred bytes per store, one write per observation). It carries no `customKeyStoreId` attribute, so it stays out
 * of the sparse ByKeyStore index of orphans (serverless.yml, OrphanRegisterTable).
 */
export class DynamoStoreStates implements StoreStates {
  constructor(
    private readonly db: DocumentPort,
    private readonly tableName: string | undefined,
  ) {}

  async get(customKeyStoreId: string): Promise<StoreRecord | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table(), Key: keyOf(customKeyStoreId), ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item || item.kind !== KIND) return undefined;
    return {
      connectionState: String(item.connectionState),
      ...(item.connectionErrorCode ? { connectionErrorCode: String(item.connectionErrorCode) } : {}),
      observedAt: String(item.observedAt),
      observer: String(item.observer),
      ...(item.lastConnectedAt ? { lastConnectedAt: String(item.lastConnectedAt) } : {}),
      ...(item.pending ? { pending: item.pending as StoreStateChange } : {}),
    };
  }

  /**
   * A conditional put on the record as read: the same observation time and the same pending change (a change
   * published and cleared after the read must not come back).
   */
  async replace(customKeyStoreId: string, expected: StoreRecord | undefined, next: StoreRecord): Promise<boolean> {
    const condition = expected
      ? {
          ConditionExpression: `observedAt = :seen AND ${expected.pending ? "#pending.eventId = :pending" : "attribute_not_exists(#pending)"}`,
          ExpressionAttributeNames: { "#pending": "pending" },
          ExpressionAttributeValues: {
            ":seen": expected.observedAt,
            ...(expected.pending ? { ":pending": expected.pending.eventId } : {}),
          },
        }
      : { ConditionExpression: "attribute_not_exists(pk)" };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table(),
          Item: { ...keyOf(customKeyStoreId), kind: KIND, storeId: customKeyStoreId, ...next },
          ...condition,
        }),
      );
      return true;
    } catch (error: unknown) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async clearPending(customKeyStoreId: string, eventId: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table(),
          Key: keyOf(customKeyStoreId),
          UpdateExpression: "REMOVE #pending",
          ConditionExpression: "#pending.eventId = :id",
          ExpressionAttributeNames: { "#pending": "pending" },
          ExpressionAttributeValues: { ":id": eventId },
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
