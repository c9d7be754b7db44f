/** CloudWatch dashboards, as the store check keeps its per-store one: read the body, replace it. */
export interface Dashboards {
  /** The dashboard's body (JSON text), or undefined when there is no such dashboard. */
  body(name: string): Promise<string | undefined>;
  /** Replaces the whole body (PutDashboard creates or replaces, API_PutDashboard.html). */
  put(name: string, body: string): Promise<void>;
}
