import type { KeyStores } from "../../ports/key-stores";
import type { FollowUpInput } from "./events";

/** KMS deletes a key up to 24 hours after its DeletionDate (DOMAIN.md §4); the follow-up wakes after that. */
export const DELETION_SLACK_MS = 24 * 60 * 60 * 1000;

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
export async function recordFollowUp(
  keyStores: Pick<KeyStores, "describeKey">,
  input: FollowUpInput,
): Promise<RecordedKey> {
  const found = await keyStores.describeKey(input.keyArn);
  const key = found.gone ? undefined : found.key;
  const eventDate = new Date(input.deletionDate);
  const base = {
    keyArn: input.keyArn,
    customKeyStoreId: key?.customKeyStoreId ?? input.customKeyStoreId,
    ...((key?.clusterId ?? input.clusterId) ? { clusterId: key?.clusterId ?? input.clusterId } : {}),
    ...(input.backingKeyId ? { backingKeyId: input.backingKeyId } : {}),
    ...(key?.creationDate ? { keyCreatedAt: key.creationDate.toISOString() } : {}),
  };
  if (!key) return { ...base, state: "KEY_GONE", deletionDate: input.deletionDate, checkAfter: input.deletionDate };
  const deletionDate = key.keyState === "PendingDeletion" ? key.deletionDate : undefined;
  const at = (deletionDate ?? eventDate).toISOString();
  const checkAfter = new Date((deletionDate ?? eventDate).getTime() + DELETION_SLACK_MS).toISOString();
  if (!deletionDate) return { ...base, state: "CANCELLED", deletionDate: at, checkAfter };
  // CloudTrail's date has second precision; anything further apart is a different schedule.
  const state = Math.abs(deletionDate.getTime() - eventDate.getTime()) > 1000 ? "SUPERSEDED" : "PENDING_DELETION";
  return { ...base, state, deletionDate: at, checkAfter };
}
