import { z } from "zod";
import type { AccountContext } from "../account/account";
import { AwsServiceError } from "../account/errors";
import type { EventEnvelope } from "../account/events";
import { type Operation, operation, type Service } from "../account/protocol";
import type { Activity } from "./activity";
import { InvalidEventPatternError, matchesEventPattern, validateEventPattern } from "./event-patterns";
import { readPath } from "./json-path";
import type { LambdaHost } from "./lambda-host";
import { nextFiring, parseSchedule, type Schedule } from "./schedules";
import { SeqSet } from "./seq-set";
import type { RuleConfig, RuntimeConfig } from "./serverless-config";
import type { SimClock } from "./sim-clock";
import type { StepFunctionsService } from "./stepfunctions/service";

/** Test mode for at-least-once delivery: extra copies of each delivery, and random reordering. */
export type DeliveryMode = { duplicates: number; reorder: boolean };

export const DELIVERY_KIND = "eventbridge-delivery";
const CURSOR_META = "runtime.eventbridge.cursor";
const scheduleMeta = (rule: string) => `runtime.schedule.${rule}`;
/** Occurrences one schedule fires inside one clock advance at most: a year over rate(1 minute) would not end. */
export const SCHEDULE_CAP = 1000;

type ScheduleState = { anchor: number; next: number };

export type DeliveryRecord = {
  id: string;
  rule: string;
  eventId: string;
  seq: number;
  copy: number;
  target: string;
  status: "delivered" | "failed";
  detail?: string;
};

/** The operations' requests, bounded as the EventBridge API Reference bounds them. */
const PutEventsInput = z.object({ Entries: z.array(z.unknown()).min(1).max(10) });
const ListRulesInput = z.object({
  NamePrefix: z.string().optional(),
  EventBusName: z.string().optional(),
  Limit: z.number().optional(),
  NextToken: z.string().optional(),
});
const DescribeEventBusInput = z.object({ Name: z.string().min(1).max(1600).optional() });
const DescribeRuleInput = z.object({ Name: z.string().min(1).max(64), EventBusName: z.string().optional() });
const ListTargetsByRuleInput = z.object({ Rule: z.string().min(1).max(64), EventBusName: z.string().optional() });
const TestEventPatternInput = z.object({ EventPattern: z.string().min(1), Event: z.string().min(1) });

/**
 * EventBridge (`AWSEvents`, JSON 1.1) on the local default bus: PutEvents, DescribeEventBus, the rules and schedules of serverless.yml
 * (ListRules, DescribeRule, ListTargetsByRule) and TestEventPattern. Every event the bus commits — from PutEvents,
 * from KMS/CloudHSM CloudTrail records, from Step Functions status changes — is matched against the rules; matches
 * invoke the target function (asynchronously, with Lambda's retries) or start the target state machine. Delivery is
 * at least once: a cursor in the store moves past an event only once all its deliveries are done, so events are
 * delivered again after a crash; the test mode adds duplicates and reordering on purpose.
 */
export class EventBridgeService implements Service {
  readonly target = "AWSEvents";
  readonly name = "events";
  readonly jsonVersion = "1.1" as const;
  readonly internalError = { code: "InternalException", status: 500 };
  readonly operations: Record<string, Operation>;

  private readonly schedules = new Map<string, { rule: RuleConfig; schedule: Schedule }>();
  private readonly inFlight = new SeqSet();
  /** Sequence numbers handled since the cursor: an event can reach us twice (replay, then the bus's own flush). */
  private readonly seen = new SeqSet();
  private floor = 0;
  private maxSeen = 0;
  private unsubscribe?: () => void;
  private stopped = false;
  private pendingAsync = new Set<Promise<unknown>>();
  /** During a clock advance: occurrences fired per schedule, against `scheduleCap`. */
  private fired?: Map<string, number>;

  constructor(
    private readonly ctx: AccountContext,
    private readonly config: RuntimeConfig,
    private readonly targets: {
      lambda: LambdaHost;
      stepFunctions: StepFunctionsService;
      sim: SimClock;
      /** Counts deliveries under way, except while one sleeps between Lambda's retries. */
      activity: Activity;
    },
    public delivery: DeliveryMode = { duplicates: 0, reorder: false },
    private readonly scheduleCap = SCHEDULE_CAP,
  ) {
    for (const rule of config.rules) {
      if (rule.scheduleExpression)
        this.schedules.set(rule.name, { rule, schedule: parseSchedule(rule.scheduleExpression) });
    }
    this.operations = {
      PutEvents: operation(PutEventsInput, (request) => this.putEventsOp(request)),
      ListRules: operation(ListRulesInput, (request) => this.listRules(request)),
      DescribeRule: operation(DescribeRuleInput, (request) => this.describeRule(request)),
      DescribeEventBus: operation(DescribeEventBusInput, (request) => this.describeEventBus(request)),
      ListTargetsByRule: operation(ListTargetsByRuleInput, (request) => this.listTargetsByRule(request)),
      TestEventPattern: operation(TestEventPatternInput, (request) => this.testEventPattern(request)),
    };
  }

  /** Subscribes to the bus and delivers what was committed but not delivered before the last stop or crash. */
  start(): void {
    const { store, bus } = this.ctx;
    let cursor = Number(store.getMeta(CURSOR_META) ?? Number.NaN);
    if (Number.isNaN(cursor)) {
      // First deployment: rules see events from now on, as a newly created rule does.
      cursor = store.lastEventSeq();
      store.tx(() => store.setMeta(CURSOR_META, String(cursor)));
    }
    this.floor = cursor;
    this.maxSeen = cursor;
    this.unsubscribe = bus.subscribe((seq, event) => this.onEvent(seq, event));
    for (let batch = bus.after(cursor, 1000); batch.length > 0; batch = bus.after(batch.at(-1)?.seq ?? 0, 1000)) {
      for (const { seq, event } of batch) this.onEvent(seq, event as EventEnvelope);
    }
    const now = this.ctx.clock.now();
    store.tx(() => {
      for (const { rule, schedule } of this.schedules.values()) {
        if (store.getMeta(scheduleMeta(rule.name)) === undefined) {
          store.setMeta(scheduleMeta(rule.name), JSON.stringify({ anchor: now, next: nextFiring(schedule, now, now) }));
        }
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await Promise.allSettled([...this.pendingAsync]);
  }

  /**
   * Fires due schedules, each due occurrence stamped with its own time. A clock advance stops at every occurrence
   * (`nextDue`), so each fires at its time, up to `scheduleCap` per schedule and advance; the clock moved any other way
   * (outside an advance) fires one occurrence however many periods passed. A schedule rule "runs on a schedule"
   * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html): one event per occurrence.
   */
  tick(now: number): void {
    for (const { rule, schedule } of this.schedules.values()) {
      if (!rule.enabled) continue;
      const state = this.scheduleState(rule.name);
      if (!state || now < state.next || this.capped(rule.name)) continue;
      if (this.fired) this.fired.set(rule.name, (this.fired.get(rule.name) ?? 0) + 1);
      this.ctx.store.setMeta(
        scheduleMeta(rule.name),
        JSON.stringify({ ...state, next: nextFiring(schedule, now, state.anchor) }),
      );
      this.ctx.bus.put({
        source: "aws.events",
        "detail-type": "Scheduled Event",
        resources: [rule.arn],
        detail: {},
        time: new Date(state.next).toISOString().replace(/\.\d{3}Z$/, "Z"),
      });
    }
  }

  /** The next occurrence of any enabled schedule not capped in this advance. */
  nextDue(after: number): number | undefined {
    let next: number | undefined;
    for (const { rule } of this.schedules.values()) {
      if (!rule.enabled || this.capped(rule.name)) continue;
      const at = this.scheduleState(rule.name)?.next;
      if (at !== undefined && at > after && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /** Resolves once no delivery runs (the runtime's one Activity: executions and invocations count too). */
  idle(): Promise<void> {
    return this.targets.activity.idle();
  }

  beginAdvance(): void {
    this.fired = new Map();
  }

  /** Capped schedules skip to their first occurrence after now; the caller is told which and from when. */
  endAdvance(): string[] {
    const notes: string[] = [];
    const now = this.ctx.clock.now();
    for (const { rule, schedule } of this.schedules.values()) {
      const state = this.scheduleState(rule.name);
      if (!state || !this.capped(rule.name) || now < state.next) continue;
      this.ctx.store.tx(() =>
        this.ctx.store.setMeta(
          scheduleMeta(rule.name),
          JSON.stringify({ ...state, next: nextFiring(schedule, now, state.anchor) }),
        ),
      );
      notes.push(
        `Schedule ${rule.name} fired ${this.scheduleCap} times in this advance (the most one advance fires); ` +
          `its occurrences from ${new Date(state.next).toISOString()} on were skipped`,
      );
    }
    this.fired = undefined;
    return notes;
  }

  private capped(rule: string): boolean {
    return (this.fired?.get(rule) ?? 0) >= this.scheduleCap;
  }

  private scheduleState(rule: string): ScheduleState | undefined {
    return (JSON.parse(this.ctx.store.getMeta(scheduleMeta(rule)) ?? "null") as ScheduleState | null) ?? undefined;
  }

  /** Puts entries on the bus in one transaction (PutEvents and the events:putEvents task). */
  putEntries(entries: unknown[], flush: boolean): { Entries: Record<string, string>[]; FailedEntryCount: number } {
    const results: Record<string, string>[] = [];
    this.ctx.store.tx(() => {
      for (const raw of entries) results.push(this.putEntry(raw));
    });
    if (flush) this.targets.activity.defer(() => this.ctx.bus.flush());
    return { Entries: results, FailedEntryCount: results.filter((r) => r.ErrorCode).length };
  }

  private putEntry(raw: unknown): Record<string, string> {
    const entry = (raw ?? {}) as Record<string, unknown>;
    const fail = (code: string, message: string) => ({ ErrorCode: code, ErrorMessage: message });
    const source = entry.Source;
    const detailType = entry.DetailType;
    if (typeof source !== "string" || source === "") return fail("InvalidArgument", "Parameter Source is not valid.");
    if (typeof detailType !== "string" || detailType === "")
      return fail("InvalidArgument", "Parameter DetailType is not valid.");
    if (source.startsWith("aws.")) return fail("NotAuthorizedForSourceException", "Not authorized for the source.");
    const bus = entry.EventBusName;
    if (bus !== undefined && bus !== "default" && !String(bus).endsWith(":event-bus/default")) {
      return fail("InvalidArgument", `Event bus ${String(bus)} does not exist.`);
    }
    let detail: unknown = entry.Detail ?? "{}";
    if (typeof detail === "string") {
      try {
        detail = JSON.parse(detail);
      } catch {
        return fail("MalformedDetail", "Detail is malformed.");
      }
    }
    if (detail === null || typeof detail !== "object" || Array.isArray(detail))
      return fail("MalformedDetail", "Detail is malformed.");
    const time =
      typeof entry.Time === "number"
        ? new Date(entry.Time * 1000)
        : typeof entry.Time === "string"
          ? new Date(entry.Time)
          : undefined;
    const seq = this.ctx.bus.put({
      source,
      "detail-type": detailType,
      resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
      detail: detail as Record<string, unknown>,
      ...(time && !Number.isNaN(time.getTime()) ? { time: time.toISOString().replace(/\.\d{3}Z$/, "Z") } : {}),
    });
    const stored = this.ctx.bus.after(seq - 1, 1)[0]?.event as EventEnvelope | undefined;
    return { EventId: stored?.id ?? "" };
  }

  private onEvent(seq: number, event: EventEnvelope): void {
    if (this.stopped || seq <= this.floor || this.seen.has(seq)) return;
    this.seen.add(seq);
    this.maxSeen = Math.max(this.maxSeen, seq);
    const readOnly =
      event["detail-type"] === "AWS API Call via CloudTrail" &&
      (event.detail as { readOnly?: unknown }).readOnly === true;
    const matched = this.config.rules.filter(
      (rule) =>
        rule.enabled &&
        (!readOnly || rule.allManagementEvents) &&
        rule.eventPattern &&
        matchesEventPattern(rule.eventPattern, event),
    );
    // Scheduled events go to the one rule they name.
    const scheduled =
      event.source === "aws.events" && event["detail-type"] === "Scheduled Event"
        ? this.config.rules.filter((rule) => rule.scheduleExpression && event.resources.includes(rule.arn))
        : [];
    const rules = [...matched, ...scheduled];
    if (rules.length === 0) {
      this.advanceCursor(seq);
      return;
    }
    this.inFlight.add(seq);
    const copies = 1 + Math.max(0, Math.floor(this.delivery.duplicates));
    const deliveries: Promise<unknown>[] = [];
    for (const rule of rules) {
      for (let copy = 0; copy < copies; copy++) {
        const delay = this.delivery.reorder ? Math.floor(Math.random() * 50) : 0;
        // Begun now, as the bus hands the event over: a stop that put it there awaits its delivery.
        const work = { end: this.targets.activity.begin() };
        deliveries.push(
          this.track(
            this.later(delay)
              .then(() => this.deliver(rule, event, seq, copy, work))
              .finally(() => work.end()),
          ),
        );
      }
    }
    void Promise.allSettled(deliveries).then(() => {
      this.inFlight.delete(seq);
      this.advanceCursor(seq);
    });
  }

  private later(ms: number): Promise<void> {
    return ms === 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pendingAsync.add(promise);
    void promise.finally(() => this.pendingAsync.delete(promise));
    return promise;
  }

  /** The cursor is the highest sequence number below which nothing is still being delivered. */
  private advanceCursor(_seq: number): void {
    if (this.stopped) return;
    // O(log n) per delivery: thousands of events can be in flight at once.
    const lowestBusy = this.inFlight.min();
    const cursor = lowestBusy !== undefined ? lowestBusy - 1 : this.maxSeen;
    if (cursor <= this.floor) return;
    this.seen.deleteUpTo(cursor);
    this.floor = cursor;
    this.ctx.store.tx(() => this.ctx.store.setMeta(CURSOR_META, String(cursor)));
  }

  private async deliver(
    rule: RuleConfig,
    event: EventEnvelope,
    seq: number,
    copy: number,
    work: { end: () => void },
  ): Promise<void> {
    if (this.stopped) return;
    const record = (status: DeliveryRecord["status"], detail?: string) => {
      if (this.stopped) return;
      const doc: DeliveryRecord = {
        id: `${rule.name}/${event.id}/${copy}`,
        rule: rule.name,
        eventId: event.id,
        seq,
        copy,
        target: rule.target.arn,
        status,
        ...(detail ? { detail } : {}),
      };
      this.ctx.store.put(DELIVERY_KIND, doc.id, doc);
    };
    let input: unknown;
    try {
      input = transformInput(rule, event);
    } catch (error: unknown) {
      record("failed", error instanceof Error ? error.message : String(error));
      return;
    }
    if (rule.target.kind === "stateMachine") {
      try {
        // EventBridge names the execution itself (a UUID), so every delivery starts its own execution, as in AWS.
        const { executionArn } = this.targets.stepFunctions.startExecution({
          stateMachineArn: rule.target.arn,
          input: JSON.stringify(input),
        });
        record("delivered", executionArn);
      } catch (error: unknown) {
        record("failed", error instanceof Error ? error.message : String(error));
      }
      return;
    }
    const fn = this.config.functions[rule.target.key];
    if (!fn) return;
    record("delivered");
    // Asynchronous invocation: Lambda retries a failing function twice, after 1 and 2 minutes (simulated clock).
    for (let attempt = 0; attempt <= fn.maximumRetryAttempts; attempt++) {
      if (attempt > 0) {
        // Asleep on the simulated clock: no work under way; a clock advance stops when the retry is due.
        work.end();
        try {
          await this.targets.sim.sleep(attempt * 60_000);
        } catch {
          return;
        } finally {
          work.end = this.targets.activity.begin();
        }
      }
      if (this.stopped) return;
      const out = await this.targets.lambda.invoke(fn, input, { source: "events", rule: rule.name, eventId: event.id });
      if (out.ok) return;
    }
  }

  // ---- operations ----

  private putEventsOp({ Entries }: z.infer<typeof PutEventsInput>) {
    // Inside the request's transaction: the account flushes the bus after it commits.
    const results = Entries.map((entry) => this.putEntry(entry));
    return { Entries: results, FailedEntryCount: results.filter((r) => r.ErrorCode).length };
  }

  private listRules({ NamePrefix }: z.infer<typeof ListRulesInput>) {
    return { Rules: this.config.rules.filter((r) => !NamePrefix || r.name.startsWith(NamePrefix)).map(describeRule) };
  }

  /**
   * The one bus there is: EventBridge API Reference, DescribeEventBus ("If you omit Name, the default event bus is
   * used"; Name and Arn of the bus; an unknown bus is ResourceNotFoundException).
   */
  private describeEventBus({ Name }: z.infer<typeof DescribeEventBusInput>) {
    const arn = `arn:aws:events:${this.config.region}:${this.config.accountId}:event-bus/default`;
    if (Name !== undefined && Name !== "default" && Name !== arn) {
      throw new AwsServiceError("ResourceNotFoundException", `Event bus ${Name} does not exist.`);
    }
    return { Name: "default", Arn: arn };
  }

  private describeRule({ Name }: z.infer<typeof DescribeRuleInput>) {
    return describeRule(this.mustGetRule(Name));
  }

  private listTargetsByRule({ Rule }: z.infer<typeof ListTargetsByRuleInput>) {
    const rule = this.mustGetRule(Rule);
    return {
      Targets: [
        {
          Id: rule.target.key,
          Arn: rule.target.arn,
          ...(rule.input !== undefined ? { Input: JSON.stringify(rule.input) } : {}),
          ...(rule.inputPath ? { InputPath: rule.inputPath } : {}),
          ...(rule.inputTransformer
            ? {
                InputTransformer: {
                  InputPathsMap: rule.inputTransformer.inputPathsMap ?? {},
                  InputTemplate: rule.inputTransformer.inputTemplate,
                },
              }
            : {}),
        },
      ],
    };
  }

  private testEventPattern(request: z.infer<typeof TestEventPatternInput>) {
    let pattern: unknown;
    let event: unknown;
    try {
      pattern = JSON.parse(request.EventPattern);
      validateEventPattern(pattern);
    } catch (error: unknown) {
      const message = error instanceof InvalidEventPatternError ? error.message : "Event pattern is not valid JSON";
      throw new AwsServiceError("InvalidEventPatternException", message);
    }
    try {
      event = JSON.parse(request.Event);
    } catch {
      throw new AwsServiceError("InvalidEventPatternException", "Event is not valid JSON");
    }
    const e = event as Record<string, unknown>;
    for (const field of ["id", "account", "source", "time", "region", "detail-type"]) {
      if (!(field in e))
        throw new AwsServiceError("InvalidEventPatternException", `Event is missing the field ${field}`);
    }
    return { Result: matchesEventPattern(pattern, event) };
  }

  private mustGetRule(name: string): RuleConfig {
    const rule = this.config.rules.find((r) => r.name === name);
    if (!rule)
      throw new AwsServiceError("ResourceNotFoundException", `Rule ${name} does not exist on EventBus default.`);
    return rule;
  }
}

function describeRule(rule: RuleConfig) {
  return {
    Name: rule.name,
    Arn: rule.arn,
    ...(rule.eventPattern ? { EventPattern: JSON.stringify(rule.eventPattern) } : {}),
    ...(rule.scheduleExpression ? { ScheduleExpression: rule.scheduleExpression } : {}),
    State: !rule.enabled
      ? "DISABLED"
      : rule.allManagementEvents
        ? "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
        : "ENABLED",
    EventBusName: "default",
  };
}

/** A target's input: the whole event, a constant `Input`, an `InputPath`, or an `InputTransformer`. */
export function transformInput(
  rule: Pick<RuleConfig, "name" | "arn" | "input" | "inputPath" | "inputTransformer">,
  event: EventEnvelope,
): unknown {
  if (rule.input !== undefined) return typeof rule.input === "string" ? JSON.parse(rule.input) : rule.input;
  if (rule.inputPath) {
    const found = readPath(event, rule.inputPath);
    return found.found ? found.value : null;
  }
  if (rule.inputTransformer) {
    const values: Record<string, unknown> = {
      "aws.events.rule-arn": rule.arn,
      "aws.events.rule-name": rule.name,
      "aws.events.event.ingestion-time": event.time,
      "aws.events.event": event,
      "aws.events.event.json": event,
    };
    for (const [name, path] of Object.entries(rule.inputTransformer.inputPathsMap ?? {})) {
      const found = readPath(event, path);
      values[name] = found.found ? found.value : null;
    }
    const text = rule.inputTransformer.inputTemplate.replace(/<([A-Za-z0-9_.-]+)>/g, (match, name: string) => {
      if (!(name in values)) return match;
      const value = values[name];
      return typeof value === "string" ? value : JSON.stringify(value);
    });
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return event;
}
