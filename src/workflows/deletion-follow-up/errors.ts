/** Named errors of the deletion-follow-up steps; each name is matched by a Retry or Catch in deletion-follow-up.asl.yml. */

/**
 * Base of deletion-follow-up's own errors: each subclass's `name` is the contract with a Catch or Retry in
 * statemachines/deletion-follow-up.asl.yml (set explicitly, since bundling may rename classes), and `cause` is kept.
 */
export class DeletionFollowUpError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DeletionFollowUpError";
  }
}

/** KMS has not deleted the key yet although its DeletionDate plus slack has passed: checked again later. */
export class KeyNotYetDeletedError extends DeletionFollowUpError {
  constructor(keyArn: string) {
    super(`KMS still has ${keyArn} pending deletion after its deletion date and slack`);
    this.name = "KeyNotYetDeletedError";
  }
}

/** The key is gone but the DeleteKey event's status has not been recorded yet: checked again shortly. */
export class DeletionStatusPendingError extends DeletionFollowUpError {
  constructor(keyArn: string) {
    super(`No DeleteKey status recorded yet for ${keyArn}`);
    this.name = "DeletionStatusPendingError";
  }
}
