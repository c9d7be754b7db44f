import type { Alert } from "../../ports/alerts";

import type { CleanupDeps } from "./deps";
import { REPORT_LIMIT } from "./model";
import type { FinishStep } from "./step-inputs";
import type { SweepReport } from "./sweep";

export type CleanupReport = {
  status: "SUCCEEDED" | "FAILED";
  customKeyStoreId: string;
  connectionState: string;
  expectedState: string;
  deleted: number;
  remaining: number;
  remainingKeys: string[];
  sweep?: SweepReport;
  failure?: string;
};

/**
 * Last step of every window, success or not: reads the store's connection state and the orphans still open, and
 * raises an alert when the window failed or left the store other than it found it.
 */
export async function finishCleanup(
  deps: Pick<CleanupDeps, "keyStores" | "orphans" | "alerts">,
  input: FinishStep,
): Promise<CleanupReport> {
  const { store } = input;
  const error = input.outcome === "reconnect-failed" ? input.connectError : input.error;
  const connectionState = (await deps.keyStores.get(store.customKeyStoreId))?.connectionState ?? "UNKNOWN";
  const expectedState = store.reconnect ? "CONNECTED" : "DISCONNECTED";
  const open = await deps.orphans.listOpen(store.customKeyStoreId);
  const failure =
    input.outcome !== "completed"
      ? `${input.outcome}: ${error?.Error ?? "Error"}`
      : connectionState !== expectedState
        ? `store left ${connectionState}, expected ${expectedState}`
        : undefined;
  const report: CleanupReport = {
    status: failure ? "FAILED" : "SUCCEEDED",
    customKeyStoreId: store.customKeyStoreId,
    connectionState,
    expectedState,
    deleted: input.sweep?.deleted ?? 0,
    remaining: open.length,
    remainingKeys: open.slice(0, REPORT_LIMIT).map((o) => o.keyArn),
    ...(input.sweep ? { sweep: input.sweep } : {}),
    ...(failure ? { failure } : {}),
  };
  if (failure) {
    const alert: Alert = {
      type: "OrphanCleanupFailed",
      severity: connectionState === expectedState ? "WARNING" : "CRITICAL",
      message: `orphan-cleanup ${store.executionName} failed (${failure}); ${open.length} orphan(s) remain; key store ${store.customKeyStoreId} is ${connectionState}${connectionState === expectedState ? "" : ` — connect it (keystore-autopilot start connect-key-store --input '{"customKeyStoreId":"${store.customKeyStoreId}"}')`}`,
      customKeyStoreId: store.customKeyStoreId,
      clusterId: store.clusterId,
      details: { execution: store.executionName, remaining: open.length, connectionState, outcome: input.outcome },
    };
    await deps.alerts.publish(alert);
  }
  return report;
}
