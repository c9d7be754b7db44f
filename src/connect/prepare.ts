import { type ExecutionRef, runningFor } from "../executions";
import { cloudHsmStore } from "../key-store-lookups";
import { parseOrThrow } from "../validation";
import { AdminSecretNotFoundError, ConnectAlreadyRunningError } from "./errors";
import { adminSecretName, ConnectInputSchema, kmsuserSecretName, type PreparedStore } from "./model";
import type { ConnectDeps } from "./steps";

/**
 * First step: checks the input and the key store, refuses a second execution for the same store, and makes sure the
 * kmsuser secret exists. Everything that can reject the input runs before anything is created.
 */
export async function prepareConnect(
  deps: Pick<ConnectDeps, "kms" | "sfn" | "secrets">,
  input: unknown,
  self?: ExecutionRef,
): Promise<PreparedStore> {
  const req = parseOrThrow(ConnectInputSchema, input);
  const store = await cloudHsmStore(deps.kms, req.customKeyStoreId);
  const adminSecretId = req.adminSecretId ?? adminSecretName(req.customKeyStoreId);
  // Rotating needs the admin; watching someone else's connect needs it only to remediate, which it then skips.
  const canRemediate = (await deps.secrets.current(adminSecretId, { fresh: true })) !== undefined;
  if (req.mode === "rotate" && !canRemediate) throw new AdminSecretNotFoundError(adminSecretId);
  if (self) await refuseIfAnotherRuns(deps, req.customKeyStoreId, self);
  const kmsuserSecretId = await deps.secrets.ensure(
    kmsuserSecretName(req.customKeyStoreId),
    `kmsuser password of custom key store ${req.customKeyStoreId} (managed by keystore-autopilot connect-key-store)`,
  );
  return {
    customKeyStoreId: req.customKeyStoreId,
    clusterId: store.CloudHsmClusterId,
    kmsuserSecretId,
    adminSecretId,
    mode: req.mode,
    canRemediate,
  };
}

async function refuseIfAnotherRuns(
  deps: Pick<ConnectDeps, "sfn">,
  customKeyStoreId: string,
  self: ExecutionRef,
): Promise<void> {
  const running = await runningFor(deps.sfn, self.stateMachineArn, customKeyStoreId);
  const mine = running.find((e) => e.executionArn === self.executionArn);
  const earlier = running.find(
    (e) =>
      e.executionArn !== self.executionArn &&
      (!mine || e.startDate < mine.startDate || (e.startDate === mine.startDate && e.executionArn < self.executionArn)),
  );
  if (earlier) throw new ConnectAlreadyRunningError(customKeyStoreId, earlier.executionArn);
}
