import * as z from "zod/mini";
import { KeyStoreRefSchema } from "../../key-stores";
import { ClusterIdSchema, ExecutionNameSchema } from "../../validation";
import { SecretRefSchema } from "../connect-key-store/model";

/** The fields of the prepared store that later steps read from the execution state, checked the same way by each. */
export const WindowStoreFields = {
  ...KeyStoreRefSchema.shape,
  clusterId: ClusterIdSchema,
  executionName: ExecutionNameSchema,
};

/**
 * Input of orphan-cleanup: `keystore-autopilot start orphan-cleanup --input '{"customKeyStoreId":"cks-…"}'`.
 * Everything but the key store has a safe default; unknown fields are rejected.
 */
export const CleanupInputSchema = z.strictObject({
  ...KeyStoreRefSchema.shape,
  /** Secret holding {"username","password"} of the cluster admin: keystore-autopilot/admin/<clusterId>, the only one accepted. */
  adminSecretId: z.optional(SecretRefSchema),
  /** Report what would be deleted; no disconnect, no login, no deletion. */
  dryRun: z._default(z.boolean(), false),
  /** `required` waits for `keystore-autopilot approve`; the default comes from the deployment (CLEANUP_APPROVAL). */
  approval: z.optional(z.enum(["required", "skip"])),
  /** How long an approval may take before the window is called off (nothing touched). */
  approvalTimeoutSeconds: z._default(z.number().check(z.int(), z.minimum(60), z.maximum(604_800)), 86_400),
  /** Open the window at this time (ISO 8601), so orphans registered meanwhile share it. */
  notBefore: z.optional(z.iso.datetime({ offset: true })),
  /** Open a window even when the register holds no orphan for the store, to find unregistered ones. */
  discover: z._default(z.boolean(), false),
  /** At most this many deletions per window; the rest wait for the next. */
  maxDeletes: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(5_000)), 1_000),
});
export type CleanupInput = z.infer<typeof CleanupInputSchema>;

/** The key store and plan as the steps pass them on: ids and references only. */
export type PreparedCleanup = {
  customKeyStoreId: string;
  clusterId: string;
  kmsuserSecretId: string;
  adminSecretId: string;
  /** CONNECTED, CONNECTING or FAILED: reconnect after the window; DISCONNECTED: leave it so (KMS told the password). */
  initialState: string;
  reconnect: boolean;
  dryRun: boolean;
  approval: boolean;
  approvalTimeoutSeconds: number;
  notBefore?: string;
  discover: boolean;
  maxDeletes: number;
  executionName: string;
};

/** What the scan found, small enough for the state machine payload; the key list itself is in the register. */
export type ScanResult = {
  kmsKeys: number;
  storeKeys: number;
  snapshot: { id: string; chunks: number };
  openOrphans: number;
  kmsCalls: number;
  throttled: number;
  /** Open a maintenance window: registered orphans exist, or discovery was asked for. */
  windowNeeded: boolean;
  /** Dry run only: registered orphans KMS no longer has (would be deleted if present) and those it still has. */
  wouldDelete?: { keyArn: string; backingKeyId?: string }[];
  wouldKeep?: { keyArn: string; reason: string }[];
};

/** Report lists carried in the payload are capped; the register holds every record. */
export const REPORT_LIMIT = 50;
