import type { CleanupDeps } from "./deps";
import type { RequestApprovalStep } from "./step-inputs";

/** Announces that a window waits for approval; the token stays in the execution, never in the event. */
export async function requestApproval(
  deps: Pick<CleanupDeps, "alerts">,
  input: RequestApprovalStep,
): Promise<{ requested: true }> {
  await deps.alerts.publish({
    type: "OrphanCleanupApprovalRequested",
    severity: "INFO",
    message: `orphan-cleanup ${input.store.executionName} waits for approval to disconnect ${input.store.customKeyStoreId} and delete up to ${input.scan.openOrphans} registered orphan(s): keystore-autopilot approve ${input.store.executionName} [--deny]`,
    customKeyStoreId: input.store.customKeyStoreId,
    clusterId: input.store.clusterId,
    details: {
      execution: input.store.executionName,
      openOrphans: input.scan.openOrphans,
      storeKeys: input.scan.storeKeys,
      approvalTimeoutSeconds: input.store.approvalTimeoutSeconds,
    },
  });
  return { requested: true };
}
