import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { StoreGauges } from "./check";

/** The dimension of every per-store metric (README "Metrics, alarms and the dashboard"). */
export const STORE_DIMENSION = "CustomKeyStoreId";

/**
 * One EMF record per store (namespace KeystoreAutopilot, src/observability.ts), and one per zone of its cluster:
 * Connected (0/1), MinutesSinceLastConnect when known, KeysPendingDeletion and OldestOpenOrphanDays when the register
 * was read, ActiveHsms per AvailabilityZone. Each set of dimensions is
 * flushed on its own, since an EMF record carries one value per metric name (CloudWatch User Guide,
 * CloudWatch_Embedded_Metric_Format_Specification).
 */
export function publishStoreMetrics(metrics: Metrics, stores: StoreGauges[]): void {
  for (const store of stores) {
    metrics.addDimension(STORE_DIMENSION, store.customKeyStoreId);
    metrics.addMetric("Connected", MetricUnit.Count, store.connected ? 1 : 0);
    if (store.minutesSinceLastConnect !== undefined) {
      metrics.addMetric("MinutesSinceLastConnect", MetricUnit.NoUnit, store.minutesSinceLastConnect);
    }
    if (store.keysPendingDeletion !== undefined) {
      metrics.addMetric("KeysPendingDeletion", MetricUnit.Count, store.keysPendingDeletion);
    }
    if (store.oldestOpenOrphanDays !== undefined) {
      metrics.addMetric("OldestOpenOrphanDays", MetricUnit.NoUnit, store.oldestOpenOrphanDays);
    }
    metrics.publishStoredMetrics();
    for (const [zone, count] of Object.entries(store.activeHsms ?? {})) {
      metrics.addDimensions({ [STORE_DIMENSION]: store.customKeyStoreId, AvailabilityZone: zone });
      metrics.addMetric("ActiveHsms", MetricUnit.Count, count);
      metrics.publishStoredMetrics();
    }
  }
}

/** Orphans still open for a store after a cleanup window (the register's ByKeyStore index). */
export function publishOpenOrphans(metrics: Metrics, customKeyStoreId: string, open: number): void {
  metrics.addDimension(STORE_DIMENSION, customKeyStoreId);
  metrics.addMetric("OpenOrphans", MetricUnit.Count, open);
  metrics.publishStoredMetrics();
}

/**
 * Per store, from the daily proof refresh: proofs of destruction not CLOSED, and the backups they list that still
 * hold deleted material (READY, being copied or pending deletion). Stores with a proof refreshed in the run only.
 */
export function publishProofMetrics(
  metrics: Metrics,
  stores: Record<string, { openProofs: number; backupsHoldingMaterial: number }>,
): void {
  for (const [customKeyStoreId, counts] of Object.entries(stores)) {
    metrics.addDimension(STORE_DIMENSION, customKeyStoreId);
    metrics.addMetric("OpenProofs", MetricUnit.Count, counts.openProofs);
    metrics.addMetric("BackupsHoldingDeletedMaterial", MetricUnit.Count, counts.backupsHoldingMaterial);
    metrics.publishStoredMetrics();
  }
}
