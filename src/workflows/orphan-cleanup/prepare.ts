import { earlierThan } from "../../executions";
import { cloudHsmStore } from "../../key-store-lookups";
import type { ExecutionRef } from "../../ports/executions";
import { adminSecretFor, kmsuserSecretFor, requireDerived } from "../../secret-names";
import { AdminSecretNotFoundError } from "../connect-key-store/errors";
import type { CleanupDeps } from "./deps";
import { CleanupAlreadyRunningError, ConnectInProgressError } from "./errors";
import type { CleanupInput, PreparedCleanup } from "./model";

/**
 * First step: checks the input and the key store and refuses to run beside another cleanup or a connect of the same
 * store. Nothing is created or changed before every check has passed (the kmsuser secret is ensured last).
 */
export async function prepareCleanup(
  deps: Pick<CleanupDeps, "keyStores" | "executions" | "secrets"> & {
    connectStateMachineArn: string;
    approvalByDefault: boolean;
  },
  req: CleanupInput,
  self: ExecutionRef,
  options: { windowOpened?: boolean } = {},
): Promise<PreparedCleanup> {
  // Checked again when a booked window opens; by then its time has come, so it waits no more.
  const notBefore = options.windowOpened ? undefined : req.notBefore;
  const store = await cloudHsmStore(deps.keyStores, req.customKeyStoreId);
  const adminSecretId = requireDerived("adminSecretId", req.adminSecretId, adminSecretFor(store.clusterId));
  if (!req.dryRun && !(await deps.secrets.exists(adminSecretId))) {
    throw new AdminSecretNotFoundError(adminSecretId);
  }
  // Windows booked for later and still waiting do not block this one (they will find nothing left, or refuse then).
  const earlier = earlierThan(await activeWindows(deps, self.stateMachineArn, req.customKeyStoreId), self.executionArn);
  if (earlier) throw new CleanupAlreadyRunningError(req.customKeyStoreId, earlier.executionArn);
  if (!req.dryRun) {
    const connecting = await deps.executions.runningFor(deps.connectStateMachineArn, req.customKeyStoreId);
    if (connecting[0]) throw new ConnectInProgressError(req.customKeyStoreId, connecting[0].executionArn);
  }
  const kmsuserSecretId = req.dryRun
    ? kmsuserSecretFor(req.customKeyStoreId)
    : await deps.secrets.ensure(
        kmsuserSecretFor(req.customKeyStoreId),
        `kmsuser password of custom key store ${req.customKeyStoreId} (managed by keystore-autopilot)`,
      );
  const initialState = store.connectionState;
  return {
    customKeyStoreId: req.customKeyStoreId,
    clusterId: store.clusterId,
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
async function activeWindows(deps: Pick<CleanupDeps, "executions">, stateMachineArn: string, customKeyStoreId: string) {
  const running = await deps.executions.runningFor(stateMachineArn, customKeyStoreId);
  const active: typeof running = [];
  for (const e of running) {
    if ((await deps.executions.currentState(e.executionArn)) === "WaitForWindow") continue;
    active.push(e);
  }
  return active;
}
