import { DescribeCustomKeyStoresCommand } from "@aws-sdk/client-kms";
import { GetExecutionHistoryCommand, type HistoryEvent } from "@aws-sdk/client-sfn";
import * as z from "zod/mini";
import { type Alert, publishAlert } from "../alerts";
import { AdminSecretNotFoundError } from "../connect/errors";
import { adminSecretName, kmsuserSecretName } from "../connect/model";
import { cloudHsmStore, runningFor } from "../connect/steps";
import { CUSTOM_KEY_STORE_ID } from "../key-stores";
import { listOpenOrphans } from "../orphans";
import { ExecutionNameSchema, parseOrThrow } from "../validation";
import type { CleanupDeps } from "./deps";
import { CleanupAlreadyRunningError, ConnectInProgressError } from "./errors";
import { CleanupInputSchema, type PreparedCleanup, REPORT_LIMIT, type ScanResult } from "./model";
import type { SweepReport } from "./sweep";

export type ExecutionRef = { executionArn: string; stateMachineArn: string };

/**
 * First step: checks the input and the key store and refuses to run beside another cleanup or a connect of the same
 * store. Nothing is created or changed before every check has passed (the kmsuser secret is ensured last).
 */
export async function prepareCleanup(
  deps: CleanupDeps & { connectStateMachineArn: string; approvalByDefault: boolean },
  input: unknown,
  self: ExecutionRef,
  options: { windowOpened?: boolean } = {},
): Promise<PreparedCleanup> {
  const req = parseOrThrow(CleanupInputSchema, input);
  // Checked again when a booked window opens; by then its time has come, so it waits no more.
  const notBefore = options.windowOpened ? undefined : req.notBefore;
  const store = await cloudHsmStore(deps.kms, req.customKeyStoreId);
  const adminSecretId = req.adminSecretId ?? adminSecretName(req.customKeyStoreId);
  if (!req.dryRun && (await deps.secrets.current(adminSecretId, { fresh: true })) === undefined) {
    throw new AdminSecretNotFoundError(adminSecretId);
  }
  // Windows booked for later and still waiting do not block this one (they will find nothing left, or refuse then).
  const mine = await activeWindows(deps, self.stateMachineArn, req.customKeyStoreId);
  const me = mine.find((e) => e.executionArn === self.executionArn);
  const earlier = mine.find(
    (e) =>
      e.executionArn !== self.executionArn &&
      (!me || e.startDate < me.startDate || (e.startDate === me.startDate && e.executionArn < self.executionArn)),
  );
  if (earlier) throw new CleanupAlreadyRunningError(req.customKeyStoreId, earlier.executionArn);
  if (!req.dryRun) {
    const connecting = await runningFor(deps.sfn as never, deps.connectStateMachineArn, req.customKeyStoreId);
    if (connecting[0]) throw new ConnectInProgressError(req.customKeyStoreId, connecting[0].executionArn);
  }
  const kmsuserSecretId = req.dryRun
    ? kmsuserSecretName(req.customKeyStoreId)
    : await deps.secrets.ensure(
        kmsuserSecretName(req.customKeyStoreId),
        `kmsuser password of custom key store ${req.customKeyStoreId} (managed by keystore-autopilot)`,
      );
  const initialState = store.ConnectionState ?? "DISCONNECTED";
  return {
    customKeyStoreId: req.customKeyStoreId,
    clusterId: store.CloudHsmClusterId,
    kmsuserSecretId,
    adminSecretId,
    initialState,
    reconnect: initialState !== "DISCONNECTED",
    dryRun: req.dryRun,
    approval: req.approval ? req.approval === "required" : deps.approvalByDefault,
    approvalTimeoutSeconds: req.approvalTimeoutSeconds,
    ...(notBefore ? { notBefore: new Date(notBefore).toISOString() } : {}),
    discover: req.discover,
    maxDeletes: req.maxDeletes,
    executionName: self.executionArn.split(":").pop() ?? self.executionArn,
  };
}

/** Running cleanups of the store, except those booked for a later window and waiting in WaitForWindow. */
async function activeWindows(deps: CleanupDeps, stateMachineArn: string, customKeyStoreId: string) {
  const running = await runningFor(deps.sfn as never, stateMachineArn, customKeyStoreId);
  const active: typeof running = [];
  for (const e of running) {
    const history = (await deps.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: e.executionArn, reverseOrder: true, maxResults: 1 }),
    )) as { events?: HistoryEvent[] };
    const last = history.events?.[0];
    if (last?.type === "WaitStateEntered" && last.stateEnteredEventDetails?.name === "WaitForWindow") continue;
    active.push(e);
  }
  return active;
}

/** Announces that a window waits for approval; the token stays in the execution, never in the event. */
export async function requestApproval(
  deps: Pick<CleanupDeps, "events" | "alertBusName">,
  input: { store: PreparedCleanup; scan: ScanResult },
): Promise<{ requested: true }> {
  await publishAlert(deps.events, deps.alertBusName, {
    type: "OrphanCleanupApprovalRequested",
    severity: "INFO",
    message: `orphan-cleanup ${input.store.executionName} waits for approval to disconnect ${input.store.customKeyStoreId} and delete up to ${input.scan.openOrphans} registered orphan(s): keystore-autopilot approve ${input.store.executionName} [--deny]`,
    customKeyStoreId: input.store.customKeyStoreId,
    clusterId: input.store.clusterId,
    details: {
      execution: input.store.executionName,
      openOrphans: input.scan.openOrphans,
      storeKeys: input.scan.storeKeys,
      approvalTimeoutSeconds: input.store.approvalTimeoutSeconds,
    },
  });
  return { requested: true };
}

export type CleanupOutcome = "completed" | "failed" | "reconnect-failed";

const ErrorSchema = z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }));
/** The whole execution state at the end of a window; only these fields are read. */
const FinishInputSchema = z.object({
  store: z.object({
    customKeyStoreId: z
      .string()
      .check(z.regex(CUSTOM_KEY_STORE_ID, "customKeyStoreId must look like cks-1234567890abcdef0")),
    clusterId: z.string().check(z.regex(/^cluster-[a-z0-9]+$/, "clusterId must look like cluster-1234abcd")),
    executionName: ExecutionNameSchema,
    reconnect: z.boolean(),
  }),
  outcome: z.enum(["completed", "failed", "reconnect-failed"]),
  sweep: z.optional(z.record(z.string(), z.unknown())),
  error: ErrorSchema,
  connectError: ErrorSchema,
});
type FinishInput = {
  store: Pick<PreparedCleanup, "customKeyStoreId" | "clusterId" | "executionName" | "reconnect">;
  outcome: CleanupOutcome;
  sweep?: SweepReport;
  error?: { Error?: string; Cause?: string };
  connectError?: { Error?: string; Cause?: string };
};

export type CleanupReport = {
  status: "SUCCEEDED" | "FAILED";
  customKeyStoreId: string;
  connectionState: string;
  expectedState: string;
  deleted: number;
  remaining: number;
  remainingKeys: string[];
  sweep?: SweepReport;
  failure?: string;
};

/**
 * Last step of every window, success or not: reads the store's connection state and the orphans still open, and
 * raises an alert when the window failed or left the store other than it found it.
 */
export async function finishCleanup(deps: CleanupDeps, raw: unknown): Promise<CleanupReport> {
  const input = parseOrThrow(FinishInputSchema, raw) as FinishInput;
  const { store } = input;
  const error = input.outcome === "reconnect-failed" ? input.connectError : input.error;
  const out = await deps.kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: store.customKeyStoreId }));
  const connectionState = out.CustomKeyStores?.[0]?.ConnectionState ?? "UNKNOWN";
  const expectedState = store.reconnect ? "CONNECTED" : "DISCONNECTED";
  const open = await listOpenOrphans(deps.db, deps.table, store.customKeyStoreId);
  const failure =
    input.outcome !== "completed"
      ? `${input.outcome}: ${error?.Error ?? "Error"}`
      : connectionState !== expectedState
        ? `store left ${connectionState}, expected ${expectedState}`
        : undefined;
  const report: CleanupReport = {
    status: failure ? "FAILED" : "SUCCEEDED",
    customKeyStoreId: store.customKeyStoreId,
    connectionState,
    expectedState,
    deleted: input.sweep?.deleted ?? 0,
    remaining: open.length,
    remainingKeys: open.slice(0, REPORT_LIMIT).map((o) => o.keyArn),
    ...(input.sweep ? { sweep: input.sweep } : {}),
    ...(failure ? { failure } : {}),
  };
  if (failure) {
    const alert: Alert = {
      type: "OrphanCleanupFailed",
      severity: connectionState === expectedState ? "WARNING" : "CRITICAL",
      message: `orphan-cleanup ${store.executionName} failed (${failure}); ${open.length} orphan(s) remain; key store ${store.customKeyStoreId} is ${connectionState}${connectionState === expectedState ? "" : ` — connect it (keystore-autopilot start connect-key-store --input '{"customKeyStoreId":"${store.customKeyStoreId}"}')`}`,
      customKeyStoreId: store.customKeyStoreId,
      clusterId: store.clusterId,
      details: { execution: store.executionName, remaining: open.length, connectionState, outcome: input.outcome },
    };
    await publishAlert(deps.events, deps.alertBusName, alert);
  }
  return report;
}
