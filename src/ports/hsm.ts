/**
 * Port: users inside a CloudHSM cluster, as the CloudHSM CLI manages them (DOMAIN.md §2.3–2.4, §3.4). Passwords go in
 * as arguments and never come back out, in results or in errors.
 */
export type HsmRole = "admin" | "crypto-user";

/** Who runs a command: CLOUDHSM_ROLE and CLOUDHSM_PIN=<username>:<password> in single-command mode. */
export type HsmCredential = { username: string; role: HsmRole; password: string };

export type HsmUser = { username: string; role: string; locked: boolean };

/**
 * A key as `key list --verbose` shows it to the caller: its own keys, keys shared with it, and every public key of the
 * cluster (CloudHSM User Guide, cloudhsm_cli-key-list.html). KMS writes the KMS key ARN into `label` (DOMAIN.md §3.1).
 * Attributes the output did not carry are absent, never guessed.
 */
export type HsmKey = {
  reference: string;
  label?: string;
  id?: string;
  /** `key-info.key-owners[].username`. */
  owners?: string[];
  /** `key-info.shared-users[].username`. */
  sharedWith?: string[];
  /** `attributes.class`: secret-key, public-key, private-key. */
  keyClass?: string;
  /** `attributes.key-type`: aes, rsa, ec, ... */
  keyType?: string;
  token?: boolean;
  extractable?: boolean;
  lengthBytes?: number;
};

export interface Hsm {
  /**
   * `user list`: every user of the cluster, with its lock state. "You do not need to be logged in to CloudHSM CLI to
   * run this command" (cloudhsm_cli-user-list.html); a credential given is still checked by the HSM.
   */
  listUsers(clusterId: string, as?: HsmCredential): Promise<HsmUser[]>;
  /** `user change-password` as admin: sets a user's password without knowing the old one; clears a lock-out. */
  changePassword(
    clusterId: string,
    as: HsmCredential,
    user: { username: string; role: HsmRole },
    password: string,
  ): Promise<void>;
  /** `user create` as admin. */
  createUser(
    clusterId: string,
    as: HsmCredential,
    user: { username: string; role: HsmRole },
    password: string,
  ): Promise<void>;
  /** `logout` as `user`: ends the sessions the user left open (single-command mode `login` keeps one). */
  logout(clusterId: string, user: HsmCredential): Promise<void>;
  /**
   * `key list --verbose`, every page: the keys `as` may see. Fails with HsmListingInconsistentError when the pages do
   * not add up to the `total_key_count` they report.
   */
  listKeys(clusterId: string, as: HsmCredential): Promise<HsmKey[]>;
  /** `key delete --filter key-reference=…` as the key's owner: exactly one key, by its unique reference. */
  deleteKey(clusterId: string, as: HsmCredential, keyReference: string): Promise<void>;
  // --- provision-key-store ---
  /** `cluster activate` on an INITIALIZED cluster: sets the admin password (DOMAIN.md §6). No login needed. */
  activateCluster(clusterId: string, adminPassword: string): Promise<void>;
  /** `user list` as admin: how far `username` is replicated ("full" on every HSM), or "missing". */
  userCoverage(clusterId: string, as: HsmCredential, username: string): Promise<string>;
}

/** Base of the errors the Hsm adapter raises; each subclass name is an ASL Retry/Catch contract. */
export class HsmError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HsmError";
  }
}

/** The login of the calling user failed (wrong password); the message says which user, never the password. */
export class HsmLoginFailedError extends HsmError {
  constructor(message: string) {
    super(message);
    this.name = "HsmLoginFailedError";
  }
}

/** The user is locked out after too many failed logins; an admin must reset its password. */
export class HsmUserLockedOutError extends HsmError {
  constructor(message: string) {
    super(message);
    this.name = "HsmUserLockedOutError";
  }
}

/** The user is logged in (by a CLI session, or by KMS while the store is connected), so it cannot be changed. */
export class HsmUserLoggedInError extends HsmError {
  constructor(message: string) {
    super(message);
    this.name = "HsmUserLoggedInError";
  }
}

export class HsmUserNotFoundError extends HsmError {
  constructor(message: string) {
    super(message);
    this.name = "HsmUserNotFoundError";
  }
}

export class HsmUserExistsError extends HsmError {
  constructor(message: string) {
    super(message);
    this.name = "HsmUserExistsError";
  }
}

/** The CLI cannot reach an ACTIVE HSM (none in the cluster, or the network): retry later or add an HSM. */
export class HsmUnavailableError extends HsmError {
  constructor(message: string) {
    super(message);
    this.name = "HsmUnavailableError";
  }
}

export class HsmClusterNotFoundError extends HsmError {
  constructor(message: string) {
    super(message);
    this.name = "HsmClusterNotFoundError";
  }
}

/** A listing whose pages do not add up (`total_key_count` changed or disagrees): nothing can be decided from it. */
export class HsmListingInconsistentError extends HsmError {
  constructor(message: string) {
    super(message);
    this.name = "HsmListingInconsistentError";
  }
}

/** Any other `error_code: 1` answer, or output that is not the documented JSON. */
export class HsmCommandError extends HsmError {
  constructor(message: string) {
    super(message);
    this.name = "HsmCommandError";
  }
}

/**
 * The CLI process itself did not get an answer from the cluster: it could not be started (ENOENT, EACCES), it timed
 * out, or it reported a network or TLS failure. Says nothing about the cluster's HSMs, so it never leads to adding one
 * (only KMS's INSUFFICIENT_CLOUDHSM_HSMS does).
 */
export class HsmPathUnavailableError extends HsmError {
  constructor(message: string) {
    super(message);
    this.name = "HsmPathUnavailableError";
  }
}
