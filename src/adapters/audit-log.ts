import { type FilteredLogEvent, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { isKeyDeletion, KEY_DELETION_OPCODES, parseHsmAuditRecord } from "../hsm-audit-records";
import { type AuditLog, type AuditLogAnswer, auditLogGroup, type HsmAuditEvent } from "../ports/audit-log";
import type { LogsPort } from "./clients/types";

/**
 * Pages read per lookup. FilterLogEvents may answer a partly full or empty page with a nextToken
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html), so the bound is on
 * pages, not on events; past it the answer says `truncated`.
 */
const MAX_PAGES = 10;

/**
 * Either opcode as a term: "?term ?term" matches events holding any of them (CloudWatch Logs User Guide,
 * FilterAndPatternSyntax.html); what the pattern lets through is still parsed and checked here.
 */
const DELETION_PATTERN = KEY_DELETION_OPCODES.map((opcode) => `?${opcode}`).join(" ");

/** The HSM audit logs through CloudWatch Logs. */
export class CloudWatchAuditLog implements AuditLog {
  constructor(private readonly logs: LogsPort) {}

  async keyDeletions(query: { clusterId: string; from: Date; to: Date; limit: number }): Promise<AuditLogAnswer> {
    const records: HsmAuditEvent[] = [];
    let token: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await this.logs.send(
          new FilterLogEventsCommand({
            logGroupName: auditLogGroup(query.clusterId),
            startTime: query.from.getTime(),
            endTime: query.to.getTime(),
            filterPattern: DELETION_PATTERN,
            ...(token ? { nextToken: token } : {}),
          }),
        );
        for (const event of out.events ?? []) {
          const record = deletionOf(event);
          if (record) records.push(record);
        }
        token = out.nextToken;
        if (!token || records.length > query.limit) break;
      }
    } catch (error: unknown) {
      const name = error instanceof Error ? error.name : "Error";
      const reason = `${name}: ${error instanceof Error ? error.message : String(error)}`;
      // Common errors of every action (CloudWatch Logs API Reference, CommonErrors.html) and FilterLogEvents' own.
      if (name === "ResourceNotFoundException") return { status: "NO_LOG_GROUP", error: reason };
      if (name === "AccessDeniedException") return { status: "ACCESS_DENIED", error: reason };
      // Reported in the proof and tried again at the next refresh: an audit log never decides a proof's status.
      return { status: "UNAVAILABLE", error: reason };
    }
    records.sort((a, b) => a.usecs.localeCompare(b.usecs, undefined, { numeric: true }));
    return {
      status: "READ",
      records: records.slice(0, query.limit),
      truncated: Boolean(token) || records.length > query.limit,
    };
  }
}

function deletionOf(event: FilteredLogEvent): HsmAuditEvent | undefined {
  const record = event.message ? parseHsmAuditRecord(event.message) : undefined;
  if (!record || !isKeyDeletion(record) || !event.message) return undefined;
  return {
    ...record,
    hsmId: event.logStreamName ?? "unknown",
    ...(event.eventId ? { eventId: event.eventId } : {}),
    message: event.message,
  };
}
