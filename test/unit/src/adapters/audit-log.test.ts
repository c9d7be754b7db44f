import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  FilterLogEventsCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { CloudWatchAuditLog } from "../../../../src/adapters/audit-log";

/** One verbatim audit record of test/events/aws (SOURCES.md, "CloudHSM audit log records"). */
const record = (name: string) =>
  readFileSync(join(__dirname, `../../../events/aws/cloudhsm-audit-${name}.txt`), "utf8");
const event = (name: string, stream = "hsm-nwbbiqbj4jk", id = name) => ({
  logStreamName: stream,
  timestamp: 1513206544815,
  ingestionTime: 1513206545000,
  message: record(name),
  eventId: id,
});

const logs = mockClient(CloudWatchLogsClient);
const auditLog = new CloudWatchAuditLog(new CloudWatchLogsClient({ region: "us-east-1" }));
const query = {
  clusterId: "cluster-likphkxygsn",
  from: new Date("2017-12-13T22:00:00Z"),
  to: new Date("2017-12-14T00:00:00Z"),
  limit: 10,
};

beforeEach(() => logs.reset());

describe("CloudWatchAuditLog.keyDeletions", () => {
  it("returns the deletion records of the cluster's log group in the window, with the HSM of their stream", async () => {
    logs.on(FilterLogEventsCommand).resolves({
      events: [event("destroy-object"), event("login-crypto-user"), event("destroy-object-public-key")],
    });

    const answer = await auditLog.keyDeletions(query);

    expect(logs).toHaveReceivedCommandWith(FilterLogEventsCommand, {
      logGroupName: "/aws/cloudhsm/cluster-likphkxygsn",
      startTime: Date.parse("2017-12-13T22:00:00Z"),
      endTime: Date.parse("2017-12-14T00:00:00Z"),
      filterPattern: "?CN_DESTROY_OBJECT ?CN_TOMBSTONE_OBJECT",
    });
    expect(answer).toMatchObject({ status: "READ", truncated: false });
    if (answer.status !== "READ") throw new Error("not read");
    // Oldest first (the public key, 0x2a, before the private key, 0x2b); the login is not a deletion.
    expect(answer.records.map((r) => [r.hsmId, r.sequenceNo, r.keyHandle])).toEqual([
      ["hsm-nwbbiqbj4jk", "0x2a", "131078"],
      ["hsm-nwbbiqbj4jk", "0x2b", "131079"],
    ]);
    expect(answer.records[1]).toMatchObject({
      opcode: "CN_DESTROY_OBJECT",
      eventId: "destroy-object",
      message: record("destroy-object"),
    });
  });

  it("returns every page's records, following nextToken, and truncated when the page bound is reached", async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event("destroy-object")], nextToken: "t1" })
      .resolvesOnce({ events: [], nextToken: "t2" })
      .resolves({ events: [event("destroy-object-public-key")], nextToken: "more" });

    const answer = await auditLog.keyDeletions(query);

    expect(logs).toHaveReceivedCommandWith(FilterLogEventsCommand, { nextToken: "t1" });
    expect(logs).toHaveReceivedCommandWith(FilterLogEventsCommand, { nextToken: "t2" });
    expect(logs).toHaveReceivedCommandTimes(FilterLogEventsCommand, 10);
    expect(answer).toMatchObject({ status: "READ", truncated: true });
    // One record on the first page, none on the second, one on each of the eight after.
    if (answer.status === "READ") expect(answer.records).toHaveLength(9);
  });

  it("returns at most `limit` records and truncated when the log holds more", async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [event("destroy-object"), event("destroy-object-public-key")] });

    const answer = await auditLog.keyDeletions({ ...query, limit: 1 });

    expect(answer).toMatchObject({ status: "READ", truncated: true });
    if (answer.status === "READ") expect(answer.records.map((r) => r.sequenceNo)).toEqual(["0x2a"]);
  });

  it("returns NO_LOG_GROUP, ACCESS_DENIED or UNAVAILABLE instead of throwing", async () => {
    const denied = new CloudWatchLogsServiceException({
      name: "AccessDeniedException",
      $fault: "client",
      $metadata: {},
      message: "not authorized to perform: logs:FilterLogEvents",
    });
    const throttled = new CloudWatchLogsServiceException({
      name: "ThrottlingException",
      $fault: "client",
      $metadata: {},
      message: "Rate exceeded",
    });
    logs
      .on(FilterLogEventsCommand)
      .rejectsOnce(new ResourceNotFoundException({ $metadata: {}, message: "The specified log group does not exist." }))
      .rejectsOnce(denied)
      .rejectsOnce(throttled);

    const answers = [
      await auditLog.keyDeletions(query),
      await auditLog.keyDeletions(query),
      await auditLog.keyDeletions(query),
    ];

    expect(answers).toEqual([
      { status: "NO_LOG_GROUP", error: "ResourceNotFoundException: The specified log group does not exist." },
      { status: "ACCESS_DENIED", error: "AccessDeniedException: not authorized to perform: logs:FilterLogEvents" },
      { status: "UNAVAILABLE", error: "ThrottlingException: Rate exceeded" },
    ]);
  });
});
