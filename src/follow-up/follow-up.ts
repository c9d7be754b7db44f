import {
  type Backup,
  type CloudHSMV2Client,
  DescribeBackupsCommand,
  DescribeClustersCommand,
} from "@aws-sdk/client-cloudhsm-v2";
import { DescribeKeyCommand, type KeyMetadata, type KMSClient } from "@aws-sdk/client-kms";
import {
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import * as z from "zod/mini";
import { type Alert, type EventsPort, publishAlert } from "../alerts";
import {
  type DocumentPort,
  readDeletionStatus,
  recordCmkDeletion,
  recordDeleteKeyStatus,
  registerOrphan,
} from "../orphans";
import { ExecutionNameSchema, InvalidInputError, parseOrThrow } from "../validation";
import {
  CANCEL_KEY_DELETION,
  CancelKeyDeletionEventSchema,
  CKS_ID,
  CLUSTER_ID,
  CMK_DELETION,
  CmkDeletionEventSchema,
  DELETE_KEY,
  DeleteKeyEventSchema,
  EventKindSchema,
  executionName,
  executionPrefix,
  type FollowUpInput,
  FollowUpInputSchema,
  KEY_ARN,
  parseBackingKeys,
  parseDeletionDate,
  ScheduleKeyDeletionEventSchema,
} from "./events";

export type KmsPort = Pick<KMSClient, "send">;
export type SfnPort = Pick<SFNClient, "send">;
export type CloudHsmPort = Pick<CloudHSMV2Client, "send">;

/** KMS deletes a key up to 24 hours after its DeletionDate (DOMAIN.md §4); the follow-up wakes after that. */
export const DELETION_SLACK_MS = 24 * 60 * 60 * 1000;

export type EventDeps = {
  kms: KmsPort;
  sfn: SfnPort;
  db: DocumentPort;
  table: string;
  stateMachineArn: string;
  accountId: string;
};

export type EventOutcome =
  | { outcome: "started" | "already-following"; executionName: string }
  | { outcome: "ignored"; reason: string }
  | { outcome: "stopped"; executions: string[] }
  | { outcome: "recorded"; keyArn: string };

/**
 * Routes one EventBridge event: ScheduleKeyDeletion starts the key's follow-up (deterministic name), CancelKeyDeletion
 * stops it, DeleteKey and KMS CMK Deletion are recorded for the follow-up to read when it wakes. Bad events throw
 * InvalidInputError naming the field before anything is called; keys outside CloudHSM key stores are ignored.
 */
export async function handleDeletionEvent(deps: EventDeps, event: unknown): Promise<EventOutcome> {
  const kind = parseOrThrow(EventKindSchema, event);
  if (kind["detail-type"] === CMK_DELETION) {
    const e = parseOrThrow(CmkDeletionEventSchema, event);
    const keyArn = e.resources[0] as string;
    checkAccount(deps, e.account, keyArn, "resources.0");
    await recordCmkDeletion(deps.db, deps.table, keyArn, eventTime(event));
    return { outcome: "recorded", keyArn };
  }
  switch (kind.detail.eventName) {
    case CANCEL_KEY_DELETION: {
      const e = parseOrThrow(CancelKeyDeletionEventSchema, event);
      checkAccount(deps, e.account, e.detail.responseElements.keyId, "detail.responseElements.keyId");
      return { outcome: "stopped", executions: await stopFollowUps(deps, e.detail.responseElements.keyId) };
    }
    case DELETE_KEY: {
      const e = parseOrThrow(DeleteKeyEventSchema, event);
      const keyArn = e.detail.responseElements.keyId;
      checkAccount(deps, e.account, keyArn, "detail.responseElements.keyId");
      const data = e.detail.additionalEventData;
      if (!data?.customKeyStoreId) return { outcome: "ignored", reason: "not in a CloudHSM key store" };
      const [status] = parseBackingKeys(data.backingKeysDeletionStatus);
      if (status?.deletionStatus !== "SUCCESS" && status?.deletionStatus !== "FAILURE") {
        throw new InvalidInputError(
          "Invalid input: detail.additionalEventData.backingKeysDeletionStatus: must be a JSON list with deletionStatus SUCCESS or FAILURE",
          "detail.additionalEventData.backingKeysDeletionStatus",
        );
      }
      await recordDeleteKeyStatus(deps.db, deps.table, {
        keyArn,
        backingKeyId: status.backingKeyId,
        status: status.deletionStatus,
        at: eventTime(event),
      });
      return { outcome: "recorded", keyArn };
    }
    case "ScheduleKeyDeletion":
      return startFollowUp(deps, event);
    default:
      throw new InvalidInputError(
        "Invalid input: detail.eventName: must be one the follow-up handles",
        "detail.eventName",
      );
  }
}

async function startFollowUp(deps: EventDeps, event: unknown): Promise<EventOutcome> {
  const e = parseOrThrow(ScheduleKeyDeletionEventSchema, event);
  const keyArn = e.detail.responseElements.keyId;
  checkAccount(deps, e.account, keyArn, "detail.responseElements.keyId");
  const data = e.detail.additionalEventData;
  let customKeyStoreId = data?.customKeyStoreId;
  let clusterId = data?.clusterId;
  let deletionDate = parseDeletionDate(e.detail.responseElements.deletionDate);
  // DescribeKey only when the record lacks what we need: most events are decided from the record alone.
  if (!customKeyStoreId || !deletionDate) {
    const key = await describeKey(deps.kms, keyArn);
    if (!key) return { outcome: "ignored", reason: "the key no longer exists" };
    customKeyStoreId = key.CustomKeyStoreId;
    clusterId = clusterId ?? key.CloudHsmClusterId;
    deletionDate = deletionDate ?? key.DeletionDate;
  }
  if (!customKeyStoreId) return { outcome: "ignored", reason: "not in a CloudHSM key store" };
  if (!deletionDate) return { outcome: "ignored", reason: "the key is no longer pending deletion" };
  const [backing] = parseBackingKeys(data?.backingKeys);
  const input: FollowUpInput = {
    keyArn,
    customKeyStoreId,
    ...(clusterId ? { clusterId } : {}),
    ...(backing ? { backingKeyId: backing.backingKeyId } : {}),
    deletionDate: deletionDate.toISOString(),
  };
  const name = executionName(keyArn, deletionDate);
  try {
    await deps.sfn.send(
      new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name, input: JSON.stringify(input) }),
    );
    return { outcome: "started", executionName: name };
  } catch (error: unknown) {
    // Same name, same key and date: another delivery of this event already started it.
    if (error instanceof Error && error.name === "ExecutionAlreadyExists") {
      return { outcome: "already-following", executionName: name };
    }
    throw error;
  }
}

/** Stops every running follow-up of the key (normally one); one already finished or stopped is left alone. */
async function stopFollowUps(deps: EventDeps, keyArn: string): Promise<string[]> {
  const prefix = executionPrefix(keyArn);
  const stopped: string[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 100; page++) {
    const out = await deps.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: deps.stateMachineArn,
        statusFilter: "RUNNING",
        maxResults: 1000,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const execution of out.executions ?? []) {
      if (!execution.name?.startsWith(prefix) || !execution.executionArn) continue;
      try {
        await deps.sfn.send(
          new StopExecutionCommand({
            executionArn: execution.executionArn,
            error: "KeyDeletionCancelled",
            cause: "CancelKeyDeletion was called for the key",
          }),
        );
        stopped.push(execution.name);
      } catch (error: unknown) {
        if (!(error instanceof Error && error.name === "ExecutionDoesNotExist")) throw error;
      }
    }
    nextToken = out.nextToken;
    if (!nextToken) break;
  }
  return stopped;
}

function checkAccount(deps: EventDeps, account: string, keyArn: string, field: string): void {
  if (account !== deps.accountId) {
    throw new InvalidInputError(
      `Invalid input: account: ${account} is not this account (${deps.accountId})`,
      "account",
    );
  }
  const arnAccount = KEY_ARN.exec(keyArn)?.[2];
  if (arnAccount !== deps.accountId) {
    throw new InvalidInputError(`Invalid input: ${field}: the key belongs to another account (${arnAccount})`, field);
  }
}

function eventTime(event: unknown): string {
  const time = (event as { time?: unknown }).time;
  return typeof time === "string" ? time : new Date().toISOString();
}

async function describeKey(kms: KmsPort, keyArn: string): Promise<KeyMetadata | undefined> {
  try {
    return (await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata;
  } catch (error: unknown) {
    if (error instanceof Error && error.name === "NotFoundException") return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Workflow steps (statemachines/deletion-follow-up.asl.yml)

export type KeyRecordState = "PENDING_DELETION" | "KEY_GONE" | "CANCELLED" | "SUPERSEDED";

export type RecordedKey = {
  state: KeyRecordState;
  keyArn: string;
  customKeyStoreId: string;
  clusterId?: string;
  backingKeyId?: string;
  /** ISO; DescribeKey's DeletionDate when the key is still pending, else the event's. */
  deletionDate: string;
  /** ISO; when the follow-up wakes: DeletionDate + KMS's up-to-24-hour slack. */
  checkAfter: string;
  keyCreatedAt?: string;
};

/**
 * Step 1: records the key's ARN, key store, cluster and backing key id, and when to check. Prefers DescribeKey's
 * DeletionDate over the event's; a key no longer pending is CANCELLED, one pending with another date SUPERSEDED (a
 * later schedule has its own follow-up), one already gone goes straight to the check.
 */
export async function recordFollowUp(kms: KmsPort, raw: unknown): Promise<RecordedKey> {
  const input = parseOrThrow(FollowUpInputSchema, raw);
  const key = await describeKey(kms, input.keyArn);
  const eventDate = new Date(input.deletionDate);
  const base = {
    keyArn: input.keyArn,
    customKeyStoreId: key?.CustomKeyStoreId ?? input.customKeyStoreId,
    ...((key?.CloudHsmClusterId ?? input.clusterId) ? { clusterId: key?.CloudHsmClusterId ?? input.clusterId } : {}),
    ...(input.backingKeyId ? { backingKeyId: input.backingKeyId } : {}),
    ...(key?.CreationDate ? { keyCreatedAt: key.CreationDate.toISOString() } : {}),
  };
  if (!key) return { ...base, state: "KEY_GONE", deletionDate: input.deletionDate, checkAfter: input.deletionDate };
  const deletionDate = key.KeyState === "PendingDeletion" ? key.DeletionDate : undefined;
  const at = (deletionDate ?? eventDate).toISOString();
  const checkAfter = new Date((deletionDate ?? eventDate).getTime() + DELETION_SLACK_MS).toISOString();
  if (!deletionDate) return { ...base, state: "CANCELLED", deletionDate: at, checkAfter };
  // CloudTrail's date has second precision; anything further apart is a different schedule.
  const state = Math.abs(deletionDate.getTime() - eventDate.getTime()) > 1000 ? "SUPERSEDED" : "PENDING_DELETION";
  return { ...base, state, deletionDate: at, checkAfter };
}

/** KMS has not deleted the key yet although its DeletionDate plus slack has passed: checked again later. */
export class KeyNotYetDeletedError extends Error {
  constructor(keyArn: string) {
    super(`KMS still has ${keyArn} pending deletion after its deletion date and slack`);
    this.name = "KeyNotYetDeletedError";
  }
}

/** The key is gone but the DeleteKey event's status has not been recorded yet: checked again shortly. */
export class DeletionStatusPendingError extends Error {
  constructor(keyArn: string) {
    super(`No DeleteKey status recorded yet for ${keyArn}`);
    this.name = "DeletionStatusPendingError";
  }
}

export type BackupReport = {
  backupId: string;
  state: string;
  createdAt: string;
  neverExpires: boolean;
  /** When the retention policy deletes it (READY, not never-expires), or when it is purged (PENDING_DELETION). */
  expiresAt?: string;
};

export type CheckOutcome =
  | { result: "CANCELLED" | "SUPERSEDED"; keyArn: string }
  | {
      result: "MATERIAL_DELETED" | "ORPHAN_REGISTERED";
      keyArn: string;
      customKeyStoreId: string;
      clusterId?: string;
      backingKeyId?: string;
      deletionStatus: "SUCCESS" | "FAILURE" | "UNVERIFIED";
      orphanStatus?: string;
      /** Backups taken while the key existed: they still hold its material until they expire or are deleted. */
      backups: BackupReport[];
      backupsHoldingMaterial: number;
    };

export type CheckDeps = { kms: KmsPort; cloudhsm: CloudHsmPort; db: DocumentPort; table: string; now: () => Date };

const CheckInputSchema = z.object({
  record: z.object({
    keyArn: z.string().check(z.regex(KEY_ARN, "must be a KMS key ARN")),
    customKeyStoreId: z.string().check(z.regex(CKS_ID, "must look like cks-1234567890abcdef0")),
    clusterId: z.optional(z.string().check(z.regex(CLUSTER_ID, "must look like cluster-1a23b4cdefg"))),
    backingKeyId: z.optional(z.string()),
    deletionDate: z.string(),
    keyCreatedAt: z.optional(z.string()),
  }),
  executionName: ExecutionNameSchema,
  acceptUnverified: z.optional(z.boolean()),
});

/**
 * Step 2, after the wait: confirms with KMS that the key is gone, then decides from the recorded DeleteKey status
 * whether its backing key was deleted. SUCCESS: done. FAILURE: an orphan. No status at all (only with
 * `acceptUnverified`, after the status had time to arrive): an UNVERIFIED orphan — never a guessed "deleted"; the
 * cleanup workflow verifies it as kmsuser in its maintenance window, since a kmsuser login here would need the store
 * disconnected. Lists the cluster's backups taken while the key existed either way.
 */
export async function checkFollowUp(deps: CheckDeps, raw: unknown): Promise<CheckOutcome> {
  const { record, executionName: followUp, acceptUnverified } = parseOrThrow(CheckInputSchema, raw);
  const key = await describeKey(deps.kms, record.keyArn);
  if (key) {
    if (key.KeyState !== "PendingDeletion") return { result: "CANCELLED", keyArn: record.keyArn };
    if (key.DeletionDate && Math.abs(key.DeletionDate.getTime() - Date.parse(record.deletionDate)) > 1000) {
      return { result: "SUPERSEDED", keyArn: record.keyArn };
    }
    throw new KeyNotYetDeletedError(record.keyArn);
  }
  const status = await readDeletionStatus(deps.db, deps.table, record.keyArn);
  if (!status?.backingKeysDeletionStatus && !acceptUnverified) throw new DeletionStatusPendingError(record.keyArn);
  const deletionStatus = status?.backingKeysDeletionStatus ?? "UNVERIFIED";
  const backingKeyId = record.backingKeyId ?? status?.backingKeyId;
  const backups = record.clusterId ? await backupsHoldingKey(deps, record.clusterId, record.keyCreatedAt) : [];
  const common = {
    keyArn: record.keyArn,
    customKeyStoreId: record.customKeyStoreId,
    ...(record.clusterId ? { clusterId: record.clusterId } : {}),
    ...(backingKeyId ? { backingKeyId } : {}),
    deletionStatus,
    backups,
    backupsHoldingMaterial: backups.length,
  } as const;
  if (deletionStatus === "SUCCESS") return { result: "MATERIAL_DELETED", ...common };
  const orphan = await registerOrphan(deps.db, deps.table, {
    keyArn: record.keyArn,
    ...(backingKeyId ? { backingKeyId } : {}),
    customKeyStoreId: record.customKeyStoreId,
    ...(record.clusterId ? { clusterId: record.clusterId } : {}),
    status: deletionStatus,
    foundAt: deps.now().toISOString(),
    followUp,
  });
  return { result: "ORPHAN_REGISTERED", ...common, orphanStatus: orphan.status };
}

/** Backups of the cluster taken after the key was created (all of them when its creation date is unknown). */
async function backupsHoldingKey(deps: CheckDeps, clusterId: string, keyCreatedAt?: string): Promise<BackupReport[]> {
  const clusters = await deps.cloudhsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
  const policy = clusters.Clusters?.[0]?.BackupRetentionPolicy;
  const retentionDays = policy?.Type === "DAYS" && policy.Value ? Number(policy.Value) : undefined;
  const since = keyCreatedAt ? Date.parse(keyCreatedAt) : 0;
  const backups: Backup[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 100; page++) {
    const out = await deps.cloudhsm.send(
      new DescribeBackupsCommand({
        Filters: { clusterIds: [clusterId] },
        MaxResults: 50,
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    backups.push(...(out.Backups ?? []));
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return backups
    .filter((b) => b.BackupState !== "DELETED" && (b.CreateTimestamp?.getTime() ?? 0) >= since)
    .map((b) => {
      const created = b.CreateTimestamp ?? new Date(0);
      let expiresAt: string | undefined;
      if (b.BackupState === "PENDING_DELETION" && b.DeleteTimestamp) expiresAt = b.DeleteTimestamp.toISOString();
      else if (!b.NeverExpires && retentionDays) {
        expiresAt = new Date(created.getTime() + retentionDays * 24 * 60 * 60 * 1000).toISOString();
      }
      return {
        backupId: b.BackupId ?? "",
        state: b.BackupState ?? "UNKNOWN",
        createdAt: created.toISOString(),
        neverExpires: Boolean(b.NeverExpires),
        ...(expiresAt ? { expiresAt } : {}),
      };
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Alerts

const AlertInputSchema = z.object({
  type: z.enum(["OrphanedKeyMaterial", "FollowUpFailed"]),
  executionName: ExecutionNameSchema,
  keyArn: z.string().check(z.regex(KEY_ARN, "must be a KMS key ARN")),
  customKeyStoreId: z.optional(z.string().check(z.regex(CKS_ID, "must look like cks-1234567890abcdef0"))),
  clusterId: z.optional(z.string().check(z.regex(CLUSTER_ID, "must look like cluster-1a23b4cdefg"))),
  backingKeyId: z.optional(z.string()),
  deletionStatus: z.optional(z.string()),
  backupsHoldingMaterial: z.optional(z.number().check(z.int())),
  error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

/** Builds and publishes the operators' alert for an orphan or a failed follow-up; returns the alert type. */
export async function alertFollowUp(events: EventsPort, busName: string, raw: unknown): Promise<Alert> {
  const input = parseOrThrow(AlertInputSchema, raw);
  const orphan = input.type === "OrphanedKeyMaterial";
  const alert: Alert = {
    type: input.type,
    severity: orphan ? "CRITICAL" : "WARNING",
    message: orphan
      ? `Key material of deleted KMS key ${input.keyArn} may remain in the cluster (${input.deletionStatus}); registered for cleanup`
      : `The deletion follow-up of ${input.keyArn} failed: ${input.error?.Error ?? "unknown error"}`,
    keyArn: input.keyArn,
    ...(input.customKeyStoreId ? { customKeyStoreId: input.customKeyStoreId } : {}),
    ...(input.clusterId ? { clusterId: input.clusterId } : {}),
    details: {
      executionName: input.executionName,
      ...(input.backingKeyId ? { backingKeyId: input.backingKeyId } : {}),
      ...(input.deletionStatus ? { deletionStatus: input.deletionStatus } : {}),
      ...(input.backupsHoldingMaterial !== undefined ? { backupsHoldingMaterial: input.backupsHoldingMaterial } : {}),
      ...(input.error?.Error ? { error: input.error.Error } : {}),
    },
  };
  await publishAlert(events, busName, alert);
  return alert;
}
