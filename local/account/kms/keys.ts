import { randomBytes } from "node:crypto";
import type { z } from "zod";
import type { AccountContext } from "../account";
import { auditKeyDeletion } from "../cloudhsm/audit-log";
import { keyReference } from "../cloudhsm/cli-commands";
import { validation } from "../errors";
import { epochSeconds, newBackingKeyId, newKeyId } from "../ids";
import type { ClusterRecord, KeyRecord } from "../model";
import type { CallRecord, Recorder } from "../protocol";
import { DAY, deletionSlack } from "../timing";
import { findCluster, isReachable, requireTwoActiveAzs } from "./clusters";
import {
  clusterInvalidConfiguration,
  customKeyStoreInvalidState,
  customKeyStoreNotFound,
  keyNotPendingDeletion,
  keyPendingDeletion,
  kmsInternal,
  limitExceeded,
  notFound,
  unsupportedOperation,
} from "./exceptions";
import { page } from "./paging";
import { type DeletedKeyRecord, findKey, getKeyStore, KIND, keyArn, keyMetadata } from "./records";
import type { DueTimes } from "./scheduler";
import type {
  CreateKeyInput,
  KeyRefInput,
  ListKeysInput,
  ListResourceTagsInput,
  ScheduleKeyDeletionInput,
  TagResourceInput,
  UntagResourceInput,
} from "./schemas";
import { defined, humanDate, lowerCamel } from "./trail";

/** Customer managed keys per account and Region (DOMAIN.md §7). */
export const MAX_KEYS_PER_ACCOUNT = 100_000;
const DEFAULT_PENDING_WINDOW_DAYS = 30;

type Deps = { ctx: AccountContext; due: DueTimes };

/** Keys per cluster (DOMAIN.md §6): 3,300 on hsm1.medium, 16,666 on hsm2m.medium. */
function clusterKeyCapacity(cluster: ClusterRecord): number {
  return cluster.HsmType === "hsm1.medium" ? 3300 : 16_666;
}

/**
 * CreateKey's request as KMS logs it (KMS Developer Guide, ct-createkey): defaults filled in, the deprecated
 * customerMasterKeySpec beside keySpec, multiRegion only when the caller sent it.
 */
export function createKeyParameters(req: z.infer<typeof CreateKeyInput>): Record<string, unknown> {
  const spec = req.KeySpec ?? req.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
  return lowerCamel({
    keyUsage: req.KeyUsage ?? "ENCRYPT_DECRYPT",
    keySpec: spec,
    customerMasterKeySpec: spec,
    origin: req.Origin ?? "AWS_KMS",
    description: req.Description ?? "",
    customKeyStoreId: req.CustomKeyStoreId,
    multiRegion: req.MultiRegion,
    bypassPolicyLockoutSafetyCheck: req.BypassPolicyLockoutSafetyCheck ?? false,
  });
}

/**
 * CreateKey (DOMAIN.md §1.8): symmetric encryption keys in the default key store, or with Origin=AWS_CLOUDHSM in a
 * CONNECTED CloudHSM key store whose cluster has two active HSMs in different AZs.
 */
export function createKey({ ctx }: Deps, req: z.infer<typeof CreateKeyInput>, record: Recorder) {
  const spec = req.KeySpec ?? req.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
  if ((req.KeyUsage ?? "ENCRYPT_DECRYPT") !== "ENCRYPT_DECRYPT" || spec !== "SYMMETRIC_DEFAULT") {
    throw unsupportedOperation(
      "The local account supports symmetric encryption keys only (KeyUsage ENCRYPT_DECRYPT, KeySpec SYMMETRIC_DEFAULT).",
    );
  }
  const origin = req.Origin ?? "AWS_KMS";
  if (origin === "EXTERNAL" || origin === "EXTERNAL_KEY_STORE") {
    throw unsupportedOperation(`The local account does not support keys with Origin ${origin}.`);
  }
  if (origin === "AWS_CLOUDHSM" && req.CustomKeyStoreId === undefined) {
    throw validation("CustomKeyStoreId is required when Origin is AWS_CLOUDHSM.");
  }
  if (origin !== "AWS_CLOUDHSM" && req.CustomKeyStoreId !== undefined) {
    throw validation("Origin must be AWS_CLOUDHSM when CustomKeyStoreId identifies an AWS CloudHSM key store.");
  }
  if (req.MultiRegion && req.CustomKeyStoreId !== undefined) {
    throw unsupportedOperation("Custom key stores do not support multi-Region keys.");
  }
  // Counted in SQLite: reading every key record on each CreateKey made creating N keys cost O(N²).
  if (ctx.store.count(KIND.key) >= MAX_KEYS_PER_ACCOUNT) {
    throw limitExceeded(`An account can have at most ${MAX_KEYS_PER_ACCOUNT} customer managed keys in each Region.`);
  }

  const keyId = newKeyId();
  const key: KeyRecord = {
    KeyId: keyId,
    Arn: keyArn(ctx, keyId),
    AWSAccountId: ctx.config.accountId,
    CreationDate: ctx.clock.now(),
    Description: req.Description ?? "",
    KeyUsage: "ENCRYPT_DECRYPT",
    KeySpec: "SYMMETRIC_DEFAULT",
    Origin: origin,
    KeyManager: "CUSTOMER",
    enabled: true,
    KeyState: "Enabled",
    ...(req.Tags?.length ? { tags: Object.fromEntries(req.Tags.map((t) => [t.TagKey, t.TagValue])) } : {}),
  };
  if (req.CustomKeyStoreId === undefined) {
    key.material = randomBytes(32).toString("hex");
    ctx.store.put(KIND.key, keyId, key);
    record(createKeyRecord(ctx, key));
    return { KeyMetadata: keyMetadata(ctx, key) };
  }

  const store = getKeyStore(ctx, req.CustomKeyStoreId);
  if (!store) throw customKeyStoreNotFound();
  if (store.ConnectionState !== "CONNECTED") throw customKeyStoreInvalidState();
  const cluster = findCluster(ctx, store.CloudHsmClusterId);
  if (!cluster) throw clusterInvalidConfiguration(`KMS cannot find cluster ${store.CloudHsmClusterId}.`);
  requireTwoActiveAzs(cluster);
  const inStore = ctx.store.count(KIND.key, { field: "CustomKeyStoreId", equals: store.CustomKeyStoreId });
  if (inStore >= clusterKeyCapacity(cluster)) {
    throw limitExceeded(`Cluster ${cluster.ClusterId} holds as many keys as its HSM type allows.`);
  }
  Object.assign(key, {
    CustomKeyStoreId: store.CustomKeyStoreId,
    CloudHsmClusterId: cluster.ClusterId,
    backingKeyId: newBackingKeyId(),
  });
  ctx.store.put(KIND.key, keyId, key);
  record(createKeyRecord(ctx, key));
  // The token write comes last: if it fails the transaction rolls back, and if the process dies after it but before
  // the commit, recovery finds a token object labelled with the ARN of a key that never existed and removes it.
  try {
    ctx.hsm.generateKey(cluster.tokenLabel, { label: key.Arn, id: key.backingKeyId as string });
  } catch (error: unknown) {
    throw kmsInternal(`KMS could not create the key material in cluster ${cluster.ClusterId}: ${message(error)}`);
  }
  return { KeyMetadata: keyMetadata(ctx, key) };
}

export function describeKey({ ctx }: Deps, req: z.infer<typeof KeyRefInput>) {
  const key = findKey(ctx, req.KeyId);
  if (!settled(ctx, key)) throw notFound(`Key '${key.Arn}' does not exist`);
  return { KeyMetadata: keyMetadata(ctx, key) };
}

/** False while the eventual-consistency fault hides a key this young (see faults.ts). */
function settled(ctx: AccountContext, key: KeyRecord): boolean {
  const fault = ctx.faults.standing("kms-eventual-consistency");
  return !fault || ctx.clock.now() - key.CreationDate >= fault.seconds * 1000;
}

/** ListKeys: every key not yet deleted, pending deletion included. It does not say which store a key is in. */
export function listKeys({ ctx }: Deps, req: z.infer<typeof ListKeysInput>) {
  const keys = ctx.store.list<KeyRecord>(KIND.key).filter((k) => settled(ctx, k));
  const { items, nextMarker } = page(keys, (k) => [k.CreationDate, k.KeyId], req.Limit, req.Marker);
  return defined({
    Keys: items.map((k) => ({ KeyId: k.KeyId, KeyArn: k.Arn })),
    NextMarker: nextMarker,
    Truncated: nextMarker !== undefined,
  });
}

/**
 * EnableKey/DisableKey. On an Unavailable key (its store disconnected) the call succeeds and takes effect when the
 * store reconnects (DOMAIN.md §4).
 */
export function setEnabled({ ctx }: Deps, req: z.infer<typeof KeyRefInput>, record: Recorder, enabled: boolean) {
  const key = findKey(ctx, req.KeyId);
  record({ resources: [key.Arn] });
  if (key.KeyState === "PendingDeletion") throw keyPendingDeletion(key.Arn);
  ctx.store.put(KIND.key, key.KeyId, { ...key, enabled, KeyState: enabled ? "Enabled" : "Disabled" });
  return {};
}

/**
 * ScheduleKeyDeletion (DOMAIN.md §4): 7–30 days, default 30. KMS deletes the key some time in the day after
 * DeletionDate (`deletionSlack`). Allowed in any state but PendingDeletion, Unavailable included.
 */
export function scheduleKeyDeletion(
  { ctx, due }: Deps,
  req: z.infer<typeof ScheduleKeyDeletionInput>,
  record: Recorder,
) {
  const key = findKey(ctx, req.KeyId);
  record({ resources: [key.Arn] });
  if (key.KeyState === "PendingDeletion") throw keyPendingDeletion(key.Arn);
  const days = req.PendingWindowInDays ?? DEFAULT_PENDING_WINDOW_DAYS;
  const deletionDate = ctx.clock.now() + days * DAY;
  const deleteAt = deletionDate + deletionSlack(key.KeyId);
  ctx.store.put(KIND.key, key.KeyId, {
    ...key,
    KeyState: "PendingDeletion",
    DeletionDate: deletionDate,
    PendingDeletionWindowInDays: days,
    deleteAt,
  });
  due.wake(deleteAt);
  record({
    responseElements: {
      keyId: key.Arn,
      deletionDate: humanDate(deletionDate),
      keyState: "PendingDeletion",
      pendingWindowInDays: days,
    },
    ...(custom(ctx, key) ? { additionalEventData: custom(ctx, key) } : {}),
  });
  return {
    KeyId: key.Arn,
    DeletionDate: epochSeconds(deletionDate),
    KeyState: "PendingDeletion",
    PendingWindowInDays: days,
  };
}

/** CancelKeyDeletion (DOMAIN.md §4): only while PendingDeletion; the key comes back Disabled. */
export function cancelKeyDeletion({ ctx }: Deps, req: z.infer<typeof KeyRefInput>, record: Recorder) {
  const key = findKey(ctx, req.KeyId);
  record({ resources: [key.Arn] });
  if (key.KeyState !== "PendingDeletion") throw keyNotPendingDeletion(key.Arn);
  const next: KeyRecord = { ...key, KeyState: "Disabled", enabled: false };
  delete next.DeletionDate;
  delete next.PendingDeletionWindowInDays;
  delete next.deleteAt;
  ctx.store.put(KIND.key, key.KeyId, next);
  record({ responseElements: { keyId: key.Arn } });
  return { KeyId: key.Arn };
}

/**
 * The end of the waiting period (DOMAIN.md §2.5, §4): KMS deletes the key, then makes a best-effort attempt to delete
 * the backing key, which works only while the store is CONNECTED and the cluster has an active HSM. Otherwise the
 * material stays in the cluster as an orphan and the DeleteKey event says FAILURE. Safe to repeat after a crash: a
 * backing key already gone counts as deleted.
 */
export function deleteDueKey(ctx: AccountContext, key: KeyRecord): void {
  const now = ctx.clock.now();
  const tombstone: DeletedKeyRecord = { KeyId: key.KeyId, Arn: key.Arn, deletedAt: now };
  let additionalEventData: Record<string, unknown> | undefined;
  if (key.CustomKeyStoreId && key.backingKeyId) {
    const store = getKeyStore(ctx, key.CustomKeyStoreId);
    const clusterId = store?.CloudHsmClusterId ?? key.CloudHsmClusterId;
    const cluster = clusterId ? findCluster(ctx, clusterId) : undefined;
    let deletionStatus: "SUCCESS" | "FAILURE" = "FAILURE";
    if (store?.ConnectionState === "CONNECTED" && isReachable(cluster)) {
      try {
        ctx.hsm.deleteKey(cluster.tokenLabel, key.backingKeyId);
        deletionStatus = "SUCCESS";
        // KMS works through the CloudHSM client logged in as kmsuser, whose commands the HSM audit log records.
        auditKeyDeletion(ctx, cluster, keyReference(cluster.ClusterId, key.backingKeyId));
      } catch {
        // Best effort, as in AWS: the material stays in the cluster and the event reports FAILURE.
      }
    }
    Object.assign(tombstone, {
      CustomKeyStoreId: key.CustomKeyStoreId,
      CloudHsmClusterId: clusterId,
      backingKeyId: key.backingKeyId,
      backingKeysDeletionStatus: deletionStatus,
    });
    additionalEventData = {
      customKeyStoreId: key.CustomKeyStoreId,
      clusterId,
      backingKeys: JSON.stringify([{ backingKeyId: key.backingKeyId }]),
      backingKeysDeletionStatus: JSON.stringify([{ backingKeyId: key.backingKeyId, deletionStatus }]),
    };
  }
  ctx.store.delete(KIND.key, key.KeyId);
  ctx.store.put(KIND.deletedKey, key.KeyId, tombstone);
  ctx.bus.cloudTrail({
    service: "kms",
    eventName: "DeleteKey",
    eventType: "AwsServiceEvent",
    requestParameters: null,
    responseElements: { keyId: key.Arn },
    ...(additionalEventData ? { additionalEventData } : {}),
    resources: [key.Arn],
  });
  ctx.bus.put({
    "detail-type": "KMS CMK Deletion",
    source: "aws.kms",
    resources: [key.Arn],
    detail: { "key-id": key.KeyId },
  });
}

/** CloudTrail's additionalEventData for keys in a CloudHSM key store. */
function custom(ctx: AccountContext, key: KeyRecord): Record<string, unknown> | undefined {
  if (!key.CustomKeyStoreId || !key.backingKeyId) return undefined;
  return {
    customKeyStoreId: key.CustomKeyStoreId,
    clusterId: getKeyStore(ctx, key.CustomKeyStoreId)?.CloudHsmClusterId ?? key.CloudHsmClusterId,
    backingKeys: JSON.stringify([{ backingKeyId: key.backingKeyId }]),
  };
}

function createKeyRecord(ctx: AccountContext, key: KeyRecord): Partial<CallRecord> {
  const metadata = keyMetadata(ctx, key);
  return {
    responseElements: {
      keyMetadata: lowerCamel({ ...metadata, CreationDate: humanDate(key.CreationDate) }),
    },
    ...(key.backingKeyId
      ? { additionalEventData: { backingKey: JSON.stringify({ backingKeyId: key.backingKeyId }) } }
      : {}),
    resources: [key.Arn],
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * TagResource (KMS API Reference): adds or replaces tags; at most 50 per resource (AWS General Reference, "Tagging
 * AWS resources"), over it LimitExceededException (TagResource's "Errors": a quota exceeded); refused while the key is
 * pending deletion (key-state table, [3]).
 */
export function tagResource({ ctx }: Deps, req: z.infer<typeof TagResourceInput>, record: Recorder) {
  const key = findKey(ctx, req.KeyId);
  record({ resources: [key.Arn] });
  if (key.KeyState === "PendingDeletion") throw keyPendingDeletion(key.Arn);
  const tags = { ...key.tags, ...Object.fromEntries(req.Tags.map((t) => [t.TagKey, t.TagValue])) };
  if (Object.keys(tags).length > 50) throw limitExceeded(`${key.Arn} would have more than 50 tags.`);
  ctx.store.put(KIND.key, key.KeyId, { ...key, tags });
  return {};
}

/** UntagResource (KMS API Reference); refused while the key is pending deletion (key-state table, [3]). */
export function untagResource({ ctx }: Deps, req: z.infer<typeof UntagResourceInput>, record: Recorder) {
  const key = findKey(ctx, req.KeyId);
  record({ resources: [key.Arn] });
  if (key.KeyState === "PendingDeletion") throw keyPendingDeletion(key.Arn);
  const tags = Object.fromEntries(Object.entries(key.tags ?? {}).filter(([k]) => !req.TagKeys.includes(k)));
  ctx.store.put(KIND.key, key.KeyId, { ...key, tags });
  return {};
}

/** ListResourceTags (KMS API Reference): the key's tags in key order, page by page; in any key state (key-state). */
export function listResourceTags({ ctx }: Deps, req: z.infer<typeof ListResourceTagsInput>) {
  const key = findKey(ctx, req.KeyId);
  const tags = Object.entries(key.tags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
  const { items, nextMarker } = page(tags, (t) => [0, t.TagKey], req.Limit, req.Marker);
  return defined({ Tags: items, NextMarker: nextMarker, Truncated: nextMarker !== undefined });
}
