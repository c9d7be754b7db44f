import type { Alerts, SignatureRequest } from "../../ports/alerts";

/**
 * Announces that a provisioning waits for the customer's CA to sign the cluster CSR. The event carries the CSR and
 * the execution, never the task token: whoever could read the bus could otherwise answer first with their own CA.
 * `keystore-autopilot sign` reads the token from the execution's history, which IAM restricts to approvers.
 */
export async function requestSignature(
  deps: { alerts: Alerts },
  request: SignatureRequest,
): Promise<{ requested: true }> {
  await deps.alerts.requestSignature(request);
  return { requested: true };
}
