/**
 * The last connection state observed of each custom key store, so that a change is told once. The product keeps it
 * (src/adapters/store-states.ts, an item per store in the orphan register's table) because KMS keeps no history of
 * it: DescribeCustomKeyStores answers only the current ConnectionState and ConnectionErrorCode (KMS API Reference,
 * CustomKeyStoresListEntry).
 */

/** What one observation of a store saw (DescribeCustomKeyStores). */
export type StoreObservation = {
  customKeyStoreId: string;
  /** CONNECTED | CONNECTING | FAILED | DISCONNECTED | DISCONNECTING. */
  connectionState: string;
  /** Present only when ConnectionState is FAILED (CustomKeyStoresListEntry). */
  connectionErrorCode?: string;
  /** ISO 8601. */
  observedAt: string;
  /** Who observed it: `connect-key-store` (a workflow step) or `store-check` (the scheduled check). */
  observer: string;
};

/** The `Key Store State Change` event's detail: what changed, from what, seen when and by whom. */
export type StoreStateChange = {
  /** Deterministic for the change (store, both states, time), so a consumer can drop a redelivered copy. */
  eventId: string;
  customKeyStoreId: string;
  previousConnectionState: string;
  previousConnectionErrorCode?: string;
  connectionState: string;
  connectionErrorCode?: string;
  observedAt: string;
  observer: string;
};

/** A store's record: the last observation, when it was last seen CONNECTED, and a change not published yet. */
export type StoreRecord = {
  connectionState: string;
  connectionErrorCode?: string;
  observedAt: string;
  observer: string;
  /** The last observation that saw it CONNECTED; absent when none has since the record began. */
  lastConnectedAt?: string;
  /** A change recorded but not yet published (a publish failed, or the function stopped between the two). */
  pending?: StoreStateChange;
};

export interface StoreStates {
  /** The store's record (a strongly consistent read); undefined when it was never observed. */
  get(customKeyStoreId: string): Promise<StoreRecord | undefined>;
  /**
   * Writes `next` only while the record is still `expected` (undefined: no record yet), so that of two observers
   * racing on one change (at-least-once delivery, a retry) only one records it. False when the condition failed.
   */
  replace(customKeyStoreId: string, expected: StoreRecord | undefined, next: StoreRecord): Promise<boolean>;
  /** Drops the pending change once published; nothing when another change has replaced it. */
  clearPending(customKeyStoreId: string, eventId: string): Promise<void>;
}

/** Where the product's own events go (src/adapters/store-events.ts: the default EventBridge bus). */
export interface StoreEvents {
  /** Puts one `Key Store State Change` event; throws StoreEventNotPublishedError when it was not accepted. */
  publish(change: StoreStateChange): Promise<void>;
}

/** PutEvents refused the entry: the observer's retry publishes it again (the change stays pending until then). */
export class StoreEventNotPublishedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreEventNotPublishedError";
  }
}
