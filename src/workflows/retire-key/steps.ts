import type { Alert } from "../../ports/alerts";
import { type KeyUse, RetirementInProgressError } from "../../ports/retirements";
import type { RetireKeyDeps } from "./deps";
import {
  AlreadyPendingDeletionError,
  NotInCloudHsmKeyStoreError,
  RetireKeyNotFoundError,
  RetirementLostError,
} from "./errors";
import { DEFAULT_PENDING_WINDOW_DAYS, DEFAULT_PROBATION_DAYS } from "./input";
import type { BeginStep, RetirementStep } from "./step-inputs";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Step 1: opens the key's retirement, then disables the key. KMS advises disabling a key before deleting it, and
 * watching for attempts to use it (KMS Developer Guide, deleting-keys-creating-cloudwatch-alarm; docs/sources/
 * key-retirement.md): from here every use is refused, recorded by CloudTrail, and kept by followUpUses in the
 * retirement. The record comes first so that no refused use goes unrecorded, and a retry finds it as stored.
 */
export async function beginRetirement(
  deps: Pick<RetireKeyDeps, "keyStores" | "retirements" | "executions" | "now">,
  step: BeginStep,
): Promise<RetirementStep> {
  const { keyArn } = step.input;
  const found = await deps.keyStores.describeKey(keyArn);
  if (found.gone) throw new RetireKeyNotFoundError(keyArn);
  const { key } = found;
  if (key.origin !== "AWS_CLOUDHSM" || !key.customKeyStoreId) throw new NotInCloudHsmKeyStoreError(keyArn, key.origin);
  if (key.keyState === "PendingDeletion") throw new AlreadyPendingDeletionError(keyArn);
  const probationDays = step.input.probationDays ?? DEFAULT_PROBATION_DAYS;
  const now = deps.now();
  const opening = {
    keyArn,
    customKeyStoreId: key.customKeyStoreId,
    execution: step.execution,
    startedAt: now.toISOString(),
    probationEndsAt: new Date(now.getTime() + probationDays * DAY_MS).toISOString(),
  };
  // A retry gets the retirement as first stored: the same probation end.
  const { probationEndsAt } = await deps.retirements.begin(opening).catch(async (error: unknown) => {
    if (!(error instanceof RetirementInProgressError)) throw error;
    // An execution that ended (stopped, failed, timed out) without finishing its retirement holds the key no longer.
    const holder = `${step.stateMachineArn.replace(":stateMachine:", ":execution:")}:${error.execution}`;
    if ((await deps.executions.status(holder)) === "RUNNING") throw error;
    return deps.retirements.takeOver(opening, error.execution);
  });
  // DisableKey succeeds on a Disabled key, and on an Unavailable one it takes effect when the store reconnects.
  if (key.keyState !== "Disabled") await deps.keyStores.disableKey(keyArn);
  return {
    keyArn,
    customKeyStoreId: key.customKeyStoreId,
    execution: step.execution,
    probationEndsAt,
    pendingWindowInDays: step.input.pendingWindowInDays ?? DEFAULT_PENDING_WINDOW_DAYS,
    force: step.input.force ?? false,
  };
}

export type Decision =
  | { result: "DELETION_SCHEDULED"; keyArn: string; deletionDate: string; usesDuringProbation: number; forced: boolean }
  | { result: "USED_DURING_PROBATION"; keyArn: string; usesDuringProbation: number; callers: string[] }
  | { result: "KEPT"; keyArn: string; reason: string };

/**
 * Step 2, after the probation: schedules the deletion unless the key was used (or `force`), was enabled again by
 * someone, or is already scheduled. A use stops the retirement with the key still Disabled, and a
 * KeyUsedDuringProbation alert names the callers; the data stays recoverable. Safe to retry: the record says what was
 * decided, and ScheduleKeyDeletion on a key already pending deletion returns its date.
 */
export async function decideRetirement(
  deps: Pick<RetireKeyDeps, "keyStores" | "retirements" | "alerts">,
  step: RetirementStep,
): Promise<Decision> {
  const { keyArn, execution } = step;
  const retirement = await deps.retirements.get(keyArn);
  if (!retirement || retirement.execution !== execution) throw new RetirementLostError(keyArn, execution);
  const found = await deps.keyStores.describeKey(keyArn);
  if (found.gone) throw new RetireKeyNotFoundError(keyArn);
  const { key } = found;
  const uses = retirement.uses.length + (retirement.moreUses ? 1 : 0);
  if (key.keyState === "PendingDeletion" && key.deletionDate) {
    await deps.retirements.finish(keyArn, execution, "DELETION_SCHEDULED");
    return {
      result: "DELETION_SCHEDULED",
      keyArn,
      deletionDate: key.deletionDate.toISOString(),
      usesDuringProbation: retirement.uses.length,
      forced: step.force,
    };
  }
  if (key.keyState === "Enabled") {
    await deps.retirements.finish(keyArn, execution, "KEPT");
    return { result: "KEPT", keyArn, reason: "the key was enabled again during its probation" };
  }
  if (uses > 0 && !step.force) {
    await deps.alerts.publish(usedAlert(step, retirement.uses, retirement.moreUses));
    await deps.retirements.finish(keyArn, execution, "KEPT");
    return {
      result: "USED_DURING_PROBATION",
      keyArn,
      usesDuringProbation: retirement.uses.length,
      callers: callers(retirement.uses),
    };
  }
  const { deletionDate } = await deps.keyStores.scheduleKeyDeletion(keyArn, step.pendingWindowInDays);
  await deps.retirements.finish(keyArn, execution, "DELETION_SCHEDULED");
  return {
    result: "DELETION_SCHEDULED",
    keyArn,
    deletionDate: deletionDate.toISOString(),
    usesDuringProbation: retirement.uses.length,
    forced: step.force && uses > 0,
  };
}

const callers = (uses: KeyUse[]) => [...new Set(uses.map((u) => u.caller))];

function usedAlert(step: RetirementStep, uses: KeyUse[], more: boolean): Alert {
  const who = callers(uses);
  const first = uses[0];
  return {
    type: "KeyUsedDuringProbation",
    severity: "WARNING",
    message: `KMS key ${step.keyArn} was used during its retirement probation by ${who.join(", ")}${more ? " and others" : ""}: its deletion is not scheduled and it stays Disabled; retire it again with --force once nobody needs it, or enable it`,
    keyArn: step.keyArn,
    customKeyStoreId: step.customKeyStoreId,
    details: {
      execution: step.execution,
      uses: uses.length,
      moreUses: more,
      callers: who.join(","),
      ...(first ? { firstUse: `${first.operation} by ${first.caller}${first.at ? ` at ${first.at}` : ""}` } : {}),
    },
  };
}
