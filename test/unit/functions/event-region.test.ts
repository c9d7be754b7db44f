import "./env";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { SFNClient } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { cleanupStart } from "../../../functions/cleanup-start";
import { connectStart } from "../../../functions/connect-start";
import { followUpEvents } from "../../../functions/follow-up-events";
import { logger } from "../../../src/observability";

const ROOT = join(__dirname, "../../..");
const CKS = "cks-1234567890abcdef0";

const mocks: { reset(): void; calls(): unknown[] }[] = [
  mockClient(KMSClient),
  mockClient(SFNClient),
  mockClient(DynamoDBDocumentClient),
];
const sdkCalls = () => mocks.flatMap((m) => m.calls());

/** One EventBridge event per handler that takes them, as delivered in the function's Region (us-east-1). */
const EVENTS: Record<string, { handler: (event: unknown) => Promise<unknown>; event: Record<string, unknown> }> = {
  followUpEvents: {
    handler: followUpEvents,
    event: JSON.parse(readFileSync(join(ROOT, "test/events/schedule-key-deletion.json"), "utf8")),
  },
  connectStart: {
    handler: connectStart,
    event: JSON.parse(readFileSync(join(ROOT, "test/events/connect-custom-key-store.json"), "utf8")),
  },
  cleanupStart: {
    handler: cleanupStart,
    event: {
      id: "1d7c3bc6-3f41-4c0a-9c1b-2b9a0c4a4b11",
      source: "keystore-autopilot",
      "detail-type": "Keystore Autopilot Alert",
      account: "111122223333",
      region: "us-east-1",
      time: "2026-11-23T10:00:00Z",
      detail: { type: "OrphanedKeyMaterial", customKeyStoreId: CKS },
    },
  },
};

describe("events from another Region", () => {
  beforeEach(() => {
    for (const m of mocks) m.reset();
    jest.restoreAllMocks();
  });

  it.each(Object.keys(EVENTS))(
    "returns nothing started and logs one line when %s gets an event from another Region",
    async (name) => {
      const { handler, event } = EVENTS[name] as (typeof EVENTS)[string];
      const warn = jest.spyOn(logger, "warn");

      const out = await handler({ ...event, region: "eu-west-1" });

      expect(sdkCalls()).toEqual([]);
      expect(out).toEqual(name === "followUpEvents" ? { outcome: "ignored", reason: "event from another Region" } : []);
      expect(warn).toHaveBeenCalledWith("Ignored an event from another Region", {
        eventRegion: "eu-west-1",
        region: "us-east-1",
        eventId: event.id,
      });
    },
  );

  it.each(Object.keys(EVENTS))("calls AWS when %s gets the same event from its own Region", async (name) => {
    const { handler, event } = EVENTS[name] as (typeof EVENTS)[string];
    const warn = jest.spyOn(logger, "warn");

    await handler(event).catch(() => undefined);

    expect(sdkCalls().length).toBeGreaterThan(0);
    expect(warn).not.toHaveBeenCalledWith("Ignored an event from another Region", expect.anything());
  });
});
