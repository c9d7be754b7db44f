import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { EventBridgeAlerts } from "../../../../src/adapters/alerts";
import { ALERT_DETAIL_TYPE, ALERT_SOURCE, SIGNATURE_REQUEST_DETAIL_TYPE } from "../../../../src/alert-source";

const eventbridge = mockClient(EventBridgeClient);
const alerts = new EventBridgeAlerts(new EventBridgeClient({ region: "us-east-1" }), "ops-alerts");
const KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

beforeEach(() => eventbridge.reset());

describe("EventBridgeAlerts", () => {
  it("puts one alert on the alert bus with our source, naming the key as the event's resource", async () => {
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });

    await alerts.publish({ type: "OrphanedKeyMaterial", severity: "CRITICAL", message: "m", keyArn: KEY });

    const [entry, ...more] = eventbridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(more).toHaveLength(0);
    expect(entry).toMatchObject({
      Source: ALERT_SOURCE,
      DetailType: ALERT_DETAIL_TYPE,
      EventBusName: "ops-alerts",
      Resources: [KEY],
    });
    expect(JSON.parse(entry?.Detail ?? "{}")).toMatchObject({ type: "OrphanedKeyMaterial", keyArn: KEY });
  });

  // PutEvents answers 200 with a failed entry (EventBridge API Reference, PutEvents: FailedEntryCount).
  it("throws AlertNotPublishedError with EventBridge's message when the entry failed", async () => {
    eventbridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "Internal service error" }],
    });

    await expect(alerts.publish({ type: "ConnectFailed", severity: "CRITICAL", message: "m" })).rejects.toMatchObject({
      name: "AlertNotPublishedError",
      message: "Internal service error",
    });
  });

  it("announces a CSR to sign with the execution and no other field (never a task token)", async () => {
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-2" }] });
    const request = {
      keyStoreName: "payments",
      clusterId: "cluster-abcdefghijk",
      csr: "-----BEGIN…",
      executionArn: "x",
    };

    await alerts.requestSignature({ ...request, taskToken: "secret-token" } as typeof request);

    const entry = eventbridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry?.DetailType).toBe(SIGNATURE_REQUEST_DETAIL_TYPE);
    expect(JSON.parse(entry?.Detail ?? "{}")).toEqual(request);
  });
});
