import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod/mini";
import type {
  BackingKeyDeletionStatus,
  DeletionStatus,
  Orphan,
  OrphanOutcome,
  OrphanRegister,
  PendingDeletion,
  StoreRegister,
} from "../ports/orphan-register";
import { KeyArnSchema } from "../validation";
import type { DocumentPort } from "./clients/types";
import { conditionFailed } from "./conditions";
import "../zod-locale";

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
const pendingKey = (keyArn: string) => `PENDING#${keyArn}`;

/**
 * A pending-deletion item outlives its key by a week: KMS deletes a key up to 24 hours after its deletion date (KMS
 * Developer Guide, deleting-keys), and the waiting period is at most 30 days, which bounds a cancel-only item.
 */
const PENDING_KEEP_MS = 8 * 86_400_000;
const CANCEL_KEEP_MS = 31 * 86_400_000;
const epochSeconds = (ms: number) => Math.floor(ms / 1000);

/** Key ARNs per snapshot item: ~75 bytes each keeps an item far below DynamoDB's 400 KB. */
export const SNAPSHOT_CHUNK = 2_000;
const snapshotKey = (snapshotId: string, n: number) => `SCAN#${snapshotId}#${n}`;

export class SnapshotMissingError extends Error {
  constructor(snapshotId: string, chunk: number) {
    super(`Key snapshot ${snapshotId} has no chunk ${chunk}: scan again before sweeping`);
    this.name = "SnapshotMissingError";
  }
}

/**
 * The orphan register: one DynamoDB table (serverless.yml `OrphanRegisterTable`, point-in-time recovery on), keyed by
 * `pk` only. It holds, besides the login ledger's items (login-ledger.ts):
 * - `STATUS#<keyArn>`: what KMS reported about the key's deletion (the DeleteKey event's backingKeysDeletionStatus,
 *   the KMS CMK Deletion time), written by the event handler whenever those events arrive — before, during or after
 *   the follow-up's Wait — and read by the follow-up when it wakes.
 * - `ORPHAN#<keyArn>`: key material that may have outlived its KMS key, for the orphan-cleanup workflow, which marks
 *   it resolved (DELETED, NOT_PRESENT when the cluster no longer had it, KEY_EXISTS when a sighting's key turned out
 *   to exist) and keeps it as the audit record. The
 *   sparse index `ByKeyStore` (customKeyStoreId) finds a store's orphans; only orphan items carry that attribute.
 * - `PENDING#<keyArn>`: a key of a CloudHSM key store scheduled for deletion and, when cancelled, when (the deletion
 *   events' times), for the store check's KeysPendingDeletion; it carries customKeyStoreId, so `ByKeyStore` finds it
 *   beside the store's orphans, and it expires a week after the key's deletion date.
 * - `SCAN#<snapshotId>#<n>`: the KMS keys of a key store as a cleanup scan saw them, in chunks, expiring after a week.
 * Every write is conditional: a status attribute is set only if absent, an orphan only by the follow-up that owns it.
 */
export class DynamoOrphanRegister implements OrphanRegister {
  constructor(
    private readonly db: DocumentPort,
    private readonly tableName: string | undefined,
  ) {}

  async recordDeleteKeyStatus(report: {
    keyArn: string;
    backingKeyId?: string;
    status: BackingKeyDeletionStatus;
    at: string;
  }): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table(),
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

  async recordCmkDeletion(keyArn: string, at: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table(),
        Key: { pk: statusKey(keyArn) },
        UpdateExpression: "SET kind = :kind, keyArn = :arn, cmkDeletionAt = if_not_exists(cmkDeletionAt, :at)",
        ExpressionAttributeValues: { ":kind": "deletion-status", ":arn": keyArn, ":at": at },
      }),
    );
  }

  async deletionStatus(keyArn: string): Promise<DeletionStatus | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table(), Key: { pk: statusKey(keyArn) }, ConsistentRead: true }),
    );
    return out.Item as DeletionStatus | undefined;
  }

  async register(orphan: Orphan): Promise<Orphan> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table(),
          Item: { pk: orphanKey(orphan.keyArn), kind: "orphan", ...orphan },
          ConditionExpression: "attribute_not_exists(pk) OR followUp = :me",
          ExpressionAttributeValues: { ":me": orphan.followUp },
        }),
      );
      return orphan;
    } catch (error: unknown) {
      if (!conditionFailed(error)) throw error;
      const out = await this.db.send(
        new GetCommand({ TableName: this.table(), Key: { pk: orphanKey(orphan.keyArn) }, ConsistentRead: true }),
      );
      const { pk: _pk, kind: _kind, ...existing } = (out.Item ?? {}) as Orphan & { pk: string; kind: string };
      return existing as Orphan;
    }
  }

  async get(keyArn: string): Promise<Orphan | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table(), Key: { pk: orphanKey(keyArn) }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { pk: _pk, kind: _kind, ...orphan } = out.Item as Orphan & { pk: string; kind: string };
    return orphan as Orphan;
  }

  async listOpen(customKeyStoreId: string): Promise<Orphan[]> {
    const orphans: Orphan[] = [];
    const items = this.byKeyStore(customKeyStoreId, "kind = :orphan AND attribute_not_exists(resolution)", {
      ":orphan": "orphan",
    });
    for await (const item of items) {
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
    return orphans;
  }

  /** The key store's items of the register matching `filter`, every page of the ByKeyStore index. */
  private async *byKeyStore(
    customKeyStoreId: string,
    filter: string,
    values: Record<string, string>,
  ): AsyncGenerator<Record<string, unknown>> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table(),
          IndexName: BY_KEY_STORE_INDEX,
          KeyConditionExpression: "customKeyStoreId = :id",
          FilterExpression: filter,
          ExpressionAttributeValues: { ":id": customKeyStoreId, ...values },
          ExclusiveStartKey: start,
        }),
      );
      yield* page.Items ?? [];
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async resolve(keyArn: string, outcome: OrphanOutcome): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table(),
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
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async recordPendingDeletion(deletion: {
    keyArn: string;
    customKeyStoreId: string;
    deletionDate: string;
    at: string;
  }): Promise<void> {
    await this.ignoringOlder(
      new UpdateCommand({
        TableName: this.table(),
        Key: { pk: pendingKey(deletion.keyArn) },
        UpdateExpression:
          "SET kind = :kind, keyArn = :arn, customKeyStoreId = :store, deletionDate = :date, scheduledAt = :at, expiresAt = :exp",
        ConditionExpression: "attribute_not_exists(scheduledAt) OR scheduledAt < :at",
        ExpressionAttributeValues: {
          ":kind": "pending-deletion",
          ":arn": deletion.keyArn,
          ":store": deletion.customKeyStoreId,
          ":date": deletion.deletionDate,
          ":at": deletion.at,
          ":exp": epochSeconds(Date.parse(deletion.deletionDate) + PENDING_KEEP_MS),
        },
      }),
    );
  }

  async recordDeletionCancelled(keyArn: string, at: string): Promise<void> {
    // Written even before its schedule arrives (events may come out of order); a key of no custom key store then
    // leaves an item outside ByKeyStore that expires by itself.
    await this.ignoringOlder(
      new UpdateCommand({
        TableName: this.table(),
        Key: { pk: pendingKey(keyArn) },
        UpdateExpression:
          "SET kind = :kind, keyArn = :arn, cancelledAt = :at, expiresAt = if_not_exists(expiresAt, :exp)",
        ConditionExpression: "attribute_not_exists(cancelledAt) OR cancelledAt < :at",
        ExpressionAttributeValues: {
          ":kind": "pending-deletion",
          ":arn": keyArn,
          ":at": at,
          ":exp": epochSeconds(Date.parse(at) + CANCEL_KEEP_MS),
        },
      }),
    );
  }

  async storeRegister(customKeyStoreId: string): Promise<StoreRegister> {
    const result: StoreRegister = { openOrphansFoundAt: [], pendingDeletions: [] };
    const items = this.byKeyStore(
      customKeyStoreId,
      "(kind = :orphan AND attribute_not_exists(resolution)) OR kind = :pending",
      { ":orphan": "orphan", ":pending": "pending-deletion" },
    );
    for await (const item of items) {
      if (item.kind === "orphan" && typeof item.foundAt === "string") result.openOrphansFoundAt.push(item.foundAt);
      else if (item.kind === "pending-deletion" && typeof item.scheduledAt === "string") {
        result.pendingDeletions.push(pendingDeletionOf(item, customKeyStoreId));
      }
    }
    return result;
  }

  async writeKeySnapshot(snapshotId: string, keyArns: string[], expiresAt: Date): Promise<number> {
    const sorted = [...keyArns].sort();
    const chunks = Math.max(1, Math.ceil(sorted.length / SNAPSHOT_CHUNK));
    for (let n = 0; n < chunks; n++) {
      await this.db.send(
        new PutCommand({
          TableName: this.table(),
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

  async readKeySnapshot(snapshotId: string, chunks: number): Promise<Set<string>> {
    const arns = new Set<string>();
    for (let n = 0; n < chunks; n++) {
      const out = await this.db.send(
        new GetCommand({ TableName: this.table(), Key: { pk: snapshotKey(snapshotId, n) }, ConsistentRead: true }),
      );
      const text = (out.Item as { keyArns?: unknown } | undefined)?.keyArns;
      if (typeof text !== "string") throw new SnapshotMissingError(snapshotId, n);
      for (const arn of text.split("\n")) if (arn) arns.add(arn);
    }
    return arns;
  }

  async reopen(keyArn: string, by: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table(),
          Key: { pk: orphanKey(keyArn) },
          UpdateExpression: "REMOVE resolution, resolvedAt, resolvedBy, hsmKeyReference",
          ConditionExpression: "resolvedBy = :by",
          ExpressionAttributeValues: { ":by": by },
        }),
      );
    } catch (error: unknown) {
      if (!conditionFailed(error)) throw error;
    }
  }

  /** Sends a conditional write whose refusal means a later event was recorded first. */
  private async ignoringOlder(command: UpdateCommand): Promise<void> {
    try {
      await this.db.send(command);
    } catch (error: unknown) {
      if (!conditionFailed(error)) throw error;
    }
  }

  private table(): string {
    if (!this.tableName) throw new Error("Missing configuration: ORPHAN_TABLE_NAME");
    return this.tableName;
  }
}

function pendingDeletionOf(item: Record<string, unknown>, customKeyStoreId: string): PendingDeletion {
  return {
    keyArn: String(item.keyArn),
    customKeyStoreId,
    deletionDate: String(item.deletionDate),
    scheduledAt: String(item.scheduledAt),
    ...(typeof item.cancelledAt === "string" ? { cancelledAt: item.cancelledAt } : {}),
  };
}
