import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";

/**
 * The orphan register: one DynamoDB table (serverless.yml `OrphanRegisterTable`, point-in-time recovery on), keyed by
 * `pk` only. It holds two kinds of item per KMS key:
 * - `STATUS#<keyArn>`: what KMS reported about the key's deletion (the DeleteKey event's backingKeysDeletionStatus,
 *   the KMS CMK Deletion time), written by the event handler whenever those events arrive — before, during or after
 *   the follow-up's Wait — and read by the follow-up when it wakes.
 * - `ORPHAN#<keyArn>`: key material that may have outlived its KMS key, for the orphan-cleanup workflow.
 * Every write is conditional: a status attribute is set only if absent, an orphan only by the follow-up that owns it.
 */
export type DocumentPort = Pick<DynamoDBDocumentClient, "send">;

export type BackingKeyDeletionStatus = "SUCCESS" | "FAILURE";
/** `UNVERIFIED`: KMS never reported the outcome; the cleanup workflow checks as kmsuser in its maintenance window. */
export type OrphanStatus = "FAILURE" | "STILL_PRESENT" | "UNVERIFIED";

export type DeletionStatus = {
  keyArn: string;
  backingKeyId?: string;
  backingKeysDeletionStatus?: BackingKeyDeletionStatus;
  deleteKeyEventAt?: string;
  cmkDeletionAt?: string;
};

export type Orphan = {
  keyArn: string;
  backingKeyId?: string;
  customKeyStoreId: string;
  clusterId?: string;
  status: OrphanStatus;
  foundAt: string;
  /** The follow-up execution that registered it: the only writer allowed to write it again. */
  followUp: string;
};

const statusKey = (keyArn: string) => `STATUS#${keyArn}`;
const orphanKey = (keyArn: string) => `ORPHAN#${keyArn}`;

/** Records what the DeleteKey event said; the first report wins, duplicates and retries change nothing. */
export async function recordDeleteKeyStatus(
  db: DocumentPort,
  table: string,
  report: { keyArn: string; backingKeyId?: string; status: BackingKeyDeletionStatus; at: string },
): Promise<void> {
  await db.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: statusKey(report.keyArn) },
      UpdateExpression:
        "SET kind = :kind, keyArn = :arn, backingKeysDeletionStatus = if_not_exists(backingKeysDeletionStatus, :status), deleteKeyEventAt = if_not_exists(deleteKeyEventAt, :at)" +
        (report.backingKeyId ? ", backingKeyId = if_not_exists(backingKeyId, :bk)" : ""),
      ExpressionAttributeValues: {
        ":kind": "deletion-status",
        ":arn": report.keyArn,
        ":status": report.status,
        ":at": report.at,
        ...(report.backingKeyId ? { ":bk": report.backingKeyId } : {}),
      },
    }),
  );
}

/** Records that KMS said the key is deleted (`KMS CMK Deletion`); the first report wins. */
export async function recordCmkDeletion(db: DocumentPort, table: string, keyArn: string, at: string): Promise<void> {
  await db.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: statusKey(keyArn) },
      UpdateExpression: "SET kind = :kind, keyArn = :arn, cmkDeletionAt = if_not_exists(cmkDeletionAt, :at)",
      ExpressionAttributeValues: { ":kind": "deletion-status", ":arn": keyArn, ":at": at },
    }),
  );
}

/** What has been reported about a key's deletion so far (strongly consistent read). */
export async function readDeletionStatus(
  db: DocumentPort,
  table: string,
  keyArn: string,
): Promise<DeletionStatus | undefined> {
  const out = await db.send(new GetCommand({ TableName: table, Key: { pk: statusKey(keyArn) }, ConsistentRead: true }));
  return out.Item as DeletionStatus | undefined;
}

/**
 * Registers an orphan. Conditional: only when no orphan is registered for the key, or when it is this follow-up's own
 * (a retry). Returns the orphan as registered — when another follow-up got there first, theirs, untouched.
 */
export async function registerOrphan(db: DocumentPort, table: string, orphan: Orphan): Promise<Orphan> {
  try {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: { pk: orphanKey(orphan.keyArn), kind: "orphan", ...orphan },
        ConditionExpression: "attribute_not_exists(pk) OR followUp = :me",
        ExpressionAttributeValues: { ":me": orphan.followUp },
      }),
    );
    return orphan;
  } catch (error: unknown) {
    if (
      !(error instanceof ConditionalCheckFailedException) &&
      (error as Error).name !== "ConditionalCheckFailedException"
    )
      throw error;
    const out = await db.send(
      new GetCommand({ TableName: table, Key: { pk: orphanKey(orphan.keyArn) }, ConsistentRead: true }),
    );
    const { pk: _pk, kind: _kind, ...existing } = (out.Item ?? {}) as Orphan & { pk: string; kind: string };
    return existing as Orphan;
  }
}

/** Reads one orphan (for the cleanup workflow and tests). */
export async function getOrphan(db: DocumentPort, table: string, keyArn: string): Promise<Orphan | undefined> {
  const out = await db.send(new GetCommand({ TableName: table, Key: { pk: orphanKey(keyArn) }, ConsistentRead: true }));
  if (!out.Item) return undefined;
  const { pk: _pk, kind: _kind, ...orphan } = out.Item as Orphan & { pk: string; kind: string };
  return orphan as Orphan;
}
