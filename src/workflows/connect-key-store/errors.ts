/** Named errors of the connect-key-store steps; each name is matched by a Catch in connect-key-store.asl.yml. */

/**
 * Base of connect-key-store's own errors: each subclass's `name` is the contract with a Catch or Retry in
 * statemachines/connect-key-store.asl.yml (set explicitly, since bundling may rename classes), and `cause` is kept.
 */
export class ConnectKeyStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConnectKeyStoreError";
  }
}

export class KeyStoreNotFoundError extends ConnectKeyStoreError {
  constructor(customKeyStoreId: string) {
    super(`KMS has no custom key store ${customKeyStoreId} in this account and Region`);
    this.name = "KeyStoreNotFoundError";
  }
}

export class UnsupportedKeyStoreTypeError extends ConnectKeyStoreError {
  constructor(customKeyStoreId: string, type: string) {
    super(
      `Custom key store ${customKeyStoreId} is ${type}; connect-key-store rotates kmsuser passwords of AWS_CLOUDHSM key stores only`,
    );
    this.name = "UnsupportedKeyStoreTypeError";
  }
}

export class AdminSecretNotFoundError extends ConnectKeyStoreError {
  constructor(secretId: string) {
    super(
      `The admin secret ${secretId} does not exist or has no AWSCURRENT value; create it with {"username":"admin","password":"..."} (or pass adminSecretId)`,
    );
    this.name = "AdminSecretNotFoundError";
  }
}

/** The admin credential in the secret does not open the cluster: an operator must fix the secret. */
export class AdminCredentialsRejectedError extends ConnectKeyStoreError {
  constructor(secretId: string, detail: string) {
    super(`The cluster rejected the admin credential from ${secretId}: ${detail}`);
    this.name = "AdminCredentialsRejectedError";
  }
}

export class ConnectAlreadyRunningError extends ConnectKeyStoreError {
  constructor(customKeyStoreId: string, executionArn: string) {
    super(`connect-key-store is already running for ${customKeyStoreId} (${executionArn}); this start does nothing`);
    this.name = "ConnectAlreadyRunningError";
  }
}

/** kmsuser holds an open session whose password we do not hold: only whoever opened it can end it. */
export class KmsuserLoggedInElsewhereError extends ConnectKeyStoreError {
  constructor(clusterId: string) {
    super(
      `kmsuser is logged in to cluster ${clusterId} by a session this workflow cannot end; run 'logout' in that CloudHSM CLI session (or close it), then start connect-key-store again`,
    );
    this.name = "KmsuserLoggedInElsewhereError";
  }
}

/** The rotation's pending version vanished between steps (someone edited the secret): restart the workflow. */
export class PendingPasswordMissingError extends ConnectKeyStoreError {
  constructor(secretId: string, versionId: string) {
    super(`Secret ${secretId} has no version ${versionId}; the rotation must start again`);
    this.name = "PendingPasswordMissingError";
  }
}

/**
 * CloudHSM locks a user after five failed logins (KMS Developer Guide "fix-keystore", USER_LOCKED_OUT; DOMAIN.md
 * §2.1): an execution spends at most two, counted in its state across retries, then stops.
 */
export class LoginBudgetExhaustedError extends ConnectKeyStoreError {
  constructor(username: string, failedLogins: number, scope = "in this execution") {
    super(
      `${failedLogins} logins as ${username} already failed ${scope}; no more are tried, so ${username} cannot be locked out by us`,
    );
    this.name = "LoginBudgetExhaustedError";
  }
}

/** An orphan-cleanup window of the same store is running: one maintenance operation per store at a time. */
export class CleanupInProgressError extends ConnectKeyStoreError {
  constructor(customKeyStoreId: string, executionArn: string) {
    super(`orphan-cleanup is running for ${customKeyStoreId} (${executionArn}); this connect start does nothing`);
    this.name = "CleanupInProgressError";
  }
}
