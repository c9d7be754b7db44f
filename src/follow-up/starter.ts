import { ListExecutionsCommand, StartExecutionCommand, StopExecutionCommand } from "@aws-sdk/client-sfn";
import type { SfnPort } from "../executions";
import type { KmsPort } from "../key-store-lookups";
import { type DocumentPort, recordCmkDeletion, recordDeleteKeyStatus } from "../orphans";
import { InvalidInputError, parseOrThrow } from "../validation";
import {
  CANCEL_KEY_DELETION,
  CancelKeyDeletionEventSchema,
  CMK_DELETION,
  CmkDeletionEventSchema,
  DELETE_KEY,
  DeleteKeyEventSchema,
  EventKindSchema,
  executionName,
  executionPrefix,
  type FollowUpInput,
  KEY_ARN,
  parseBackingKeys,
  parseDeletionDate,
  ScheduleKeyDeletionEventSchema,
} from "./events";
import { describeKey } from "./record";

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
