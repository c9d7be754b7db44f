import { ScheduledEventSchema } from "../../../src/scheduled-event";
import { awsFixture } from "../../support/aws-fixtures";

/** A schedule's event as EventBridge documents it (test/events/aws/SOURCES.md). */
const event = awsFixture("eventbridge-scheduled-event");

describe("ScheduledEventSchema", () => {
  it("returns the time it fired, with or without the informational id", () => {
    expect(ScheduledEventSchema.parse(event)).toMatchObject({ id: event.id, time: event.time });
    const { id: _id, ...withoutId } = event;
    expect(ScheduledEventSchema.parse(withoutId)).toMatchObject({ time: event.time });
  });

  it("refuses another detail-type or a time that is not an ISO date-time", () => {
    expect(ScheduledEventSchema.safeParse({ ...event, "detail-type": "AWS API Call via CloudTrail" }).success).toBe(
      false,
    );
    expect(ScheduledEventSchema.safeParse({ ...event, time: "yesterday" }).success).toBe(false);
  });
});
