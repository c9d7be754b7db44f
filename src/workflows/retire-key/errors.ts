/** Base of retire-key's own errors: the name is the contract with the ASL's Catch, `cause` is kept. */
export class RetireKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RetireKeyError";
  }
}

/** KMS does not know the key (DescribeKey: NotFoundException). */
export class RetireKeyNotFoundError extends RetireKeyError {
  constructor(keyArn: string) {
    super(`KMS key ${keyArn} does not exist in this account and Region`);
    this.name = "RetireKeyNotFoundError";
  }
}

/** The product retires keys of CloudHSM key stores only, whose material it can follow to its end. */
export class NotInCloudHsmKeyStoreError extends RetireKeyError {
  constructor(keyArn: string, origin: string | undefined) {
    super(
      `KMS key ${keyArn} is not in a CloudHSM key store (Origin ${origin ?? "unknown"}): retire it with KMS directly`,
    );
    this.name = "NotInCloudHsmKeyStoreError";
  }
}

/** Its deletion is scheduled already: its deletion follow-up is the one following it. */
export class AlreadyPendingDeletionError extends RetireKeyError {
  constructor(keyArn: string) {
    super(`KMS key ${keyArn} is already pending deletion: keystore-autopilot status shows its deletion follow-up`);
    this.name = "AlreadyPendingDeletionError";
  }
}

/** This execution's retirement record is gone or another's: nothing it decides would be its own. */
export class RetirementLostError extends RetireKeyError {
  constructor(keyArn: string, execution: string) {
    super(`The retirement of ${keyArn} is no longer execution ${execution}'s: see the retirement record`);
    this.name = "RetirementLostError";
  }
}
