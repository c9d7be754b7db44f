/** Named errors of the orphan-cleanup steps; each name is matched by a Catch in orphan-cleanup.asl.yml. */

/**
 * Base of orphan-cleanup's own errors: each subclass's `name` is the contract with a Catch or Retry in
 * statemachines/orphan-cleanup.asl.yml (set explicitly, since bundling may rename classes), and `cause` is kept.
 */
export class OrphanCleanupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "OrphanCleanupError";
  }
}

export class CleanupAlreadyRunningError extends OrphanCleanupError {
  constructor(customKeyStoreId: string, executionArn: string) {
    super(`Another orphan-cleanup (${executionArn}) is running for ${customKeyStoreId}; one window per key store`);
    this.name = "CleanupAlreadyRunningError";
  }
}

export class ConnectInProgressError extends OrphanCleanupError {
  constructor(customKeyStoreId: string, executionArn: string) {
    super(
      `connect-key-store (${executionArn}) is running for ${customKeyStoreId}; start the cleanup after it ends so the two do not fight over the connection`,
    );
    this.name = "ConnectInProgressError";
  }
}

/** The approval was refused (`keystore-autopilot approve --deny` or an operator event). */
export class ApprovalDeniedError extends OrphanCleanupError {
  constructor(reason: string) {
    super(reason);
    this.name = "ApprovalDeniedError";
  }
}

/** `approve` was asked for an execution that is not waiting for an approval. */
export class NotAwaitingApprovalError extends OrphanCleanupError {
  constructor(executionArn: string, why: string) {
    super(`${executionArn} is not waiting for an approval: ${why}`);
    this.name = "NotAwaitingApprovalError";
  }
}

/** A key the sweep deleted is still listed afterwards: reported, never retried blindly. */
export class DeletionNotVerifiedError extends OrphanCleanupError {
  constructor(references: string[]) {
    super(`The cluster still lists ${references.length} key(s) reported deleted: ${references.join(", ")}`);
    this.name = "DeletionNotVerifiedError";
  }
}

/** The store was reconnected, or re-pointed at another cluster, between the window's disconnect and a deletion. */
export class StoreChangedError extends OrphanCleanupError {
  constructor(
    customKeyStoreId: string,
    clusterId: string,
    state: string | undefined,
    nowClusterId: string | undefined,
  ) {
    super(
      `Key store ${customKeyStoreId} is ${state ?? "not described"} with cluster ${nowClusterId ?? "none"}; the window disconnected it from ${clusterId}. Nothing was deleted after this check: run the cleanup again once no other operation works on the store`,
    );
    this.name = "StoreChangedError";
  }
}
