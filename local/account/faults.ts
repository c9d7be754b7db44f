import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Store } from "./store";

/** The ConnectionErrorCodes of a CloudHSM key store (DOMAIN.md §2.1), each of which can be injected. */
export const CONNECTION_ERROR_CODES = [
  "INVALID_CREDENTIALS",
  "CLUSTER_NOT_FOUND",
  "NETWORK_ERRORS",
  "INTERNAL_ERROR",
  "INSUFFICIENT_CLOUDHSM_HSMS",
  "USER_LOCKED_OUT",
  "USER_NOT_FOUND",
  "USER_LOGGED_IN",
  "SUBNET_NOT_FOUND",
  "INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET",
] as const;

/** A fault armed through the control endpoint; it fires on the next `count` matching calls, then disarms. */
export const FaultSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("throttle"),
    operation: z.string().min(1).describe("e.g. kms:DescribeCustomKeyStores"),
    count: z.number().int().min(1).default(1),
  }),
  z.object({
    kind: z.literal("internal-error"),
    operation: z.string().min(1),
    count: z.number().int().min(1).default(1),
  }),
  /**
   * A call the caller's policies do not allow: AccessDeniedException (HTTP 400) naming the action, as AWS answers an
   * IAM denial (IAM User Guide, "Troubleshoot access denied error messages": "User: <arn> is not authorized to
   * perform: <action> ... because no identity-based policy allows the <action> action"). The account enforces no IAM
   * itself, so this is how a test shows a role that lacks a permission.
   */
  z.object({
    kind: z.literal("access-denied"),
    operation: z.string().min(1).describe("e.g. kms:DescribeCustomKeyStores"),
    count: z.number().int().min(1).default(1),
  }),
  z.object({
    kind: z.literal("connect-error"),
    connectionErrorCode: z.enum(CONNECTION_ERROR_CODES),
    customKeyStoreId: z.string().optional(),
    count: z.number().int().min(1).default(1),
  }),
  z.object({
    kind: z.literal("hsm-degraded"),
    clusterId: z.string().optional().describe("any cluster when absent"),
    activatedOnly: z.boolean().default(false).describe("fire only for HSMs added to an ACTIVE/DEGRADED cluster"),
    count: z.number().int().min(1).default(1),
  }),
  /**
   * The next ModifyCluster that ends on a matching cluster rolls back instead: ROLLBACK_IN_PROGRESS, then the state it
   * was in with the change undone ("Migrating from hsm1.medium to hsm2m.medium", hsm1-to-hsm2-migration.html).
   */
  z.object({
    kind: z.literal("cluster-rollback"),
    clusterId: z.string().optional().describe("any cluster when absent"),
    count: z.number().int().min(1).default(1),
  }),
  z.object({
    kind: z.literal("cli-error"),
    command: z.string().optional().describe("command prefix such as 'key delete'; any command when absent"),
    message: z.string().default("Internal error"),
    count: z.number().int().min(1).default(1),
    /** Let this many matching commands succeed first: a failure in the middle of a batch. */
    after: z.number().int().min(0).default(0),
  }),
  /**
   * KMS's eventual consistency: right after CreateKey, other calls may not see the key "for less than a few seconds
   * [...] in some cases several minutes" and answer NotFoundException (KMS Developer Guide, "AWS KMS eventual
   * consistency", programming-eventual-consistency.html). While armed, DescribeKey answers NotFoundException and
   * ListKeys omits every key created in the last `seconds` of the simulated clock. It stays until the faults are cleared.
   */
  z.object({
    kind: z.literal("kms-eventual-consistency"),
    seconds: z.number().int().min(1).max(86_400),
  }),
]);
export type FaultInput = z.input<typeof FaultSchema>;
export type Fault = z.infer<typeof FaultSchema> & { id: string };

export class Faults {
  constructor(private readonly store: Store) {}

  arm(input: unknown): Fault {
    const fault = { ...FaultSchema.parse(input), id: randomUUID() };
    this.store.tx(() => this.store.put("fault", fault.id, fault));
    return fault;
  }

  list(): Fault[] {
    return this.store.list<Fault>("fault");
  }

  clear(): void {
    this.store.tx(() => {
      for (const f of this.list()) this.store.delete("fault", f.id);
    });
  }

  /** The armed fault of a kind that stays until cleared (it has no count), if any. */
  standing<K extends Fault["kind"]>(kind: K): Extract<Fault, { kind: K }> | undefined {
    return this.list().find((f): f is Extract<Fault, { kind: K }> => f.kind === kind);
  }

  /** Consumes one shot of the first armed fault that matches, inside the caller's transaction. */
  take<K extends Fault["kind"]>(kind: K, matches: (f: Extract<Fault, { kind: K }>) => boolean) {
    const fault = this.list().find((f): f is Extract<Fault, { kind: K }> => f.kind === kind && matches(f as never));
    if (!fault) return undefined;
    if ("after" in fault && fault.after > 0) {
      this.store.put("fault", fault.id, { ...fault, after: fault.after - 1 });
      return undefined;
    }
    if (!("count" in fault) || fault.count <= 1) this.store.delete("fault", fault.id);
    else this.store.put("fault", fault.id, { ...fault, count: fault.count - 1 });
    return fault;
  }
}
