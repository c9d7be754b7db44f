import type { HsmAuditRecord } from "../hsm-audit-records";

/**
 * The HSM audit logs of a cluster, as the proofs of destruction read them: CloudHSM posts them to CloudWatch Logs, one
 * log group per cluster (`/aws/cloudhsm/<cluster ID>`) and one log stream per HSM, named by its ID (CloudHSM User
 * Guide, understand-audit-logs.html). src/adapters/audit-log.ts reads them with FilterLogEvents.
 */

/** One record as found: the parsed fields, the HSM whose stream holds it, and the event's text as written. */
export type HsmAuditEvent = HsmAuditRecord & { hsmId: string; eventId?: string; message: string };

/**
 * READ: the log group was read (records may be empty). NO_LOG_GROUP: CloudWatch Logs has no such log group
 * (ResourceNotFoundException). ACCESS_DENIED: the caller may not read it. UNAVAILABLE: any other failure, named in
 * `error`; the next refresh tries again.
 */
export type AuditLogAnswer =
  | { status: "READ"; records: HsmAuditEvent[]; truncated: boolean }
  | { status: "NO_LOG_GROUP" | "ACCESS_DENIED" | "UNAVAILABLE"; error: string };

export interface AuditLog {
  /**
   * The key deletion records (CN_DESTROY_OBJECT, CN_TOMBSTONE_OBJECT) of a cluster's HSMs stamped between `from` and
   * `to`, oldest first, at most `limit`; `truncated` when the log held more than was read. Never throws for a missing
   * log group or a refused read: the answer says so.
   */
  keyDeletions(query: { clusterId: string; from: Date; to: Date; limit: number }): Promise<AuditLogAnswer>;
}

/** The log group of a cluster's HSM audit logs (understand-audit-logs.html). */
export const auditLogGroup = (clusterId: string) => `/aws/cloudhsm/${clusterId}`;
