import * as z from "zod/mini";
import { CUSTOM_KEY_STORE_ID } from "../../key-stores";
import { ClusterIdSchema, InvalidInputError, KEY_ARN, KeyArnSchema } from "../../validation";

/** The events the deletion follow-up reacts to (DOMAIN.md §4, §5.1), as EventBridge delivers them. */
export const KMS_SOURCE = "aws.kms";
export const CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail";
export const CLOUDTRAIL_SERVICE_EVENT = "AWS Service Event via CloudTrail";
export const CMK_DELETION = "KMS CMK Deletion";
export const SCHEDULE_KEY_DELETION = "ScheduleKeyDeletion";
export const CANCEL_KEY_DELETION = "CancelKeyDeletion";
export const DELETE_KEY = "DeleteKey";

export const KEY_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

const keyArn = KeyArnSchema;

const Envelope = z.object({
  account: z.string().check(z.regex(/^\d{12}$/, "must be a 12-digit account id")),
  region: z.string().check(z.minLength(1, "must be a Region")),
});

/**
 * A KMS CloudTrail record inside its EventBridge envelope. Only the envelope and the event name are checked here: the
 * record's other fields are read liberally by `readKeyRecord`, because AWS's own examples differ in which are present
 * (test/events/aws/SOURCES.md).
 */
export const KeyRecordEventSchema = z.extend(Envelope, {
  "detail-type": z.enum([CLOUDTRAIL_API_CALL, CLOUDTRAIL_SERVICE_EVENT]),
  detail: z.looseObject({
    eventName: z.enum([SCHEDULE_KEY_DELETION, CANCEL_KEY_DELETION, DELETE_KEY]),
    /** Set when KMS refused the call (KMS Developer Guide, ct-decrypt "Decrypt failure"): it changed nothing. */
    errorCode: z.optional(z.string()),
  }),
});

export const CmkDeletionEventSchema = z.extend(Envelope, {
  "detail-type": z.literal(CMK_DELETION),
  resources: z.array(keyArn).check(z.minLength(1, "must name the deleted key")),
  detail: z.object({ "key-id": z.string().check(z.regex(KEY_ID, "must be a KMS key id")) }),
});

/** Which schema applies, from the two fields every event has; anything else is rejected naming the field. */
export const EventKindSchema = z.object({
  "detail-type": z.enum([CLOUDTRAIL_API_CALL, CLOUDTRAIL_SERVICE_EVENT, CMK_DELETION]),
  detail: z.object({ eventName: z.optional(z.enum([SCHEDULE_KEY_DELETION, CANCEL_KEY_DELETION, DELETE_KEY])) }),
});

/** What a KMS CloudTrail record says about one key; everything but `keyArn` is informational and may be missing. */
export type KeyRecordFields = {
  keyArn: string;
  /** `responseElements.deletionDate`, when present and readable. */
  deletionDate?: Date;
  keyState?: string;
  customKeyStoreId?: string;
  clusterId?: string;
  backingKeys: { backingKeyId: string; deletionStatus?: string }[];
  backingKeysDeletionStatus: { backingKeyId: string; deletionStatus?: string }[];
};

const CustomKeyStoreIdSchema = z.string().check(z.regex(CUSTOM_KEY_STORE_ID));

/**
 * Reads a KMS CloudTrail record liberally. The key ARN is the one required field: `responseElements.keyId`, or else
 * the record's `resources`, which is the only place DeleteKey records written before December 2022 name it
 * ("responseElements": null; KMS Developer Guide, ct-delete-key). A missing or malformed deletion date, key store id,
 * cluster id or backing key list is left out, for the caller to fall back on DescribeKey.
 */
export function readKeyRecord(detail: unknown): KeyRecordFields {
  const record = asObject(detail);
  const response = asObject(record.responseElements);
  const data = asObject(record.additionalEventData);
  const keyArn = [response.keyId, ...resourceArns(record.resources)].find(
    (v): v is string => typeof v === "string" && KEY_ARN.test(v),
  );
  if (!keyArn) {
    throw new InvalidInputError(
      "Invalid input: detail.responseElements.keyId: must be a KMS key ARN (or detail.resources must name one)",
      "detail.responseElements.keyId",
    );
  }
  const date = response.deletionDate;
  const deletionDate = typeof date === "string" || typeof date === "number" ? parseDeletionDate(date) : undefined;
  const customKeyStoreId = CustomKeyStoreIdSchema.safeParse(data.customKeyStoreId);
  const clusterId = ClusterIdSchema.safeParse(data.clusterId);
  return {
    keyArn,
    ...(deletionDate ? { deletionDate } : {}),
    ...(typeof response.keyState === "string" ? { keyState: response.keyState } : {}),
    ...(customKeyStoreId.success ? { customKeyStoreId: customKeyStoreId.data } : {}),
    ...(clusterId.success ? { clusterId: clusterId.data } : {}),
    backingKeys: parseBackingKeys(typeof data.backingKeys === "string" ? data.backingKeys : undefined),
    backingKeysDeletionStatus: parseBackingKeys(
      typeof data.backingKeysDeletionStatus === "string" ? data.backingKeysDeletionStatus : undefined,
    ),
  };
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The KMS key ARNs in a CloudTrail record's `resources` ({accountId, type: "AWS::KMS::Key", ARN}). */
function resourceArns(resources: unknown): unknown[] {
  if (!Array.isArray(resources)) return [];
  return resources.map(asObject).map((r) => r.ARN);
}

/** What a follow-up execution starts from: built only from the record, so duplicates carry identical input. */
export const FollowUpInputSchema = z.object({
  keyArn,
  customKeyStoreId: z.string().check(z.regex(CUSTOM_KEY_STORE_ID, "must look like cks-1234567890abcdef0")),
  clusterId: z.optional(ClusterIdSchema),
  backingKeyId: z.optional(z.string().check(z.minLength(1))),
  deletionDate: z.iso.datetime({ message: "must be an ISO 8601 date-time" }),
});
export type FollowUpInput = z.infer<typeof FollowUpInputSchema>;

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const HUMAN =
  /^([A-Za-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4}),? (\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?(?:\s*(?:UTC|GMT|Z))?$/i;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses CloudTrail's `deletionDate`, which KMS writes human-formatted (`Nov 2, 2021, 11:25:25 PM`, and also seen as
 * `Apr 12, 2021 18:58:30 PM` with a 24-hour clock and a stray PM), in UTC; also ISO 8601 and epoch seconds.
 * Returns undefined rather than guessing when the text fits none of these.
 */
export function parseDeletionDate(value: string | number): Date | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? new Date(value * 1000) : undefined;
  const text = value.trim();
  if (ISO.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  const m = HUMAN.exec(text);
  if (!m) return undefined;
  const month = MONTHS.indexOf((m[1] as string).toLowerCase());
  let hour = Number(m[4]);
  const meridiem = m[7]?.toUpperCase();
  if (hour <= 12 && meridiem === "PM" && hour !== 12) hour += 12;
  if (hour === 12 && meridiem === "AM") hour = 0;
  const [day, year, minute, second] = [Number(m[2]), Number(m[3]), Number(m[5]), Number(m[6] ?? 0)];
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(Date.UTC(year, month, day, hour, minute, second));
  return date.getUTCDate() === day ? date : undefined;
}

/** The key id inside a key ARN. */
export function keyIdOf(arn: string): string {
  return KEY_ARN.exec(arn)?.[3] ?? arn;
}

/**
 * One execution per (key, deletion date): `followup-<keyId>-<yyyymmddHHMMss>` (≤ 60 characters, only [a-z0-9-]),
 * so a duplicate event, a retry or a replay names the same execution and a later schedule a new one.
 */
export function executionName(keyArn: string, deletionDate: Date): string {
  const stamp = deletionDate.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${executionPrefix(keyArn)}${stamp}`;
}

export function executionPrefix(keyArn: string): string {
  return `followup-${keyIdOf(keyArn)}-`;
}

/** The backing key ids in CloudTrail's JSON-encoded `backingKeys`/`backingKeysDeletionStatus`; [] when unreadable. */
export function parseBackingKeys(encoded: string | undefined): { backingKeyId: string; deletionStatus?: string }[] {
  if (!encoded) return [];
  try {
    const parsed: unknown = JSON.parse(encoded);
    const list = z.array(
      z.object({ backingKeyId: z.string().check(z.minLength(1)), deletionStatus: z.optional(z.string()) }),
    );
    const result = list.safeParse(Array.isArray(parsed) ? parsed : [parsed]);
    return result.success ? result.data : [];
  } catch {
    return [];
  }
}
