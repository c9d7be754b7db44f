import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod/mini";
import type { DocumentPort } from "./ports/clients";
import { KeyArnSchema } from "./validation";
import "./zod-locale";

/**
 * The orphan register: one DynamoDB table (serverless.yml `OrphanRegisterTable`, point-in-time recovery on), keyed by
 * `pk` only. It holds two kinds of item per KMS key:
 * - `STATUS#<keyArn>`: what KMS reported about the key's deletion (the DeleteKey event's backingKeysDeletionStatus,
 *   the KMS CMK Deletion time), written by the event handler whenever those events arrive — before, during or after
 *   the follow-up's Wait — and read by the follow-up when it wakes.
 * - `ORPHAN#<keyArn>`: key material that may have outlived its KMS key, for the orphan-cleanup workflow, which marks
 *   it resolved (DELETED, NOT_PRESENT when the cluster no longer had it, KEY_EXISTS when a sighting's key turned out
 *   to exist) and keeps it as the audit record. The
 *   sparse index `ByKeyStore` (customKeyStoreId) finds a store's orphans; only orphan items carry that attribute.
 * - `SCAN#<snapshotId>#<n>`: the KMS keys of a key store as a cleanup scan saw them, in chunks, expiring after a week.
 * Every write is conditional: a status attribute is set only if absent, an orphan only by the follow-up that owns it.
 */

export type BackingKeyDeletionStatus = "SUCCESS" | "FAILURE";
/**
 * `UNVERIFIED`: KMS never reported the outcome; the cleanup workflow checks as kmsuser in its maintenance window.
 * `DISCOVERED`: found by a cleanup sweep in the cluster without any follow-up having registered it.
 */
export type OrphanStatus = "FAILURE" | "STILL_PRESENT" | "UNVERIFIED" | "DISCOVERED";
/**
 * How a cleanup resolved an orphan: its material deleted, not in the cluster at all, or (a DISCOVERED sighting only)
 * KMS describing the key after all, as its eventual consistency allows.
 */
export type OrphanResolution = "DELETED" | "NOT_PRESENT" | "KEY_EXISTS";

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
  /** The execution that registered it (a follow-up, or the cleanup that discovered it): the only one to rewrite it. */
  followUp: string;
  resolution?: OrphanResolution;
  resolvedAt?: string;
  resolvedBy?: string;
  /** The CloudHSM key reference the cleanup deleted. */
  hsmKeyReference?: string;
};

export const BY_KEY_STORE_INDEX = "ByKeyStore";

/** What a cleanup relies on in an orphan record; anything else in the register stops it before any window opens. */
const OrphanRecordSchema = z.object({
  keyArn: KeyArnSchema,
  customKeyStoreId: z.string().check(z.minLength(1)),
  status: z.enum(["FAILURE", "STILL_PRESENT", "UNVERIFIED", "DISCOVERED"]),
  backingKeyId: z.optional(z.string().check(z.minLength(1))),
  foundAt: z.string().check(z.minLength(1)),
  followUp: z.string().check(z.minLength(1)),
});

/** An orphan record that is not what the product writes (edited by hand, or corrupted): named, never guessed at. */
export class OrphanRecordInvalidError extends Error {
  constructor(pk: string, field: string, problem: string) {
    super(`Orphan record ${pk} is malformed: ${field}: ${problem}; fix or delete it in the register`);
    this.name = "OrphanRecordInvalidError";
  }
}

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

/** The unresolved orphans of a key store, every page (the index is eventually consistent: a window sees them later). */
export async function listOpenOrphans(db: DocumentPort, table: string, customKeyStoreId: string): Promise<Orphan[]> {
  const orphans: Orphan[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: table,
        IndexName: BY_KEY_STORE_INDEX,
        KeyConditionExpression: "customKeyStoreId = :id",
        FilterExpression: "kind = :orphan AND attribute_not_exists(resolution)",
        ExpressionAttributeValues: { ":id": customKeyStoreId, ":orphan": "orphan" },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const { pk, kind: _kind, ...orphan } = item as Orphan & { pk: string; kind: string };
      const checked = OrphanRecordSchema.safeParse(orphan);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new OrphanRecordInvalidError(
          String(pk),
          issue?.path.map(String).join(".") || "item",
          issue?.message ?? "",
        );
      }
      orphans.push(orphan as Orphan);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return orphans;
}

/**
 * Marks an orphan resolved by a cleanup window. Conditional: an orphan resolved by another window stays as that
 * window wrote it; the same window retrying rewrites its own result. Returns false when another window got there first.
 */
export async function resolveOrphan(
  db: DocumentPort,
  table: string,
  keyArn: string,
  outcome: { resolution: OrphanResolution; at: string; by: string; hsmKeyReference?: string },
): Promise<boolean> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: orphanKey(keyArn) },
        UpdateExpression:
          "SET resolution = :r, resolvedAt = :at, resolvedBy = :by" +
          (outcome.hsmKeyReference ? ", hsmKeyReference = :ref" : ""),
        ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(resolution) OR resolvedBy = :by)",
        ExpressionAttributeValues: {
          ":r": outcome.resolution,
          ":at": outcome.at,
          ":by": outcome.by,
          ...(outcome.hsmKeyReference ? { ":ref": outcome.hsmKeyReference } : {}),
        },
      }),
    );
    return true;
  } catch (error: unknown) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}

/** Key ARNs per snapshot item: ~75 bytes each keeps an item far below DynamoDB's 400 KB. */
export const SNAPSHOT_CHUNK = 2_000;
const snapshotKey = (snapshotId: string, n: number) => `SCAN#${snapshotId}#${n}`;

/** Writes a key store's KMS keys as a cleanup scan saw them; returns the number of chunks. Rewriting is idempotent. */
export async function writeKeySnapshot(
  db: DocumentPort,
  table: string,
  snapshotId: string,
  keyArns: string[],
  expiresAt: Date,
): Promise<number> {
  const sorted = [...keyArns].sort();
  const chunks = Math.max(1, Math.ceil(sorted.length / SNAPSHOT_CHUNK));
  for (let n = 0; n < chunks; n++) {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: snapshotKey(snapshotId, n),
          kind: "scan",
          keyArns: sorted.slice(n * SNAPSHOT_CHUNK, (n + 1) * SNAPSHOT_CHUNK).join("\n"),
          expiresAt: Math.floor(expiresAt.getTime() / 1000),
        },
      }),
    );
  }
  return chunks;
}

/** Reads a snapshot back; a missing chunk is an error, never an empty set (an empty set would make live keys look orphaned). */
export async function readKeySnapshot(
  db: DocumentPort,
  table: string,
  snapshotId: string,
  chunks: number,
): Promise<Set<string>> {
  const arns = new Set<string>();
  for (let n = 0; n < chunks; n++) {
    const out = await db.send(
      new GetCommand({ TableName: table, Key: { pk: snapshotKey(snapshotId, n) }, ConsistentRead: true }),
    );
    const text = (out.Item as { keyArns?: unknown } | undefined)?.keyArns;
    if (typeof text !== "string") throw new SnapshotMissingError(snapshotId, n);
    for (const arn of text.split("\n")) if (arn) arns.add(arn);
  }
  return arns;
}

export class SnapshotMissingError extends Error {
  constructor(snapshotId: string, chunk: number) {
    super(`Key snapshot ${snapshotId} has no chunk ${chunk}: scan again before sweeping`);
    this.name = "SnapshotMissingError";
  }
}

/** Undoes this window's resolution when a deletion it reported did not hold (the key is still listed). */
export async function reopenOrphan(db: DocumentPort, table: string, keyArn: string, by: string): Promise<void> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: orphanKey(keyArn) },
        UpdateExpression: "REMOVE resolution, resolvedAt, resolvedBy, hsmKeyReference",
        ConditionExpression: "resolvedBy = :by",
        ExpressionAttributeValues: { ":by": by },
      }),
    );
  } catch (error: unknown) {
    if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
  }
}
