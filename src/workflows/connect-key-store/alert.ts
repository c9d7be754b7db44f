import type { Alerts } from "../../ports/alerts";

/** The alert every failure path publishes: the named failure and its operator action; references only. */
export async function alertConnectFailed(
  deps: { alerts: Alerts },
  input: { customKeyStoreId: string; clusterId?: string; failure: string; action: string; executionName?: string },
): Promise<{ alerted: true }> {
  await deps.alerts.publish({
    type: "ConnectFailed",
    severity: "CRITICAL",
    message: `connect-key-store stopped with ${input.failure}: ${input.action}`,
    customKeyStoreId: input.customKeyStoreId,
    ...(input.clusterId ? { clusterId: input.clusterId } : {}),
    details: { failure: input.failure, ...(input.executionName ? { execution: input.executionName } : {}) },
  });
  return { alerted: true };
}
