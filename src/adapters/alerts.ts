import { PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { ALERT_DETAIL_TYPE, ALERT_SOURCE, SIGNATURE_REQUEST_DETAIL_TYPE } from "../alert-source";
import { type Alert, AlertNotPublishedError, type Alerts, type SignatureRequest } from "../ports/alerts";
import type { EventsPort } from "./clients/types";

/** Alerts as events on one EventBridge bus, one PutEvents entry each. */
export class EventBridgeAlerts implements Alerts {
  constructor(
    private readonly events: EventsPort,
    private readonly busName: string,
  ) {}

  publish(alert: Alert): Promise<void> {
    return this.put({
      DetailType: ALERT_DETAIL_TYPE,
      Resources: [alert.keyArn].filter((r): r is string => Boolean(r)),
      Detail: JSON.stringify(alert),
    });
  }

  requestSignature(request: SignatureRequest): Promise<void> {
    const { keyStoreName, clusterId, csr, executionArn } = request;
    return this.put({
      DetailType: SIGNATURE_REQUEST_DETAIL_TYPE,
      Detail: JSON.stringify({ keyStoreName, clusterId, csr, executionArn }),
    });
  }

  /** PutEvents answers 200 with a failed entry rather than an error: that is a failure too. */
  private async put(entry: PutEventsRequestEntry): Promise<void> {
    const out = await this.events.send(
      new PutEventsCommand({ Entries: [{ Source: ALERT_SOURCE, EventBusName: this.busName, ...entry }] }),
    );
    if (out.FailedEntryCount) {
      throw new AlertNotPublishedError(out.Entries?.[0]?.ErrorMessage ?? "PutEvents reported a failed entry");
    }
  }
}
