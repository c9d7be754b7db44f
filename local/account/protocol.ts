import type { z } from "zod";
import { AwsServiceError } from "./errors";

/**
 * Validates a request body against an operation's schema. Failures read like AWS's:
 * `1 validation error detected: Value '3' at 'pendingWindowInDays' failed to satisfy constraint: ...`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const parts = issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const member = path ? path.charAt(0).toLowerCase() + path.slice(1) : "request";
    const value = issue.path.reduce<unknown>(
      (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[String(k)] : undefined),
      input,
    );
    const shown = value === undefined ? "null" : typeof value === "string" ? value : JSON.stringify(value);
    if (issue.code === "invalid_type" && value !== undefined) {
      throw new AwsServiceError("SerializationException", `${path}: ${issue.message}`);
    }
    return `Value '${shown}' at '${member}' failed to satisfy constraint: ${constraint(issue)}`;
  });
  throw new AwsServiceError(
    "ValidationException",
    `${parts.length} validation error${parts.length === 1 ? "" : "s"} detected: ${parts.join("; ")}`,
  );
}

function constraint(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return "Member must not be null";
    case "too_small":
      return issue.origin === "string"
        ? `Member must have length greater than or equal to ${issue.minimum}`
        : `Member must have value greater than or equal to ${issue.minimum}`;
    case "too_big":
      return issue.origin === "string"
        ? `Member must have length less than or equal to ${issue.maximum}`
        : `Member must have value less than or equal to ${issue.maximum}`;
    case "invalid_format":
      return `Member must satisfy regular expression pattern: ${"pattern" in issue ? String(issue.pattern) : issue.format}`;
    case "invalid_value":
      return `Member must satisfy enum value set: [${issue.values.map(String).join(", ")}]`;
    default:
      return issue.message;
  }
}

/** What CloudTrail says of one call beyond what the dispatcher knows (service, operation, time, caller, outcome). */
export type CallRecord = {
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown>;
  /** ARNs of the resources the call was about (CloudTrail's `resources`). */
  resources?: string[];
};

/**
 * Handed to `run`: adds to the call's CloudTrail record. What it was given before `run` threw stays in the failure
 * record, so a call refused for a key's state still names the key, as CloudTrail does.
 */
export type Recorder = (record: Partial<CallRecord>) => void;

/**
 * Where a call was made: the Region its signature names (the account's own when unsigned). The account is one Region;
 * only what a service models in other Regions (CloudHSM backups copied with CopyBackupToRegion) reads it.
 */
export type CallScope = { region: string };

/** How CloudTrail records an operation's calls (management events). */
export type Trail<Request = never> = {
  /**
   * The request parameters as CloudTrail logs them. Services leave out what is secret or bulky (a key store password,
   * plaintext, ciphertext: KMS Developer Guide, ct-create-keystore, ct-decrypt), so each operation says what it logs.
   */
  request: (request: Request) => Record<string, unknown> | null;
  /** CloudTrail's `readOnly`: true for reads and KMS cryptographic operations (KMS Developer Guide, ct-encrypt). */
  readOnly?: boolean;
};

/**
 * One operation, declared: the schema its request must satisfy, its quota in requests per second where AWS sets one
 * (quotas.ts), how CloudTrail records it, and what it does with the parsed request. The account's one dispatcher
 * applies them in that order, after injected faults, runs `run` in one transaction and writes the CloudTrail record:
 * in that transaction when the call succeeds, in one of its own with `errorCode` when it fails.
 */
export type Operation = {
  readonly input: z.ZodType;
  readonly rate?: number;
  readonly trail?: Trail;
  readonly run: (request: never, record: Recorder, at: CallScope) => unknown;
};

export function operation<S extends z.ZodType>(
  input: S,
  run: (request: z.infer<S>, record: Recorder, at: CallScope) => unknown,
  options: { rate?: number; trail?: Trail<z.infer<S>> } = {},
): Operation {
  return {
    input,
    run,
    ...(options.rate !== undefined ? { rate: options.rate } : {}),
    ...(options.trail ? { trail: options.trail as Trail } : {}),
  };
}

/** An AWS JSON-protocol service: its operations by name (see Operation). */
export interface Service {
  /** The X-Amz-Target prefix, e.g. `TrentService`. */
  readonly target: string;
  /** `kms`, `cloudhsm`, ... used in fault rules and quotas (`kms:CreateKey`). */
  readonly name: string;
  readonly jsonVersion: "1.0" | "1.1";
  /** Exception name and status for injected internal errors. */
  readonly internalError: { code: string; status: number };
  readonly operations: Record<string, Operation>;
  /** Settles every transition due at `now` (connects, HSM creation, key deletion...). */
  tick?(now: number): void;
  /** The earliest simulated time strictly after `after` at which `tick` has something to settle; a clock advance steps through these in order. */
  nextDue?(after: number): number | undefined;
  /**
   * Resolves once the service has no work under way that could go on without the clock moving (a Lambda invocation,
   * an execution between states, a delivery): all it has left waits on a later simulated time that `nextDue` reports,
   * or on someone else. A clock advance awaits it at every stop before it looks for the next.
   */
  idle?(): Promise<void>;
  /** A clock advance up to `target` begins: a service may cap what it reports due inside one advance. */
  beginAdvance?(target: number): void;
  /** The advance is over: what its caller should be told (e.g. occurrences a cap skipped). */
  endAdvance?(): string[];
  /** Finishes or undoes work a crash interrupted. Runs once at start, before the port opens. */
  recover?(): void;
}
