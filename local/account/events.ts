import { randomUUID } from "node:crypto";
import type { Clock } from "./clock";
import type { Store } from "./store";

export type EventEnvelope = {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
};

export type Identity = { accountId: string; region: string };

export type CloudTrailCall = {
  service: "kms" | "cloudhsm";
  eventName: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown>;
  resources?: string[];
  /** `AwsServiceEvent` for actions KMS takes by itself, such as DeleteKey at the end of the waiting period. */
  eventType?: "AwsApiCall" | "AwsServiceEvent";
  /** True for reads and KMS cryptographic operations (KMS Developer Guide, ct-encrypt). */
  readOnly?: boolean;
  /** A call the service refused: its exception name and message (KMS Developer Guide, ct-decrypt "Decrypt failure"). */
  errorCode?: string;
  errorMessage?: string;
};

/**
 * The local default event bus: every event is appended to the durable log in the caller's transaction, then
 * handed to in-process subscribers (the local runtime) once that transaction commits.
 */
export class EventBus {
  private readonly listeners = new Set<(seq: number, event: EventEnvelope) => void>();
  private pending: { seq: number; event: EventEnvelope }[] = [];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly identity: Identity,
  ) {}

  subscribe(listener: (seq: number, event: EventEnvelope) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  put(event: Omit<EventEnvelope, "version" | "id" | "time" | "account" | "region"> & Partial<EventEnvelope>): number {
    const full: EventEnvelope = {
      version: "0",
      id: randomUUID(),
      time: new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      account: this.identity.accountId,
      region: this.identity.region,
      ...event,
    };
    const seq = this.store.appendEvent(full);
    this.pending.push({ seq, event: full });
    return seq;
  }

  /**
   * CloudTrail record inside an EventBridge envelope, shaped as the KMS Developer Guide's examples
   * (test/events/aws/SOURCES.md): service events have no requestID; calls about a key store have no `resources`.
   */
  cloudTrail(call: CloudTrailCall): number {
    const eventType = call.eventType ?? "AwsApiCall";
    const { accountId, region } = this.identity;
    const time = new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
    const detail: Record<string, unknown> = {
      eventVersion: "1.08",
      userIdentity:
        eventType === "AwsServiceEvent"
          ? { accountId, invokedBy: "AWS Internal" }
          : {
              type: "IAMUser",
              principalId: "AIDALOCALUSER",
              arn: `arn:aws:iam::${accountId}:user/local`,
              accountId,
              accessKeyId: "AKIALOCAL",
              userName: "local",
            },
      eventTime: time,
      eventSource: call.service === "kms" ? "kms.amazonaws.com" : "cloudhsm.amazonaws.com",
      eventName: call.eventName,
      awsRegion: region,
      sourceIPAddress: eventType === "AwsServiceEvent" ? "AWS Internal" : "127.0.0.1",
      userAgent: eventType === "AwsServiceEvent" ? "AWS Internal" : "local-account",
      ...(call.errorCode ? { errorCode: call.errorCode, errorMessage: call.errorMessage ?? "" } : {}),
      requestParameters: call.requestParameters,
      responseElements: call.responseElements,
      ...(call.additionalEventData ? { additionalEventData: call.additionalEventData } : {}),
      ...(eventType === "AwsApiCall" ? { requestID: randomUUID() } : {}),
      eventID: randomUUID(),
      readOnly: call.readOnly ?? false,
      ...(call.resources
        ? {
            resources: call.resources.map((arn) => ({
              accountId,
              type: call.service === "kms" ? "AWS::KMS::Key" : "AWS::CloudHSM::Cluster",
              ARN: arn,
            })),
          }
        : {}),
      eventType,
      managementEvent: true,
      recipientAccountId: accountId,
      eventCategory: "Management",
    };
    return this.put({
      "detail-type":
        eventType === "AwsServiceEvent" ? "AWS Service Event via CloudTrail" : "AWS API Call via CloudTrail",
      source: call.service === "kms" ? "aws.kms" : "aws.cloudhsm",
      resources: [],
      detail,
    });
  }

  /** Called after a transaction commits: subscribers only ever see durable events. */
  flush(): void {
    const ready = this.pending;
    this.pending = [];
    for (const { seq, event } of ready) for (const listener of this.listeners) listener(seq, event);
  }

  /** Called when a transaction rolls back: its events never happened. */
  discard(): void {
    this.pending = [];
  }

  after(seq: number, limit?: number) {
    return this.store.eventsAfter(seq, limit);
  }
}
