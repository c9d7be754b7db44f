import * as z from "zod/mini";
import { CUSTOM_KEY_STORE_ID } from "../../key-stores";
import type { Alert, Alerts } from "../../ports/alerts";
import type { KeyStores } from "../../ports/key-stores";
import type { Retirements } from "../../ports/retirements";
import { InvalidInputError, KEY_ARN, parseOrThrow } from "../../validation";
import { CLOUDTRAIL_API_CALL } from "./events";

/**
 * A cryptographic call KMS refused, as CloudTrail records it (KMS Developer Guide, ct-decrypt, "Decrypt failure"):
 * only the envelope and the error are required; who called, from where and when are informational and read when
 * present.
 */
export const RefusedUseEventSchema = z.object({
  account: z.string().check(z.regex(/^\d{12}$/, "must be a 12-digit account id")),
  "detail-type": z.literal(CLOUDTRAIL_API_CALL),
  detail: z.looseObject({
    eventName: z.string().check(z.minLength(1, "must name the operation")),
    errorCode: z.string().check(z.minLength(1, "must name the error")),
    errorMessage: z.optional(z.string()),
    eventTime: z.optional(z.string()),
    eventID: z.optional(z.string()),
    sourceIPAddress: z.optional(z.string()),
    userIdentity: z.optional(
      z.looseObject({
        arn: z.optional(z.string()),
        principalId: z.optional(z.string()),
        invokedBy: z.optional(z.string()),
      }),
    ),
  }),
});

/** `<key ARN> is pending deletion (or pending replica deletion).`, with DisabledException or KMSInvalidStateException. */
const PENDING_DELETION = /is pending deletion/;
/** The tag by which one key asks for its deletion to be cancelled when it is used, whatever its store's setting. */
export const CANCEL_ON_USE_TAG = "keystore-autopilot:cancel-deletion-on-use";

/** `<key ARN> is disabled.` (DisabledException: KMS Developer Guide, key-state [1]). */
const DISABLED = /is disabled\.$/;

export type UseDeps = {
  alerts: Alerts;
  keyStores: Pick<KeyStores, "cancelKeyDeletion" | "keyTags">;
  /** Uses of a disabled key go to its retirement, if it is in its probation (retire-key). */
  retirements: Pick<Retirements, "recordUse">;
  /** Whether a use of a key of this store cancels its deletion (param cancelDeletionOnUse); a key opts in by tag too. */
  cancelOnUse: (customKeyStoreId: string) => boolean;
  accountId: string;
};

/** What was done beside the alert: nothing, the deletion cancelled, or nothing left to cancel. */
export type UseAction = "ALERT_ONLY" | "DELETION_CANCELLED" | "NOT_PENDING";

export type UseOutcome =
  | { outcome: "ignored"; reason: string }
  | { outcome: "alerted"; keyArn: string; action: UseAction }
  | { outcome: "recorded"; keyArn: string };

/**
 * A use of a key pending deletion in one of our key stores: an application still needs it, and once KMS deletes it
 * the data it protects is lost for good. Raises KeyPendingDeletionInUse naming the caller; where the operator asked
 * for it (per key store, or per key with the tag CANCEL_ON_USE_TAG = "true"), cancels the deletion first, which
 * leaves the key Disabled and the data recoverable (KMS API Reference, CancelKeyDeletion). A use of a disabled key in
 * its retirement's probation is recorded there (retire-key decides on it); other disabled keys, keys of the default
 * key store and other errors are ignored.
 */
export async function handleRefusedUse(deps: UseDeps, event: unknown): Promise<UseOutcome> {
  const e = parseOrThrow(RefusedUseEventSchema, event);
  const { detail } = e;
  const message = detail.errorMessage ?? "";
  const pending = PENDING_DELETION.test(message);
  if (!pending && !DISABLED.test(message)) {
    return {
      outcome: "ignored",
      reason: `${detail.errorCode} is not a refusal for a key pending deletion or disabled`,
    };
  }
  const keyArn = keyArnOf(detail);
  if (keyArn.split(":")[4] !== deps.accountId) {
    throw new InvalidInputError(
      `Invalid input: detail.resources: key ${keyArn} is not of account ${deps.accountId}`,
      "detail.resources",
    );
  }
  const customKeyStoreId = storeOf(detail);
  if (!customKeyStoreId) return { outcome: "ignored", reason: "not a key of a custom key store" };
  if (!pending) {
    const recorded = await deps.retirements.recordUse(keyArn, {
      eventId: detail.eventID ?? `${detail.eventTime ?? "unknown"}/${callerOf(detail)}/${detail.eventName}`,
      caller: callerOf(detail),
      operation: detail.eventName,
      ...(detail.eventTime ? { at: detail.eventTime } : {}),
      ...(detail.sourceIPAddress ? { sourceIPAddress: detail.sourceIPAddress } : {}),
    });
    return recorded === "recorded"
      ? { outcome: "recorded", keyArn }
      : { outcome: "ignored", reason: "a disabled key that is not in a retirement's probation" };
  }
  let action: UseAction = "ALERT_ONLY";
  if (deps.cancelOnUse(customKeyStoreId) || (await deps.keyStores.keyTags(keyArn))[CANCEL_ON_USE_TAG] === "true") {
    const cancelled = await deps.keyStores.cancelKeyDeletion(keyArn);
    action = cancelled === "cancelled" ? "DELETION_CANCELLED" : "NOT_PENDING";
  }
  await deps.alerts.publish(alertFor(keyArn, customKeyStoreId, detail, action));
  return { outcome: "alerted", keyArn, action };
}

type Detail = z.infer<typeof RefusedUseEventSchema>["detail"];

/** The caller as CloudTrail names it: the principal's ARN, else its id, else the service that called. */
function callerOf(detail: Detail): string {
  const who = detail.userIdentity;
  return who?.arn ?? who?.principalId ?? who?.invokedBy ?? "an unknown caller";
}

function alertFor(keyArn: string, customKeyStoreId: string, detail: Detail, action: UseAction): Alert {
  const caller = callerOf(detail);
  const what =
    action === "DELETION_CANCELLED"
      ? "its deletion is cancelled and it stays Disabled: enable it only once you know the caller still needs it"
      : action === "NOT_PENDING"
        ? "it is no longer pending deletion"
        : `KMS deletes it at the end of its waiting period unless you cancel (aws kms cancel-key-deletion --key-id ${keyArn})`;
  return {
    type: "KeyPendingDeletionInUse",
    severity: "CRITICAL",
    message: `${caller} called ${detail.eventName} with KMS key ${keyArn}, which is pending deletion; ${what}`,
    keyArn,
    customKeyStoreId,
    details: {
      caller,
      operation: detail.eventName,
      errorCode: detail.errorCode,
      action,
      ...(detail.eventTime ? { eventTime: detail.eventTime } : {}),
      ...(detail.sourceIPAddress ? { sourceIPAddress: detail.sourceIPAddress } : {}),
      ...(detail.eventID ? { eventId: detail.eventID } : {}),
    },
  };
}

/** The key: the record's `resources`, else a key ARN in `requestParameters.keyId`. */
function keyArnOf(detail: Detail): string {
  const resources = Array.isArray(detail.resources) ? detail.resources : [];
  const requested = (detail.requestParameters as { keyId?: unknown } | undefined)?.keyId;
  const arn = [...resources.map((r) => (r as { ARN?: unknown } | null)?.ARN), requested].find(
    (v): v is string => typeof v === "string" && KEY_ARN.test(v),
  );
  if (!arn) {
    throw new InvalidInputError(
      "Invalid input: detail.resources: must name the KMS key (or detail.requestParameters.keyId its ARN)",
      "detail.resources",
    );
  }
  return arn;
}

/** `additionalEventData.customKeyStoreId`, which every cryptographic record of a custom key store's key carries. */
function storeOf(detail: Detail): string | undefined {
  const id = (detail.additionalEventData as { customKeyStoreId?: unknown } | undefined)?.customKeyStoreId;
  return typeof id === "string" && CUSTOM_KEY_STORE_ID.test(id) ? id : undefined;
}
