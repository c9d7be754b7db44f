import { createHash } from "node:crypto";
import type { StoreEvents, StoreObservation, StoreRecord, StoreStateChange, StoreStates } from "../ports/store-states";

/**
 * A pending change younger than this may still be on its way out with the observer that recorded it (both observer
 * functions time out within 60 s, serverless.yml), so another observer leaves it alone; an older one was left behind
 * by a failed publish and goes out with the next observation.
 */
export const PENDING_GRACE_MS = 120_000;
/** Observers that lose the conditional write read again; more races than this on one store is not a race. */
const MAX_ATTEMPTS = 3;

export type ObserveDeps = { states: StoreStates; events: StoreEvents };

/** What an observation leaves: the store's record and the change it published, if any. */
export type Observed = { record: StoreRecord; change?: StoreStateChange };

/** The observers disagreed more than MAX_ATTEMPTS times: the caller's retry observes again. */
export class StoreObservationRaceError extends Error {
  constructor(customKeyStoreId: string) {
    super(`The record of ${customKeyStoreId} changed under every attempt to update it`);
    this.name = "StoreObservationRaceError";
  }
}

const codeOf = (s: { connectionErrorCode?: string }) => s.connectionErrorCode ?? "";

/**
 * Records an observation of a store's connection and publishes a `Key Store State Change` event when its
 * ConnectionState or ConnectionErrorCode differs from the last one recorded. KMS emits no event of its own for it
 * (KMS Developer Guide, kms-events) and DescribeCustomKeyStores answers only the current state (KMS API Reference,
 * CustomKeyStoresListEntry), so the product compares with what it saw last. The first observation of a store only
 * starts its record: there is nothing it changed from.
 *
 * Exactly one event per change under at-least-once delivery: the change is recorded with a conditional write on the
 * record as read (two observers of one change: the second's write fails, it reads again and sees no change), then
 * published, then marked published. A publish that failed leaves the change pending; the next observation publishes
 * it after PENDING_GRACE_MS (at least once, never lost). An observation older than the record changes nothing.
 */
export async function observeStore(deps: ObserveDeps, observation: StoreObservation): Promise<Observed> {
  const id = observation.customKeyStoreId;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const previous = await deps.states.get(id);
    if (previous && previous.observedAt > observation.observedAt) return { record: previous };
    let carried = previous?.pending;
    const changed =
      previous !== undefined &&
      (previous.connectionState !== observation.connectionState || codeOf(previous) !== codeOf(observation));
    // An earlier change goes out before a new one, and one left behind goes out once its writer surely stopped.
    if (carried && (changed || age(carried, observation) >= PENDING_GRACE_MS)) {
      await deps.events.publish(carried);
      carried = undefined;
    }
    const change = changed ? changeOf(previous, observation) : undefined;
    const lastConnectedAt =
      observation.connectionState === "CONNECTED" ? observation.observedAt : previous?.lastConnectedAt;
    const pending = change ?? carried;
    const next: StoreRecord = {
      connectionState: observation.connectionState,
      ...(observation.connectionErrorCode ? { connectionErrorCode: observation.connectionErrorCode } : {}),
      observedAt: observation.observedAt,
      observer: observation.observer,
      ...(lastConnectedAt ? { lastConnectedAt } : {}),
      ...(pending ? { pending } : {}),
    };
    if (!(await deps.states.replace(id, previous, next))) continue;
    if (change) {
      await deps.events.publish(change);
      await deps.states.clearPending(id, change.eventId);
    }
    return { record: next, ...(change ? { change } : {}) };
  }
  throw new StoreObservationRaceError(id);
}

function changeOf(previous: StoreRecord, observation: StoreObservation): StoreStateChange {
  const { customKeyStoreId, connectionState, observedAt, observer } = observation;
  const eventId = createHash("sha256")
    .update(
      [customKeyStoreId, previous.connectionState, codeOf(previous), connectionState, codeOf(observation)].join("\n"),
    )
    .update(`\n${observedAt}`)
    .digest("hex")
    .slice(0, 32);
  return {
    eventId,
    customKeyStoreId,
    previousConnectionState: previous.connectionState,
    ...(previous.connectionErrorCode ? { previousConnectionErrorCode: previous.connectionErrorCode } : {}),
    connectionState,
    ...(observation.connectionErrorCode ? { connectionErrorCode: observation.connectionErrorCode } : {}),
    observedAt,
    observer,
  };
}

const age = (change: StoreStateChange, now: StoreObservation) =>
  Date.parse(now.observedAt) - Date.parse(change.observedAt);

/**
 * Minutes since the store was last observed CONNECTED: 0 while it is, undefined when no observation since its record
 * began saw it connected (a number the product cannot know is not made up).
 */
export function minutesSinceLastConnect(record: StoreRecord): number | undefined {
  if (record.connectionState === "CONNECTED") return 0;
  if (!record.lastConnectedAt) return undefined;
  return Math.max(0, Math.floor((Date.parse(record.observedAt) - Date.parse(record.lastConnectedAt)) / 60_000));
}
