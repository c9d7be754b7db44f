import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { Orphan } from "../../src/ports/orphan-register";
import type { OrphanSource } from "./state";

/** Orphans shown at most: open ones first, then the most recently found. */
const MAX_ORPHANS = 50;

/**
 * Reads the orphan register (the runtime's local DynamoDB, never AWS) for the page: its `orphan` items, open first.
 * A register that does not answer within a second makes the page say so instead of hanging.
 */
export function orphanRegisterSource(options: { endpoint: string; region: string; tableName: string }): OrphanSource {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: options.endpoint,
      region: options.region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    }),
  );
  return async () => {
    try {
      const orphans: Orphan[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new ScanCommand({
            TableName: options.tableName,
            FilterExpression: "kind = :orphan",
            ExpressionAttributeValues: { ":orphan": "orphan" },
            ExclusiveStartKey: start,
          }),
          { abortSignal: AbortSignal.timeout(1000) },
        );
        for (const item of page.Items ?? []) {
          const { pk: _pk, kind: _kind, ...orphan } = item as Orphan & { pk: string; kind: string };
          orphans.push(orphan);
        }
        start = page.LastEvaluatedKey;
      } while (start);
      orphans.sort(
        (a, b) =>
          Number(a.resolution !== undefined) - Number(b.resolution !== undefined) || b.foundAt.localeCompare(a.foundAt),
      );
      return { orphans: orphans.slice(0, MAX_ORPHANS) };
    } catch (error: unknown) {
      return {
        unavailable: `the orphan register did not answer (${error instanceof Error ? error.message : String(error)})`,
      };
    }
  };
}
