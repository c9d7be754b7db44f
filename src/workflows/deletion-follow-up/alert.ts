import type { Alert, Alerts } from "../../ports/alerts";
import type { AlertStep } from "./step-inputs";

/** Builds and publishes the operators' alert for an orphan or a failed follow-up; returns the alert type. */
export async function alertFollowUp(alerts: Alerts, input: AlertStep): Promise<Alert> {
  const orphan = input.type === "OrphanedKeyMaterial";
  const alert: Alert = {
    type: input.type,
    severity: orphan ? "CRITICAL" : "WARNING",
    message: orphan
      ? `Key material of deleted KMS key ${input.keyArn} may remain in the cluster (${input.deletionStatus}); registered for cleanup`
      : `The deletion follow-up of ${input.keyArn} failed: ${input.error?.Error ?? "unknown error"}`,
    keyArn: input.keyArn,
    ...(input.customKeyStoreId ? { customKeyStoreId: input.customKeyStoreId } : {}),
    ...(input.clusterId ? { clusterId: input.clusterId } : {}),
    details: {
      executionName: input.executionName,
      ...(input.backingKeyId ? { backingKeyId: input.backingKeyId } : {}),
      ...(input.deletionStatus ? { deletionStatus: input.deletionStatus } : {}),
      ...(input.backupsHoldingMaterial !== undefined ? { backupsHoldingMaterial: input.backupsHoldingMaterial } : {}),
      ...(input.error?.Error ? { error: input.error.Error } : {}),
    },
  };
  await alerts.publish(alert);
  return alert;
}
