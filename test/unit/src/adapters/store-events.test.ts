import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { EventBridgeStoreEvents } from "../../../../src/adapters/store-events";
import { ALERT_SOURCE, KEY_STORE_STATE_CHANGE_DETAIL_TYPE } from "../../../../src/alert-source";

const eventbridge = mockClient(EventBridgeClient);
const events = new EventBridgeStoreEvents(new EventBridgeClient({ region: "us-east-1" }), "default");
const change = {
  eventId: "e1",
  customKeyStoreId: "cks-1234567890abcdef0",
  previousConnectionState: "CONNECTED",
  connectionState: "FAILED",
  connectionErrorCode: "NETWORK_ERRORS",
  observedAt: "2026-12-01T00:05:00.000Z",
  observer: "store-check",
};

beforeEach(() => eventbridge.reset());

describe("EventBridgeStoreEvents", () => {
  it("puts one Key Store State Change on the bus with our source, the change as detail, at the observation time", async () => {
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "x" }] });

    await events.publish(change);

    const [entry, ...more] = eventbridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(more).toHaveLength(0);
    expect(entry).toMatchObject({
      Source: ALERT_SOURCE,
      DetailType: KEY_STORE_STATE_CHANGE_DETAIL_TYPE,
      EventBusName: "default",
      Time: new Date(change.observedAt),
    });
    expect(JSON.parse(entry?.Detail ?? "{}")).toEqual(change);
  });

  // PutEvents answers 200 with a failed entry (EventBridge API Reference, PutEvents: FailedEntryCount).
  it("throws StoreEventNotPublishedError with EventBridge's message when the entry failed", async () => {
    eventbridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "Internal service error" }],
    });

    await expect(events.publish(change)).rejects.toMatchObject({
      name: "StoreEventNotPublishedError",
      message: "Internal service error",
    });
  });
});
