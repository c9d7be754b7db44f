import { earlierThan } from "../../executions";
import { cloudHsmStore } from "../../key-store-lookups";
import type { ExecutionRef, Executions } from "../../ports/executions";
import { adminSecretFor, kmsuserSecretFor, requireDerived } from "../../secret-names";
import { AdminSecretNotFoundError, CleanupInProgressError, ConnectAlreadyRunningError } from "./errors";
import type { ConnectInput, PreparedStore } from "./model";
import type { ConnectDeps } from "./steps";

/**
 * First step: checks the input and the key store, refuses a second execution for the same store or one beside an
 * orphan-cleanup window of it, and makes sure the kmsuser secret exists. Everything that can reject the input runs
 * before anything is created.
 */
export async function prepareConnect(
  deps: Pick<ConnectDeps, "keyStores" | "executions" | "secrets"> & { cleanupStateMachineArn?: string },
  req: ConnectInput,
  self?: ExecutionRef,
): Promise<PreparedStore> {
  const store = await cloudHsmStore(deps.keyStores, req.customKeyStoreId);
  const adminSecretId = requireDerived("adminSecretId", req.adminSecretId, adminSecretFor(store.clusterId));
  // Rotating needs the admin; watching someone else's connect needs it only to remediate, which it then skips.
  const canRemediate = await deps.secrets.exists(adminSecretId);
  if (req.mode === "rotate" && !canRemediate) throw new AdminSecretNotFoundError(adminSecretId);
  if (self) await refuseIfAnotherRuns(deps, req.customKeyStoreId, self);
  if (deps.cleanupStateMachineArn)
    await refuseBesideCleanup(deps.executions, deps.cleanupStateMachineArn, req.customKeyStoreId);
  const kmsuserSecretId = await deps.secrets.ensure(
    kmsuserSecretFor(req.customKeyStoreId),
    `kmsuser password of custom key store ${req.customKeyStoreId} (managed by keystore-autopilot connect-key-store)`,
  );
  return {
    customKeyStoreId: req.customKeyStoreId,
    clusterId: store.clusterId,
    kmsuserSecretId,
    adminSecretId,
    mode: req.mode,
    canRemediate,
  };
}

async function refuseIfAnotherRuns(
  deps: Pick<ConnectDeps, "executions">,
  customKeyStoreId: string,
  self: ExecutionRef,
): Promise<void> {
  const earlier = earlierThan(
    await deps.executions.runningFor(self.stateMachineArn, customKeyStoreId),
    self.executionArn,
  );
  if (earlier) throw new ConnectAlreadyRunningError(customKeyStoreId, earlier.executionArn);
}

/**
 * States of a running orphan-cleanup that do not block a connect: a window booked for later (it checks again when it
 * opens and refuses beside a connect), and the window's own reconnect, which is this very connect.
 */
const CLEANUP_STATES_BESIDE_CONNECT = new Set(["WaitForWindow", "ConnectKeyStore"]);

/** One maintenance operation per store: the same runningFor mechanism orphan-cleanup's Prepare uses the other way. */
async function refuseBesideCleanup(executions: Executions, cleanupStateMachineArn: string, customKeyStoreId: string) {
  for (const e of await executions.runningFor(cleanupStateMachineArn, customKeyStoreId)) {
    const current = await executions.currentState(e.executionArn);
    if (!current || !CLEANUP_STATES_BESIDE_CONNECT.has(current)) {
      throw new CleanupInProgressError(customKeyStoreId, e.executionArn);
    }
  }
}
