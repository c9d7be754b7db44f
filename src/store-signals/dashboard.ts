import type { Dashboards } from "../ports/dashboards";
import type { StoreGauges } from "./check";

/** What the store dashboard's queries need beside the stores: where the metrics are. */
export type StoreDashboardSettings = {
  name: string;
  region: string;
  namespace: string;
  service: string;
  /** The stage's own dashboard, named in the header. */
  stageDashboard: string;
};

const ROW_HEIGHT = 6;

/**
 * The body of the per-store dashboard: a header saying who writes it (AWS's advice for a dashboard made by script,
 * API_PutDashboard.html), then a row per store, in id order: its connection (Connected, minutes since last
 * connected), its ACTIVE HSMs per Availability Zone, and its register (keys pending deletion, oldest open orphan,
 * open orphans, open proofs, backups holding deleted material). Only the stores decide it, so the same stores give
 * the same text and the check rewrites it only when one appears or goes.
 */
export function storeDashboardBody(storeIds: string[], settings: StoreDashboardSettings): string {
  const { region, namespace, service } = settings;
  const metric = (name: string, id: string, stat: string, extra: Record<string, unknown> = {}) => [
    namespace,
    name,
    "CustomKeyStoreId",
    id,
    "service",
    service,
    { stat, period: 300, ...extra },
  ];
  const widgets: Record<string, unknown>[] = [
    {
      type: "text",
      x: 0,
      y: 0,
      width: 24,
      height: 2,
      properties: {
        markdown: `Written by the store check (connectCheckStores) from the key stores it observes, one row per store; edits here are replaced when a store appears or goes. Alarms and the whole-account view: dashboard ${settings.stageDashboard}.`,
      },
    },
  ];
  [...storeIds].sort().forEach((id, row) => {
    const y = 2 + row * ROW_HEIGHT;
    widgets.push(
      {
        type: "metric",
        x: 0,
        y,
        width: 8,
        height: ROW_HEIGHT,
        properties: {
          title: `${id}: connected (left), minutes since last connected (right)`,
          region,
          view: "timeSeries",
          metrics: [
            metric("Connected", id, "Minimum"),
            metric("MinutesSinceLastConnect", id, "Maximum", { yAxis: "right" }),
          ],
        },
      },
      {
        type: "metric",
        x: 8,
        y,
        width: 8,
        height: ROW_HEIGHT,
        properties: {
          title: `${id}: ACTIVE HSMs per Availability Zone`,
          region,
          view: "timeSeries",
          yAxis: { left: { min: 0 } },
          metrics: [
            [
              {
                id: "hsms",
                // A quoted value matches the whole dimension value (search-expression-syntax): this store only.
                expression: `SEARCH('{${namespace},AvailabilityZone,CustomKeyStoreId,service} MetricName="ActiveHsms" CustomKeyStoreId="${id}"', 'Minimum', 300)`,
              },
            ],
          ],
        },
      },
      {
        type: "metric",
        x: 16,
        y,
        width: 8,
        height: ROW_HEIGHT,
        properties: {
          title: `${id}: keys pending deletion, orphans, proofs`,
          region,
          view: "timeSeries",
          yAxis: { left: { min: 0 } },
          metrics: [
            metric("KeysPendingDeletion", id, "Maximum"),
            metric("OldestOpenOrphanDays", id, "Maximum"),
            metric("OpenOrphans", id, "Maximum"),
            metric("OpenProofs", id, "Maximum"),
            metric("BackupsHoldingDeletedMaterial", id, "Maximum"),
          ],
        },
      },
    );
  });
  return JSON.stringify({ widgets });
}

/**
 * Keeps the per-store dashboard in step with the stores the check observed: reads it and replaces it only when its
 * body differs, so a run with the same stores writes nothing and repeated runs agree (PutDashboard replaces the
 * whole body, so concurrent runs with the same stores write the same text). Returns whether it wrote.
 */
export async function syncStoreDashboard(
  deps: { dashboards: Dashboards },
  stores: Pick<StoreGauges, "customKeyStoreId">[],
  settings: StoreDashboardSettings,
): Promise<boolean> {
  const body = storeDashboardBody(
    stores.map((s) => s.customKeyStoreId),
    settings,
  );
  if ((await deps.dashboards.body(settings.name)) === body) return false;
  await deps.dashboards.put(settings.name, body);
  return true;
}
