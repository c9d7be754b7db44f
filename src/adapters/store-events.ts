import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { ALERT_SOURCE, KEY_STORE_STATE_CHANGE_DETAIL_TYPE } from "../alert-source";
import { StoreEventNotPublishedError, type StoreEvents, type StoreStateChange } from "../ports/store-states";
import type { EventsPort } from "./clients/types";

/** `Key Store State Change` events on one EventBridge bus (the default bus, ALERT_BUS_NAME), our own source. */
export class EventBridgeStoreEvents implements StoreEvents {
  constructor(
    private readonly events: EventsPort,
    private readonly busName: string,
  ) {}

  /**
   * PutEvents answers 200 with a failed entry rather than an error (EventBridge API Reference, PutEvents:
   * FailedEntryCount): that is a failure too.
   */
  async publish(change: StoreStateChange): Promise<void> {
    const out = await this.events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: ALERT_SOURCE,
            DetailType: KEY_STORE_STATE_CHANGE_DETAIL_TYPE,
            EventBusName: this.busName,
            Time: new Date(change.observedAt),
            Detail: JSON.stringify(change),
          },
        ],
      }),
    );
    if (out.FailedEntryCount) {
      throw new StoreEventNotPublishedError(out.Entries?.[0]?.ErrorMessage ?? "PutEvents reported a failed entry");
    }
  }
}
