/**
 * One cheap read-only call to each AWS service the CLI functions use, for the stack's self-check
 * (src/preflight/self-check.ts). src/adapters/service-probes.ts answers through the product's own SDK clients.
 */

/** How a call ended: answered without error, or not and how (never reached the service, denied, or another answer). */
export type CallOutcome =
  | { outcome: "ok" }
  | { outcome: "unreachable" | "denied" | "answered"; name: string; message: string };

/** Each read is bounded by `signal`; none throws: every ending is a CallOutcome. */
export interface ServiceProbes {
  describeSecret(secretId: string, signal: AbortSignal): Promise<CallOutcome>;
  describeCustomKeyStores(signal: AbortSignal): Promise<CallOutcome>;
  describeClusters(signal: AbortSignal): Promise<CallOutcome>;
  describeEventBus(name: string, signal: AbortSignal): Promise<CallOutcome>;
  describeStateMachine(stateMachineArn: string, signal: AbortSignal): Promise<CallOutcome>;
  describeTable(tableName: string, signal: AbortSignal): Promise<CallOutcome>;
}
