/**
 * Keys being retired (the retire-key workflow): a retirement opens when the key is disabled, collects the attempted
 * uses of the key during its probation (followUpUses records them from CloudTrail), and ends when its deletion is
 * scheduled, or when it is kept. src/adapters/retirements.ts keeps it in the orphan register's table.
 */

/** One refused use of a retiring key, as CloudTrail named it. */
export type KeyUse = {
  /** CloudTrail's eventID: a redelivered event records nothing new. */
  eventId: string;
  caller: string;
  operation: string;
  at?: string;
  sourceIPAddress?: string;
};

export type RetirementState = "PROBATION" | "DELETION_SCHEDULED" | "KEPT";

export type Retirement = {
  keyArn: string;
  customKeyStoreId: string;
  /** The execution that owns it. */
  execution: string;
  startedAt: string;
  probationEndsAt: string;
  state: RetirementState;
  /** At most MAX_USES_KEPT, the first ones; `moreUses` says whether others were refused after them. */
  uses: KeyUse[];
  moreUses: boolean;
};

/** Uses kept per retirement: enough to name the callers, far below DynamoDB's 400 KB item. */
export const MAX_USES_KEPT = 20;

/** Another execution is retiring the key: one retirement per key at a time. */
export class RetirementInProgressError extends Error {
  constructor(
    keyArn: string,
    readonly execution: string,
  ) {
    super(`KMS key ${keyArn} is already being retired by execution ${execution}: follow or stop that one`);
    this.name = "RetirementInProgressError";
  }
}

export interface Retirements {
  /**
   * Opens the key's retirement in PROBATION, or returns this execution's own as stored (a retry: its probation end and
   * uses stay); throws RetirementInProgressError when another execution's retirement of the key is in PROBATION.
   */
  begin(retirement: Omit<Retirement, "state" | "uses" | "moreUses">): Promise<Retirement>;
  /**
   * Replaces the retirement in PROBATION that execution `from` opened, when that execution ended without finishing it
   * (stopped, failed, timed out); throws RetirementInProgressError when it is no longer `from`'s.
   */
  takeOver(retirement: Omit<Retirement, "state" | "uses" | "moreUses">, from: string): Promise<Retirement>;
  get(keyArn: string): Promise<Retirement | undefined>;
  /** Records a use while the key is in PROBATION; `not-retiring` otherwise. The same eventId twice records once. */
  recordUse(keyArn: string, use: KeyUse): Promise<"recorded" | "not-retiring">;
  /** Ends this execution's retirement; another execution's is left alone. */
  finish(keyArn: string, execution: string, state: Exclude<RetirementState, "PROBATION">): Promise<void>;
}
