import { GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { Proof, Proofs } from "../ports/proofs";
import type { DocumentPort } from "./clients/types";
import { conditionFailed } from "./conditions";

/** The sparse index of proofs not yet CLOSED: only they carry `proofOpen`. */
export const OPEN_PROOFS_INDEX = "OpenProofs";

const proofKey = (keyArn: string) => `PROOF#${keyArn}`;

/**
 * Proofs of destruction in the orphan register's table (serverless.yml `OrphanRegisterTable`, point-in-time recovery
 * on): `PROOF#<keyArn>`, the whole proof in one item, with a `version` every write checks.
 */
export class DynamoProofs implements Proofs {
  constructor(
    private readonly db: DocumentPort,
    private readonly tableName: string | undefined,
  ) {}

  async get(keyArn: string): Promise<Proof | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table(), Key: { pk: proofKey(keyArn) }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { pk: _pk, kind: _kind, proofOpen: _open, ...proof } = out.Item;
    return proof as Proof;
  }

  async save(proof: Proof): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table(),
          Item: {
            pk: proofKey(proof.keyArn),
            kind: "proof",
            ...proof,
            ...(proof.status === "CLOSED" ? {} : { proofOpen: "OPEN" }),
          },
          ConditionExpression:
            proof.version === 1 ? "attribute_not_exists(pk)" : "attribute_exists(pk) AND version = :previous",
          ...(proof.version === 1 ? {} : { ExpressionAttributeValues: { ":previous": proof.version - 1 } }),
        }),
      );
      return true;
    } catch (error: unknown) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async listOpen(): Promise<string[]> {
    const keys: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table(),
          IndexName: OPEN_PROOFS_INDEX,
          KeyConditionExpression: "proofOpen = :open",
          ExpressionAttributeValues: { ":open": "OPEN" },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) keys.push(String(item.pk).slice("PROOF#".length));
      start = page.LastEvaluatedKey;
    } while (start);
    return keys;
  }

  private table(): string {
    if (!this.tableName) throw new Error("Missing configuration: ORPHAN_TABLE_NAME");
    return this.tableName;
  }
}
