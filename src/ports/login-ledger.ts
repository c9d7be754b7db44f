/**
 * Failed logins of a cluster user that no password change has cleared, kept across executions. CloudHSM locks a
 * user after five incorrect logins and documents no reset on a right one ("loginHSM and logoutHSM", CloudHSM User
 * Guide), so a budget per execution alone lets repeated executions lock kmsuser out.
 */
export interface LoginLedger {
  /** Adds `delta` to the user's count and returns the new count. */
  add(clusterId: string, username: string, delta: 1 | -1): Promise<number>;
  /** Forgets the count: a password change is what unlocks a user (same page: a CO resets the password). */
  clear(clusterId: string, username: string): Promise<void>;
}
