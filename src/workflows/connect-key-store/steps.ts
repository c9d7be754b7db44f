import { parseSecret, readAdminCredential } from "../../admin-credential";
import type { Alerts } from "../../ports/alerts";
import type { Executions } from "../../ports/executions";
import { type Hsm, type HsmCredential, HsmLoginFailedError, HsmUserLockedOutError } from "../../ports/hsm";
import type { KeyStores } from "../../ports/key-stores";
import type { LoginLedger } from "../../ports/login-ledger";
import { SecretMalformedError, type SecretsStore } from "../../ports/secrets";
import { tokenFor } from "../../tokens";
import {
  AdminCredentialsRejectedError,
  AdminSecretNotFoundError,
  KmsuserLoggedInElsewhereError,
  LoginBudgetExhaustedError,
  PendingPasswordMissingError,
} from "./errors";
import { KMSUSER, KmsuserSecretSchema } from "./model";
import { generatePassword } from "./password";

/**
 * Every port a connect-key-store step may use. Each step takes only the ones it calls (a Pick), and each function
 * wires only those, so a function loads just the SDK clients its role allows.
 */
export type ConnectDeps = {
  keyStores: KeyStores;
  /** Failed kmsuser logins across executions (src/ports/login-ledger.ts). */
  logins: LoginLedger;
  executions: Executions;
  secrets: SecretsStore;
  hsm: Hsm;
  alerts: Alerts;
  now: () => Date;
};

export type SecretRef = { kmsuserSecretId: string; versionId: string };

/**
 * Stores a fresh password as the secret's AWSPENDING version under `versionId`. Idempotent: when that version
 * exists (a retry, or a step that failed after the cluster password changed), it is kept, so every retry converges
 * on the same password.
 */
export async function stagePassword(
  deps: Pick<ConnectDeps, "secrets">,
  ref: SecretRef,
): Promise<{ versionId: string }> {
  if ((await deps.secrets.version(ref.kmsuserSecretId, ref.versionId)) === undefined) {
    const value = JSON.stringify({ username: KMSUSER.username, password: generatePassword() });
    await deps.secrets.put(ref.kmsuserSecretId, ref.versionId, value, ["AWSPENDING"]);
  }
  return { versionId: ref.versionId };
}

/** The password staged under `versionId` (the one just set on kmsuser); never logged, never returned by a step. */
export async function pendingPassword(deps: Pick<ConnectDeps, "secrets">, ref: SecretRef): Promise<string> {
  const raw = await deps.secrets.version(ref.kmsuserSecretId, ref.versionId);
  if (raw === undefined) throw new PendingPasswordMissingError(ref.kmsuserSecretId, ref.versionId);
  const parsed = parseSecret(KmsuserSecretSchema, raw, ref.kmsuserSecretId);
  if (!("password" in parsed))
    throw new SecretMalformedError(`Version ${ref.versionId} of ${ref.kmsuserSecretId} holds no password`);
  return parsed.password;
}

async function adminCredential(deps: Pick<ConnectDeps, "secrets">, adminSecretId: string): Promise<HsmCredential> {
  const admin = await readAdminCredential(deps.secrets, adminSecretId);
  if (!admin) throw new AdminSecretNotFoundError(adminSecretId);
  return admin;
}

/**
 * Before a CONNECTED store is disconnected: proves the admin secret is readable and the CLI reaches the cluster
 * (`user list`, CloudHSM User Guide "cloudhsm_cli-user-list"), so a broken path stops the rotation while the store
 * still serves. Run as the admin the rotation will use, so a rejected admin also stops it here; that failed login ends
 * the execution, so the admin's budget holds.
 */
export async function checkHsmPath(
  deps: Pick<ConnectDeps, "secrets" | "hsm">,
  ref: { clusterId: string; adminSecretId: string },
): Promise<{ checked: true }> {
  const admin = await adminCredential(deps, ref.adminSecretId);
  try {
    await deps.hsm.listUsers(ref.clusterId, admin);
  } catch (error: unknown) {
    throw adminRejected(error, admin, ref.adminSecretId);
  }
  return { checked: true };
}

/** The admin's own login failing is an operator problem, not kmsuser's: named so ASL stops with the action. */
function adminRejected(error: unknown, admin: HsmCredential, adminSecretId: string): unknown {
  if (
    (error instanceof HsmLoginFailedError || error instanceof HsmUserLockedOutError) &&
    error.message.toLowerCase().includes(admin.username.toLowerCase())
  ) {
    return new AdminCredentialsRejectedError(adminSecretId, error.message);
  }
  return error;
}

/**
 * Sets the pending password on kmsuser as admin (DOMAIN.md §2.3–2.4), creating kmsuser when it is missing
 * (USER_NOT_FOUND). A change by an admin also clears a lock-out (USER_LOCKED_OUT). Needs the store DISCONNECTED.
 */
export async function setKmsuserPassword(
  deps: Pick<ConnectDeps, "secrets" | "hsm" | "logins">,
  ref: SecretRef & { clusterId: string; adminSecretId: string },
): Promise<{ kmsuserCreated: boolean; kmsuserWasLocked: boolean }> {
  const password = await pendingPassword(deps, ref);
  const admin = await adminCredential(deps, ref.adminSecretId);
  let result: { kmsuserCreated: boolean; kmsuserWasLocked: boolean };
  try {
    const users = await deps.hsm.listUsers(ref.clusterId, admin);
    const kmsuser = users.find((u) => u.username.toLowerCase() === KMSUSER.username);
    if (!kmsuser) {
      await deps.hsm.createUser(ref.clusterId, admin, KMSUSER, password);
      result = { kmsuserCreated: true, kmsuserWasLocked: false };
    } else {
      await deps.hsm.changePassword(ref.clusterId, admin, KMSUSER, password);
      result = { kmsuserCreated: false, kmsuserWasLocked: kmsuser.locked };
    }
  } catch (error: unknown) {
    throw adminRejected(error, admin, ref.adminSecretId);
  }
  // A new password unlocks kmsuser and starts its count of failed logins afresh.
  await deps.logins.clear(ref.clusterId, KMSUSER.username);
  return result;
}

/** Failed logins one execution may spend per user; CloudHSM locks a user after five (DOMAIN.md §2.1). */
export const LOGIN_BUDGET = 2;
/** Failed kmsuser logins all executions may spend until its password is set again: two of the five stay for people. */
export const ACCOUNT_LOGIN_BUDGET = 3;

/**
 * USER_LOGGED_IN (§2.1, §2.4): logs kmsuser out with a password this product set. The one the cluster most likely
 * holds goes first: the pending one when this round changed the password (`passwordChanged`), else the current one
 * (a change refused because kmsuser was logged in set nothing), so a refused change spends no failed login.
 * `failedLogins` is what earlier invocations of this execution spent (carried in the execution state); the step
 * tries only while fewer than LOGIN_BUDGET failed and returns the new count, so retries cannot lock kmsuser out.
 * When no password opens kmsuser, the session belongs to someone else and only they can end it.
 */
export async function logoutKmsuser(
  deps: Pick<ConnectDeps, "secrets" | "hsm" | "logins">,
  ref: { clusterId: string; kmsuserSecretId: string; failedLogins?: number; passwordChanged?: boolean },
): Promise<{ loggedOut: true; failedLogins: number }> {
  let failedLogins = ref.failedLogins ?? 0;
  if (failedLogins >= LOGIN_BUDGET) throw new LoginBudgetExhaustedError(KMSUSER.username, failedLogins);
  const stages = await deps.secrets.stages(ref.kmsuserSecretId);
  const holder = (stage: string) => Object.entries(stages).find(([, s]) => s.includes(stage))?.[0];
  const order = ref.passwordChanged === false ? ["AWSCURRENT", "AWSPENDING"] : ["AWSPENDING", "AWSCURRENT"];
  const candidates: string[] = [];
  for (const versionId of order.map(holder)) {
    if (!versionId) continue;
    const raw = await deps.secrets.version(ref.kmsuserSecretId, versionId);
    if (raw === undefined) continue;
    try {
      const parsed = KmsuserSecretSchema.safeParse(JSON.parse(raw));
      if (parsed.success && "password" in parsed.data && !candidates.includes(parsed.data.password)) {
        candidates.push(parsed.data.password);
      }
    } catch {
      // Not ours: skip it.
    }
  }
  for (const password of candidates) {
    if (failedLogins >= LOGIN_BUDGET) throw new LoginBudgetExhaustedError(KMSUSER.username, failedLogins);
    // Counted before the try, so a crash after a failed login cannot hide it from the next execution; refunded when
    // the login works. An error that may hide a login keeps it counted.
    const spent = await deps.logins.add(ref.clusterId, KMSUSER.username, 1);
    if (spent > ACCOUNT_LOGIN_BUDGET) {
      await deps.logins.add(ref.clusterId, KMSUSER.username, -1);
      throw new LoginBudgetExhaustedError(KMSUSER.username, spent - 1, "since its password was last set");
    }
    try {
      await deps.hsm.logout(ref.clusterId, { ...KMSUSER, password });
    } catch (error: unknown) {
      if (!(error instanceof HsmLoginFailedError)) throw error;
      failedLogins += 1;
      continue;
    }
    await deps.logins.add(ref.clusterId, KMSUSER.username, -1);
    return { loggedOut: true, failedLogins };
  }
  throw new KmsuserLoggedInElsewhereError(ref.clusterId);
}

/**
 * After CONNECTED: KMS has rotated kmsuser's password to one only it knows (§1.3), so the stored one no longer opens
 * kmsuser. A new AWSCURRENT version says so (no password in it). Idempotent per execution.
 */
export async function markRotatedByKms(
  deps: Pick<ConnectDeps, "secrets" | "now">,
  ref: { kmsuserSecretId: string; executionName: string },
): Promise<{ versionId: string }> {
  const versionId = tokenFor(`${ref.executionName}/rotated-by-kms`);
  const value = JSON.stringify({
    username: KMSUSER.username,
    state: "ROTATED_BY_KMS",
    rotatedAt: deps.now().toISOString(),
  });
  if ((await deps.secrets.version(ref.kmsuserSecretId, versionId)) === undefined) {
    await deps.secrets.put(ref.kmsuserSecretId, versionId, value, ["AWSCURRENT"]);
  }
  return { versionId };
}
