import type { PendingDeletion, StoreRegister } from "../ports/orphan-register";
import { DELETION_SLACK_MS } from "../workflows/deletion-follow-up/record";

const DAY_MS = 86_400_000;

/** What the dashboard and OrphanOverdueAlarm read of a store's register items. */
export type RegisterGauges = { keysPendingDeletion: number; oldestOpenOrphanDays: number };

/**
 * A key counts as pending deletion from its schedule until KMS may have deleted it, which is up to 24 hours after its
 * deletion date (KMS Developer Guide, deleting-keys), unless a cancel at or after that schedule was recorded. A
 * schedule that reached the register only after its cancel counts until then too: the less convenient error, since
 * an operator can check a count that is too high with `keystore-autopilot status`, never one that is too low.
 */
export function isPending(deletion: PendingDeletion, now: Date): boolean {
  if (deletion.cancelledAt && deletion.cancelledAt >= deletion.scheduledAt) return false;
  return Date.parse(deletion.deletionDate) + DELETION_SLACK_MS > now.getTime();
}

/**
 * A store's keys pending deletion, and the age in days (two decimals) of its oldest open orphan: 0 when none is open,
 * so the alarm's series falls back below the threshold once the last one is resolved.
 */
export function registerGauges(register: StoreRegister, now: Date): RegisterGauges {
  const oldest = Math.min(...register.openOrphansFoundAt.map((at) => Date.parse(at)).filter(Number.isFinite));
  const days = Number.isFinite(oldest) ? Math.max(0, (now.getTime() - oldest) / DAY_MS) : 0;
  return {
    keysPendingDeletion: register.pendingDeletions.filter((d) => isPending(d, now)).length,
    oldestOpenOrphanDays: Math.round(days * 100) / 100,
  };
}
