import type { Executions } from "../../ports/executions";
import type { KeyStores } from "../../ports/key-stores";
import type { OrphanRegister } from "../../ports/orphan-register";
import { InvalidInputError, KEY_ARN, parseOrThrow } from "../../validation";
import {
  CANCEL_KEY_DELETION,
  CMK_DELETION,
  CmkDeletionEventSchema,
  DELETE_KEY,
  EventKindSchema,
  executionName,
  executionPrefix,
  type FollowUpInput,
  KeyRecordEventSchema,
  type KeyRecordFields,
  readKeyRecord,
  SCHEDULE_KEY_DELETION,
} from "./events";

export type EventDeps = {
  keyStores: Pick<KeyStores, "describeKey">;
  executions: Executions;
  orphans: OrphanRegister;
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
 * records the cancel and stops it, DeleteKey and KMS CMK Deletion are recorded for the follow-up to read when it
 * wakes. Bad events throw InvalidInputError naming the field before anything is called; keys outside CloudHSM key
 * stores, and calls KMS refused, are ignored.
 */
export async function handleDeletionEvent(deps: EventDeps, event: unknown): Promise<EventOutcome> {
  const kind = parseOrThrow(EventKindSchema, event);
  if (kind["detail-type"] === CMK_DELETION) {
    const e = parseOrThrow(CmkDeletionEventSchema, event);
    const keyArn = e.resources[0] as string;
    checkAccount(deps, e.account, keyArn, "resources.0");
    await deps.orphans.recordCmkDeletion(keyArn, eventTime(event));
    return { outcome: "recorded", keyArn };
  }
  const e = parseOrThrow(KeyRecordEventSchema, event);
  // A refused call is delivered too; a denied CancelKeyDeletion must not stop the follow-up of a key still pending
  // deletion. Checked before the key is read: a refused call's record may not name it.
  if (e.detail.errorCode) {
    return { outcome: "ignored", reason: `the call was refused (${e.detail.errorCode}) and changed nothing` };
  }
  const record = readKeyRecord(e.detail);
  checkAccount(deps, e.account, record.keyArn, "detail.responseElements.keyId");
  switch (e.detail.eventName) {
    case CANCEL_KEY_DELETION:
      await deps.orphans.recordDeletionCancelled(record.keyArn, eventTime(event));
      return { outcome: "stopped", executions: await stopFollowUps(deps, record.keyArn) };
    case DELETE_KEY: {
      if (!record.customKeyStoreId) return { outcome: "ignored", reason: "not in a CloudHSM key store" };
      const [status] = record.backingKeysDeletionStatus;
      // Only CloudHSM key stores have backing keys; an external key store's key, or a record without a readable
      // status, leaves the follow-up to find out for itself when it wakes.
      if (!status || (status.deletionStatus !== "SUCCESS" && status.deletionStatus !== "FAILURE")) {
        return { outcome: "ignored", reason: "the record has no readable backingKeysDeletionStatus" };
      }
      await deps.orphans.recordDeleteKeyStatus({
        keyArn: record.keyArn,
        backingKeyId: status.backingKeyId,
        status: status.deletionStatus,
        at: eventTime(event),
      });
      return { outcome: "recorded", keyArn: record.keyArn };
    }
    case SCHEDULE_KEY_DELETION:
      return startFollowUp(deps, record, eventTime(event));
  }
}

/**
 * Starts the key's follow-up. The record alone decides when it names the key store, the cluster and the deletion
 * date; otherwise DescribeKey does. A record without a cluster may be an external key store's key: those have no
 * cluster and no key material of ours, so only a key whose Origin is AWS_CLOUDHSM gets a follow-up. The register
 * keeps the key as pending deletion in its store (KeysPendingDeletion) until its cancel, or its deletion date, passes.
 */
async function startFollowUp(deps: EventDeps, record: KeyRecordFields, at: string): Promise<EventOutcome> {
  const { keyArn } = record;
  let { customKeyStoreId, clusterId, deletionDate } = record;
  if (!customKeyStoreId || !clusterId || !deletionDate) {
    const found = await deps.keyStores.describeKey(keyArn);
    if (found.gone) return { outcome: "ignored", reason: "the key no longer exists" };
    const { key } = found;
    // A multi-Region primary key with replicas is PendingReplicaDeletion, with no deletion date: its waiting period
    // starts only when its last replica is deleted (KMS Developer Guide, multi-region-keys-delete). Custom key stores
    // hold no multi-Region keys (KMS API Reference, CreateKey), so such a key never needs a follow-up.
    if (key.keyState === "PendingReplicaDeletion") {
      return {
        outcome: "ignored",
        reason: "a multi-Region key waiting for its replicas (never in a custom key store)",
      };
    }
    if (key.origin !== "AWS_CLOUDHSM" || !key.customKeyStoreId) {
      return { outcome: "ignored", reason: "not in a CloudHSM key store" };
    }
    customKeyStoreId = key.customKeyStoreId;
    clusterId = clusterId ?? key.clusterId;
    deletionDate = deletionDate ?? (key.keyState === "PendingDeletion" ? key.deletionDate : undefined);
  }
  if (!deletionDate) return { outcome: "ignored", reason: "the key is no longer pending deletion" };
  const [backing] = record.backingKeys;
  const input: FollowUpInput = {
    keyArn,
    customKeyStoreId,
    ...(clusterId ? { clusterId } : {}),
    ...(backing ? { backingKeyId: backing.backingKeyId } : {}),
    deletionDate: deletionDate.toISOString(),
  };
  const name = executionName(keyArn, deletionDate);
  // Same name, same key and date: another delivery of this event already started it.
  const { started } = await deps.executions.startOnce({ stateMachineArn: deps.stateMachineArn, name, input });
  await deps.orphans.recordPendingDeletion({ keyArn, customKeyStoreId, deletionDate: input.deletionDate, at });
  return { outcome: started ? "started" : "already-following", executionName: name };
}

/** Stops every running follow-up of the key (normally one); one already finished or stopped is left alone. */
function stopFollowUps(deps: EventDeps, keyArn: string): Promise<string[]> {
  return deps.executions.stopNamed(deps.stateMachineArn, executionPrefix(keyArn), {
    error: "KeyDeletionCancelled",
    cause: "CancelKeyDeletion was called for the key",
  });
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
