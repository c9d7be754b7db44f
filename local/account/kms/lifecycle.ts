import type { AccountContext } from "../account";
import type { ClusterRecord, KeyRecord } from "../model";
import { settleKeyStore } from "./key-stores";
import { deleteDueKey } from "./keys";
import { KIND, keyArnPrefix, listKeyStores } from "./records";
import type { DueTimes } from "./scheduler";

/** Settles every connect, disconnect and key deletion due at `now` (simulated time). */
export function tick(ctx: AccountContext, due: DueTimes, now: number): void {
  if (!due.isDue(now)) return;
  due.begin();
  let next = Number.POSITIVE_INFINITY;
  for (const store of listKeyStores(ctx)) {
    if (store.dueAt === undefined) continue;
    if (store.dueAt <= now) settleKeyStore(ctx, store);
    else next = Math.min(next, store.dueAt);
  }
  for (const key of ctx.store.list<KeyRecord>(KIND.key)) {
    if (key.KeyState !== "PendingDeletion" || key.deleteAt === undefined) continue;
    if (key.deleteAt <= now) deleteDueKey(ctx, key);
    else next = Math.min(next, key.deleteAt);
  }
  due.settled(next);
}

/** The earliest connect, disconnect or key deletion due strictly after `after`. */
export function nextDue(ctx: AccountContext, after: number): number | undefined {
  let next: number | undefined;
  const consider = (at: number | undefined) => {
    if (at !== undefined && at > after && (next === undefined || at < next)) next = at;
  };
  for (const store of listKeyStores(ctx)) consider(store.dueAt);
  for (const key of ctx.store.list<KeyRecord>(KIND.key)) {
    if (key.KeyState === "PendingDeletion") consider(key.deleteAt);
  }
  return next;
}

/**
 * Undoes a CreateKey that a crash interrupted between writing the backing key into the token and committing the key
 * record: a token object labelled with one of this account's key ARNs, with neither a key record nor a deleted-key
 * record, belongs to a key that never existed. Material of deleted keys (orphans the owner must clean up, DOMAIN.md
 * §2.5) and objects with other labels are left alone.
 */
export function recover(ctx: AccountContext): void {
  const prefix = keyArnPrefix(ctx);
  for (const cluster of ctx.store.list<ClusterRecord>("cluster")) {
    if (!cluster.tokenLabel || !ctx.hsm.hasToken(cluster.tokenLabel)) continue;
    for (const object of ctx.hsm.listKeys(cluster.tokenLabel)) {
      if (!object.label.startsWith(prefix)) continue;
      const keyId = object.label.slice(prefix.length);
      if (ctx.store.get(KIND.key, keyId) || ctx.store.get(KIND.deletedKey, keyId)) continue;
      ctx.hsm.deleteKey(cluster.tokenLabel, object.id);
    }
  }
}
