import type { ExecutionRef } from "../../ports/executions";
import { adminSecretFor, trustAnchorSecretFor } from "../../secret-names";
import { cluster, taggedCluster } from "./cluster-steps";
import {
  AdoptedClusterIncompleteError,
  CaSecretInvalidError,
  ClusterInUseError,
  ClusterUnusableError,
  KeyStoreNameInUseError,
  ProvisionAlreadyRunningError,
} from "./errors";
import type { ProvisionInput, ProvisionPlan } from "./model";
import type { ProvisionDeps } from "./steps";

/**
 * The first provision-key-store step, the one that looks everywhere before anything is made: Step Functions (a
 * concurrent run), CloudHSM (the cluster), KMS (the names) and Secrets Manager. Only provisionPlan loads it.
 */

async function refuseIfAnotherRuns(deps: Pick<ProvisionDeps, "executions">, keyStoreName: string, self: ExecutionRef) {
  const running = await deps.executions.runningFor(self.stateMachineArn, keyStoreName, "keyStoreName");
  const other = running.find((e) => e.executionArn !== self.executionArn);
  if (other) throw new ProvisionAlreadyRunningError(keyStoreName, other.executionArn);
}

/**
 * First step: validates the input and checks, before anything is created, that the name and the cluster are free.
 * On a re-run it finds what the earlier run made (the tagged cluster, the key store on it) so the workflow resumes.
 */
export async function planProvisioning(
  deps: Pick<ProvisionDeps, "clusters" | "keyStores" | "executions" | "secrets">,
  req: ProvisionInput,
  self?: ExecutionRef,
): Promise<ProvisionPlan> {
  if (self) await refuseIfAnotherRuns(deps, req.keyStoreName, self);
  let clusterId = req.clusterId;
  const found = clusterId ? await cluster(deps, clusterId) : await taggedCluster(deps, req.keyStoreName);
  clusterId = found?.clusterId;
  if (found && clusterId && found.state === "DELETE_IN_PROGRESS") {
    throw new ClusterUnusableError(clusterId, found.state);
  }
  const stores = await deps.keyStores.list();
  const named = stores.find((s) => s.name === req.keyStoreName);
  if (named && named.clusterId !== clusterId)
    throw new KeyStoreNameInUseError(req.keyStoreName, named.customKeyStoreId);
  const sharing = clusterId ? stores.find((s) => s.clusterId === clusterId && s.name !== req.keyStoreName) : undefined;
  if (sharing && clusterId) {
    throw new ClusterInUseError(
      clusterId,
      `it already backs custom key store ${sharing.customKeyStoreId} (${sharing.name}); give a cluster no key store uses, or subnetIds for a new one`,
    );
  }
  if (found && clusterId) await requireAdoptable(deps, clusterId, found.state);
  // Only that it exists: its private key is read where the CSR is signed, and nowhere else.
  if (req.ca.mode === "secret" && !(await deps.secrets.exists(req.ca.secretId))) {
    throw new CaSecretInvalidError(req.ca.secretId, "does not exist or has no AWSCURRENT value");
  }
  return {
    keyStoreName: req.keyStoreName,
    ...(clusterId ? { clusterId } : {}),
    ...(req.subnetIds ? { subnetIds: req.subnetIds } : {}),
    hsmType: req.hsmType,
    ...(req.backupRetentionDays !== undefined ? { backupRetentionDays: req.backupRetentionDays } : {}),
    hsmCount: req.hsmCount,
    caMode: req.ca.mode,
    caSecretId: req.ca.mode === "secret" ? req.ca.secretId : null,
    ...(named ? { customKeyStoreId: named.customKeyStoreId } : {}),
  };
}

/** Past UNINITIALIZED, the steps ahead need the trust anchor (CreateCustomKeyStore) and, once activated, the admin. */
async function requireAdoptable(deps: Pick<ProvisionDeps, "secrets">, clusterId: string, state: string): Promise<void> {
  if (["CREATE_IN_PROGRESS", "UNINITIALIZED", "INITIALIZE_IN_PROGRESS"].includes(state)) return;
  if (!(await deps.secrets.exists(trustAnchorSecretFor(clusterId)))) {
    throw new AdoptedClusterIncompleteError(
      clusterId,
      `store its trust anchor (the PEM it was initialized with) as the secret ${trustAnchorSecretFor(clusterId)}`,
    );
  }
  if (state === "INITIALIZED") return;
  if (!(await deps.secrets.exists(adminSecretFor(clusterId)))) {
    throw new AdoptedClusterIncompleteError(
      clusterId,
      `store its admin credential {"username":"admin","password":"..."} as the secret ${adminSecretFor(clusterId)}`,
    );
  }
}
