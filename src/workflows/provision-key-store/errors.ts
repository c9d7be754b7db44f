/** Named errors of the provision-key-store steps; each name is matched by a Catch in provision-key-store.asl.yml. */

/**
 * Base of provision-key-store's own errors: each subclass's `name` is the contract with a Catch or Retry in
 * statemachines/provision-key-store.asl.yml (set explicitly, since bundling may rename classes), and `cause` is kept.
 */
export class ProvisionKeyStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProvisionKeyStoreError";
  }
}

/** Another provisioning of the same key store name is running: this one does nothing. */
export class ProvisionAlreadyRunningError extends ProvisionKeyStoreError {
  constructor(keyStoreName: string, executionArn: string) {
    super(`provision-key-store is already running for ${keyStoreName} (${executionArn}); this start does nothing`);
    this.name = "ProvisionAlreadyRunningError";
  }
}

/** The key store name belongs to a store on another cluster (CustomKeyStoreNameInUseException). */
export class KeyStoreNameInUseError extends ProvisionKeyStoreError {
  constructor(keyStoreName: string, customKeyStoreId: string) {
    super(
      `Invalid input: keyStoreName: ${keyStoreName} is already the name of custom key store ${customKeyStoreId} on another cluster; choose another name`,
    );
    this.name = "KeyStoreNameInUseError";
  }
}

/** The cluster is associated with another key store, or shares its backup history (CloudHsmClusterInUseException). */
export class ClusterInUseError extends ProvisionKeyStoreError {
  constructor(clusterId: string, detail: string) {
    super(`Cluster ${clusterId} cannot back a new key store: ${detail}`);
    this.name = "ClusterInUseError";
  }
}

/** The cluster is being deleted or is in a state provisioning cannot continue from. */
export class ClusterUnusableError extends ProvisionKeyStoreError {
  constructor(clusterId: string, state: string) {
    super(`Cluster ${clusterId} is ${state}; provisioning cannot continue with it`);
    this.name = "ClusterUnusableError";
  }
}

/** The certificates handed back for the cluster CSR are not usable; the message says why (never a key). */
export class CertificateRejectedError extends ProvisionKeyStoreError {
  constructor(message: string) {
    super(message);
    this.name = "CertificateRejectedError";
  }
}

/** The customer CA secret is missing or does not hold {certificate, privateKey}. */
export class CaSecretInvalidError extends ProvisionKeyStoreError {
  constructor(secretId: string, detail: string) {
    super(`Invalid input: ca.secretId: ${secretId} ${detail}`);
    this.name = "CaSecretInvalidError";
  }
}

/** The cluster was activated with an admin password this product does not hold. */
export class AdminPasswordUnknownError extends ProvisionKeyStoreError {
  constructor(clusterId: string, secretId: string) {
    super(
      `Cluster ${clusterId} is already activated but ${secretId} holds no admin password; store {"username":"admin","password":"..."} there and start again`,
    );
    this.name = "AdminPasswordUnknownError";
  }
}

/** HSMs keep coming up DEGRADED: replacing them again would not converge. */
export class HsmReplacementBudgetError extends ProvisionKeyStoreError {
  constructor(clusterId: string, replaced: number) {
    super(
      `Cluster ${clusterId}: ${replaced} DEGRADED HSMs were replaced and HSMs still degrade; check the AZs and open a support case`,
    );
    this.name = "HsmReplacementBudgetError";
  }
}

/** CreateCustomKeyStore refused the cluster or the trust anchor: the documented error, with the operator action. */
export class KeyStoreCreationRefusedError extends ProvisionKeyStoreError {
  constructor(code: string, action: string) {
    super(`CreateCustomKeyStore failed with ${code}: ${action}`);
    this.name = "KeyStoreCreationRefusedError";
  }
}

/** An adopted cluster past initialization needs what initialized it: its trust anchor and its admin credential. */
export class AdoptedClusterIncompleteError extends ProvisionKeyStoreError {
  constructor(clusterId: string, missing: string) {
    super(`Invalid input: clusterId: cluster ${clusterId} is already initialized; ${missing}, then start again`);
    this.name = "AdoptedClusterIncompleteError";
  }
}
