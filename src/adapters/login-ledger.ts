import { DeleteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { LoginLedger } from "../ports/login-ledger";
import type { DocumentPort } from "./clients/types";

/** The ledger as items of the orphan register: one per cluster user, outside its ByKeyStore index. */
export class DynamoLoginLedger implements LoginLedger {
  constructor(
    private readonly db: DocumentPort,
    private readonly tableName: string | undefined,
  ) {}

  async add(clusterId: string, username: string, delta: 1 | -1): Promise<number> {
    const out = await this.db.send(
      new UpdateCommand({
        TableName: this.table(),
        Key: { pk: `LOGINS#${clusterId}#${username}` },
        UpdateExpression: "ADD failedLogins :delta SET kind = :kind",
        ExpressionAttributeValues: { ":delta": delta, ":kind": "failed-logins" },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(out.Attributes?.failedLogins ?? 0);
  }

  async clear(clusterId: string, username: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table(), Key: { pk: `LOGINS#${clusterId}#${username}` } }));
  }

  private table(): string {
    if (!this.tableName) throw new Error("Missing configuration: ORPHAN_TABLE_NAME");
    return this.tableName;
  }
}
