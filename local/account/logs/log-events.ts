import type { AccountContext } from "../account";

/** Store kinds: log groups by name, and each group's events by ingestion order. */
const GROUP = "log-group";
const eventsOf = (group: string) => `log-event:${group}`;
const COUNTER = "log-event-seq";

export type LogGroupRecord = { logGroupName: string; creationTime: number; arn: string };
export type LogEventRecord = {
  logStreamName: string;
  timestamp: number;
  ingestionTime: number;
  message: string;
  eventId: string;
  /** Ingestion order across the account: the tie-break after timestamp and ingestion time. */
  seq: number;
};

export function getLogGroup(ctx: AccountContext, name: string): LogGroupRecord | undefined {
  return ctx.store.get<LogGroupRecord>(GROUP, name);
}

/** A log group, made on first use as the services that write to CloudWatch Logs make theirs. */
export function ensureLogGroup(ctx: AccountContext, name: string): LogGroupRecord {
  const known = getLogGroup(ctx, name);
  if (known) return known;
  const { region, accountId } = ctx.config;
  return ctx.store.put<LogGroupRecord>(GROUP, name, {
    logGroupName: name,
    creationTime: ctx.clock.now(),
    arn: `arn:aws:logs:${region}:${accountId}:log-group:${name}:*`,
  });
}

/** Appends one event to a group's stream, ingested now on the simulated clock. */
export function appendLogEvent(
  ctx: AccountContext,
  group: string,
  event: { logStreamName: string; timestamp: number; message: string },
): LogEventRecord {
  ensureLogGroup(ctx, group);
  const seq = Number(ctx.store.getMeta(COUNTER) ?? "0") + 1;
  ctx.store.setMeta(COUNTER, String(seq));
  const id = String(seq).padStart(12, "0");
  return ctx.store.put<LogEventRecord>(eventsOf(group), id, {
    ...event,
    ingestionTime: ctx.clock.now(),
    // 56 decimal digits in AWS's answers; this one only has to be unique and stable.
    eventId: `${String(event.timestamp).padStart(20, "0")}${id.padStart(36, "0")}`,
    seq,
  });
}

/** A group's events in the order FilterLogEvents returns them: timestamp, then ingestion time, then ingestion order. */
export function listLogEvents(ctx: AccountContext, group: string): LogEventRecord[] {
  return ctx.store
    .list<LogEventRecord>(eventsOf(group))
    .sort((a, b) => a.timestamp - b.timestamp || a.ingestionTime - b.ingestionTime || a.seq - b.seq);
}
