import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { ALERT_SOURCE } from "../../alert-source";
import { AlertNotPublishedError } from "../../alerts";
import type { EventsPort } from "../../ports/clients";

export const SIGNATURE_REQUEST_DETAIL_TYPE = "Cluster CSR Awaiting Signature";

/**
 * Announces that a provisioning waits for the customer's CA to sign the cluster CSR. The event carries the CSR and
 * the execution, never the task token: whoever could read the bus could otherwise answer first with their own CA.
 * `keystore-autopilot sign` reads the token from the execution's history, which IAM restricts to approvers.
 */
export async function requestSignature(
  deps: { events: EventsPort; busName: string },
  request: { keyStoreName: string; clusterId: string; csr: string; executionArn: string },
): Promise<{ requested: true }> {
  const out = await deps.events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: ALERT_SOURCE,
          DetailType: SIGNATURE_REQUEST_DETAIL_TYPE,
          EventBusName: deps.busName,
          Detail: JSON.stringify({
            keyStoreName: request.keyStoreName,
            clusterId: request.clusterId,
            csr: request.csr,
            executionArn: request.executionArn,
          }),
        },
      ],
    }),
  );
  if (out.FailedEntryCount) {
    throw new AlertNotPublishedError(out.Entries?.[0]?.ErrorMessage ?? "PutEvents reported a failed entry");
  }
  return { requested: true };
}
