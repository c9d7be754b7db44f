import type { Cluster, Clusters } from "../ports/clusters";
import type { KeyStores } from "../ports/key-stores";
import type { OrphanRegister } from "../ports/orphan-register";
import { minutesSinceLastConnect, type ObserveDeps, observeStore } from "./observe";
import { registerGauges } from "./register";

/** A run that could not record some store: Lambda retries it (the gauges of every store went out already). */
export class StoreCheckFailedError extends Error {
  constructor(failed: string[]) {
    super(`The store check could not record ${failed.length} store(s): ${failed.join("; ")}`);
    this.name = "StoreCheckFailedError";
  }
}

/** Who the scheduled check says it is in events and records. */
export const STORE_CHECK_OBSERVER = "store-check";

export type CheckDeps = ObserveDeps & {
  keyStores: Pick<KeyStores, "list">;
  clusters: Pick<Clusters, "list">;
  register: Pick<OrphanRegister, "storeRegister">;
};

/** What the dashboard plots of one store; a value the check could not observe is absent, never guessed. */
export type StoreGauges = {
  customKeyStoreId: string;
  connected: boolean;
  minutesSinceLastConnect?: number;
  /** ACTIVE HSMs per Availability Zone of the store's cluster (zones of its subnets included at 0). */
  activeHsms?: Record<string, number>;
  /** From the orphan register (src/store-signals/register.ts): keys pending deletion, oldest open orphan's age. */
  keysPendingDeletion?: number;
  oldestOpenOrphanDays?: number;
};

export type CheckResult = { stores: StoreGauges[]; changes: number; failed: string[] };

/**
 * The periodic check: every custom key store of the account and Region (DescribeCustomKeyStores, every page) and
 * every cluster (DescribeClusters, every page), each store observed as `observeStore` does, and each store's items
 * of the orphan register read once (its open orphans and pending deletions, one Query). Bounded: one listing of
 * each per run, whatever the number of stores, far inside KMS's 5 requests per second shared by the custom key store
 * operations (KMS Developer Guide, requests-per-second, "Custom key store API requests"), and one Query per store. A
 * store whose record could not be written or whose register could not be read is named in `failed` after the others
 * were observed, so the caller can fail the run and be retried while the gauges still go out.
 */
export async function checkStores(deps: CheckDeps, now: Date): Promise<CheckResult> {
  const stores = await deps.keyStores.list();
  const clusters = stores.some((s) => s.clusterId) ? await deps.clusters.list() : [];
  const byId = new Map(clusters.map((c) => [c.clusterId, c]));
  const result: CheckResult = { stores: [], changes: 0, failed: [] };
  for (const store of stores) {
    const cluster = store.clusterId ? byId.get(store.clusterId) : undefined;
    const gauges: StoreGauges = {
      customKeyStoreId: store.customKeyStoreId,
      connected: store.connectionState === "CONNECTED",
      ...(cluster ? { activeHsms: activeHsmsByZone(cluster) } : {}),
    };
    try {
      const observed = await observeStore(deps, {
        customKeyStoreId: store.customKeyStoreId,
        connectionState: store.connectionState,
        ...(store.connectionErrorCode ? { connectionErrorCode: store.connectionErrorCode } : {}),
        observedAt: now.toISOString(),
        observer: STORE_CHECK_OBSERVER,
      });
      const minutes = minutesSinceLastConnect(observed.record);
      if (minutes !== undefined) gauges.minutesSinceLastConnect = minutes;
      if (observed.change) result.changes += 1;
    } catch (error: unknown) {
      if (!(error instanceof Error)) throw error;
      result.failed.push(`${store.customKeyStoreId}: ${error.name}: ${error.message}`);
    }
    try {
      Object.assign(gauges, registerGauges(await deps.register.storeRegister(store.customKeyStoreId), now));
    } catch (error: unknown) {
      if (!(error instanceof Error)) throw error;
      result.failed.push(`${store.customKeyStoreId} register: ${error.name}: ${error.message}`);
    }
    result.stores.push(gauges);
  }
  return result;
}

/**
 * ACTIVE HSMs per zone. KMS needs one ACTIVE HSM to connect and two in different zones to create keys (KMS Developer
 * Guide, create-keystore and fix-keystore, INSUFFICIENT_CLOUDHSM_HSMS); the zones of the cluster's subnets count
 * from 0, so a zone that lost its HSM shows.
 */
export function activeHsmsByZone(cluster: Cluster): Record<string, number> {
  const zones: Record<string, number> = Object.fromEntries(Object.keys(cluster.subnets).map((az) => [az, 0]));
  for (const hsm of cluster.hsms) {
    zones[hsm.availabilityZone] = (zones[hsm.availabilityZone] ?? 0) + (hsm.state === "ACTIVE" ? 1 : 0);
  }
  return zones;
}
