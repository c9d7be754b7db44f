import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { ALERT_DETAIL_TYPE, ALERT_SOURCE } from "./alert-source";
import type { EventsPort } from "./ports/clients";

export type Alert = {
  /** What happened, e.g. `OrphanedKeyMaterial`, `ConnectFailed`, `FollowUpFailed`. */
  type: string;
  severity: "INFO" | "WARNING" | "CRITICAL";
  message: string;
  customKeyStoreId?: string;
  clusterId?: string;
  keyArn?: string;
  /** References only (ids, ARNs, execution names): never a password, key or certificate private part. */
  details?: Record<string, string | number | boolean>;
};

/** Publishes one alert; throws when EventBridge reports the entry failed, so the step can retry. */
export async function publishAlert(events: EventsPort, busName: string, alert: Alert): Promise<void> {
  const out = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: ALERT_SOURCE,
          DetailType: ALERT_DETAIL_TYPE,
          EventBusName: busName,
          Resources: [alert.keyArn].filter((r): r is string => Boolean(r)),
          Detail: JSON.stringify(alert),
        },
      ],
    }),
  );
  if (out.FailedEntryCount) {
    throw new AlertNotPublishedError(out.Entries?.[0]?.ErrorMessage ?? "PutEvents reported a failed entry");
  }
}

export class AlertNotPublishedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AlertNotPublishedError";
  }
}
