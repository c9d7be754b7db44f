import { createHash } from "node:crypto";
import { type CloudHSMV2Client, CreateHsmCommand, DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import {
  type CustomKeyStoresListEntry,
  DescribeCustomKeyStoresCommand,
  UpdateCustomKeyStoreCommand,
} from "@aws-sdk/client-kms";
import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { type EventsPort, publishAlert } from "../alerts";
import type { KmsPort } from "../key-stores";
import { type Hsm, type HsmCredential, HsmLoginFailedError, HsmUserLockedOutError } from "../ports/hsm";
import { SecretMalformedError, type SecretsStore } from "../ports/secrets";
import { parseOrThrow } from "../validation";
import {
  AdminCredentialsRejectedError,
  AdminSecretNotFoundError,
  ClusterNotFoundError,
  ConnectAlreadyRunningError,
  KeyStoreNotFoundError,
  KmsuserLoggedInElsewhereError,
  PendingPasswordMissingError,
  UnsupportedKeyStoreTypeError,
} from "./errors";
import {
  AdminSecretSchema,
  adminSecretName,
  ConnectInputSchema,
  KMSUSER,
  KmsuserSecretSchema,
  kmsuserSecretName,
  type PreparedStore,
} from "./model";
import { generatePassword } from "./password";

export type ConnectDeps = {
  kms: KmsPort;
  cloudhsm: Pick<CloudHSMV2Client, "send">;
  sfn: Pick<SFNClient, "send">;
  secrets: SecretsStore;
  hsm: Hsm;
  events: EventsPort;
  alertBusName: string;
  now: () => Date;
};

/** Which execution is asking, so a second execution for the same key store can refuse instead of racing. */
export type ExecutionRef = { executionArn: string; stateMachineArn: string };

/**
 * First step: checks the input and the key store, refuses a second execution for the same store, and makes sure the
 * kmsuser secret exists. Everything that can reject the input runs before anything is created.
 */
export async function prepareConnect(deps: ConnectDeps, input: unknown, self?: ExecutionRef): Promise<PreparedStore> {
  const req = parseOrThrow(ConnectInputSchema, input);
  const store = await cloudHsmStore(deps.kms, req.customKeyStoreId);
  const adminSecretId = req.adminSecretId ?? adminSecretName(req.customKeyStoreId);
  // Rotating needs the admin; watching someone else's connect needs it only to remediate, which it then skips.
  const canRemediate = (await deps.secrets.current(adminSecretId, { fresh: true })) !== undefined;
  if (req.mode === "rotate" && !canRemediate) throw new AdminSecretNotFoundError(adminSecretId);
  if (self) await refuseIfAnotherRuns(deps, req.customKeyStoreId, self);
  const kmsuserSecretId = await deps.secrets.ensure(
    kmsuserSecretName(req.customKeyStoreId),
    `kmsuser password of custom key store ${req.customKeyStoreId} (managed by keystore-autopilot connect-key-store)`,
  );
  return {
    customKeyStoreId: req.customKeyStoreId,
    clusterId: store.CloudHsmClusterId,
    kmsuserSecretId,
    adminSecretId,
    mode: req.mode,
    canRemediate,
  };
}

/**
 * The CloudHSM key store `customKeyStoreId` as KMS describes it, with its cluster id; KeyStoreNotFoundError or
 * UnsupportedKeyStoreTypeError (an XKS store) otherwise. Shared by the steps that act on a store's cluster.
 */
export async function cloudHsmStore(
  kms: KmsPort,
  customKeyStoreId: string,
): Promise<CustomKeyStoresListEntry & { CloudHsmClusterId: string }> {
  const out = await kms
    .send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: customKeyStoreId }))
    .catch((error: unknown) => {
      if ((error as Error).name === "CustomKeyStoreNotFoundException")
        throw new KeyStoreNotFoundError(customKeyStoreId);
      throw error;
    });
  const store = out.CustomKeyStores?.[0];
  if (!store) throw new KeyStoreNotFoundError(customKeyStoreId);
  const type = store.CustomKeyStoreType ?? "AWS_CLOUDHSM";
  if (type !== "AWS_CLOUDHSM" || !store.CloudHsmClusterId) {
    throw new UnsupportedKeyStoreTypeError(customKeyStoreId, type);
  }
  return store as CustomKeyStoresListEntry & { CloudHsmClusterId: string };
}

/** The RUNNING execution of this state machine for `customKeyStoreId`, other than `self`, that started first. */
export async function runningFor(
  sfn: Pick<SFNClient, "send">,
  stateMachineArn: string,
  customKeyStoreId: string,
): Promise<{ executionArn: string; startDate: number }[]> {
  const found: { executionArn: string; startDate: number }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING", maxResults: 100, nextToken }),
    );
    for (const e of page.executions ?? []) {
      if (!e.executionArn) continue;
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      let id: unknown;
      try {
        id = (JSON.parse(described.input ?? "{}") as { customKeyStoreId?: unknown }).customKeyStoreId;
      } catch {
        id = undefined;
      }
      if (id === customKeyStoreId && described.status === "RUNNING") {
        found.push({ executionArn: e.executionArn, startDate: new Date(e.startDate ?? 0).getTime() });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

async function refuseIfAnotherRuns(deps: ConnectDeps, customKeyStoreId: string, self: ExecutionRef): Promise<void> {
  const running = await runningFor(deps.sfn, self.stateMachineArn, customKeyStoreId);
  const mine = running.find((e) => e.executionArn === self.executionArn);
  const earlier = running.find(
    (e) =>
      e.executionArn !== self.executionArn &&
      (!mine || e.startDate < mine.startDate || (e.startDate === mine.startDate && e.executionArn < self.executionArn)),
  );
  if (earlier) throw new ConnectAlreadyRunningError(customKeyStoreId, earlier.executionArn);
}

type SecretRef = { kmsuserSecretId: string; versionId: string };

/**
 * Stores a fresh password as the secret's AWSPENDING version under `versionId`. Idempotent: when that version
 * exists (a retry, or a step that failed after the cluster password changed), it is kept, so every retry converges
 * on the same password.
 */
export async function stagePassword(deps: ConnectDeps, ref: SecretRef): Promise<{ versionId: string }> {
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

async function adminCredential(deps: ConnectDeps, adminSecretId: string): Promise<HsmCredential> {
  const raw = await deps.secrets.current(adminSecretId);
  if (raw === undefined) throw new AdminSecretNotFoundError(adminSecretId);
  // A plain string is the password of the user "admin".
  const parsed = raw.trim().startsWith("{")
    ? parseSecret(AdminSecretSchema, raw, adminSecretId)
    : { username: "admin", password: raw };
  return { username: parsed.username, role: "admin", password: parsed.password };
}

function parseSecret<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  raw: string,
  id: string,
): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new SecretMalformedError(`Secret ${id} is not JSON`);
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new SecretMalformedError(`Secret ${id} does not have the expected fields`);
  return result.data;
}

/**
 * Sets the pending password on kmsuser as admin (DOMAIN.md §2.3–2.4), creating kmsuser when it is missing
 * (USER_NOT_FOUND). A change by an admin also clears a lock-out (USER_LOCKED_OUT). Needs the store DISCONNECTED.
 */
export async function setKmsuserPassword(
  deps: ConnectDeps,
  ref: SecretRef & { clusterId: string; adminSecretId: string },
): Promise<{ kmsuserCreated: boolean; kmsuserWasLocked: boolean }> {
  const password = await pendingPassword(deps, ref);
  const admin = await adminCredential(deps, ref.adminSecretId);
  try {
    const users = await deps.hsm.listUsers(ref.clusterId, admin);
    const kmsuser = users.find((u) => u.username.toLowerCase() === KMSUSER.username);
    if (!kmsuser) {
      await deps.hsm.createUser(ref.clusterId, admin, KMSUSER, password);
      return { kmsuserCreated: true, kmsuserWasLocked: false };
    }
    await deps.hsm.changePassword(ref.clusterId, admin, KMSUSER, password);
    return { kmsuserCreated: false, kmsuserWasLocked: kmsuser.locked };
  } catch (error: unknown) {
    // The admin's own login failing is an operator problem, not kmsuser's: name it so ASL stops with the action.
    if (
      (error instanceof HsmLoginFailedError || error instanceof HsmUserLockedOutError) &&
      error.message.toLowerCase().includes(admin.username.toLowerCase())
    ) {
      throw new AdminCredentialsRejectedError(ref.adminSecretId, error.message);
    }
    throw error;
  }
}

/**
 * Tells KMS the password now set on kmsuser (UpdateCustomKeyStore KeyStorePassword, §1.5), then promotes the version
 * to AWSCURRENT. Both are idempotent, so a retry after either converges.
 */
export async function tellKms(
  deps: ConnectDeps,
  ref: SecretRef & { customKeyStoreId: string },
): Promise<{ versionId: string }> {
  const password = await pendingPassword(deps, ref);
  await deps.kms.send(
    new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: ref.customKeyStoreId, KeyStorePassword: password }),
  );
  await deps.secrets.promote(ref.kmsuserSecretId, ref.versionId);
  return { versionId: ref.versionId };
}

/**
 * USER_LOGGED_IN (§2.1, §2.4): logs kmsuser out with a password this product set (the pending one, then the current
 * one). At most two login attempts, so remediation cannot lock kmsuser out. When neither opens kmsuser, the session
 * belongs to someone else and only they can end it.
 */
export async function logoutKmsuser(
  deps: ConnectDeps,
  ref: { clusterId: string; kmsuserSecretId: string },
): Promise<{ loggedOut: true }> {
  const stages = await deps.secrets.stages(ref.kmsuserSecretId);
  const holder = (stage: string) => Object.entries(stages).find(([, s]) => s.includes(stage))?.[0];
  const candidates: string[] = [];
  for (const versionId of [holder("AWSPENDING"), holder("AWSCURRENT")]) {
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
    try {
      await deps.hsm.logout(ref.clusterId, { ...KMSUSER, password });
      return { loggedOut: true };
    } catch (error: unknown) {
      if (!(error instanceof HsmLoginFailedError)) throw error;
    }
  }
  throw new KmsuserLoggedInElsewhereError(ref.clusterId);
}

/**
 * INSUFFICIENT_CLOUDHSM_HSMS (§2.1): creates one HSM in an Availability Zone of the cluster that has none ACTIVE or
 * being created. Idempotent: an HSM being created counts, so a retry adds nothing. `hsmId` is absent when every AZ
 * already has one (the connect can simply be retried).
 */
export async function addHsm(
  deps: ConnectDeps,
  ref: { clusterId: string },
): Promise<{ hsmId?: string; availabilityZone?: string; state?: string }> {
  const cluster = await describeCluster(deps, ref.clusterId);
  const covered = new Map<string, { HsmId?: string; State?: string }>();
  for (const hsm of cluster.Hsms ?? []) {
    if ((hsm.State === "ACTIVE" || hsm.State === "CREATE_IN_PROGRESS") && hsm.AvailabilityZone) {
      covered.set(hsm.AvailabilityZone, hsm);
    }
  }
  const pending = [...covered.values()].find((h) => h.State === "CREATE_IN_PROGRESS");
  if (pending?.HsmId) return { hsmId: pending.HsmId, state: "CREATE_IN_PROGRESS" };
  const zone = Object.keys(cluster.SubnetMapping ?? {})
    .sort()
    .find((az) => !covered.has(az));
  if (!zone) return {};
  const out = await deps.cloudhsm.send(new CreateHsmCommand({ ClusterId: ref.clusterId, AvailabilityZone: zone }));
  return {
    ...(out.Hsm?.HsmId ? { hsmId: out.Hsm.HsmId } : {}),
    availabilityZone: zone,
    state: out.Hsm?.State ?? "CREATE_IN_PROGRESS",
  };
}

/** The state of one HSM, for the wait-until-ACTIVE loop. A missing HSM reads DELETED. */
export async function hsmState(
  deps: ConnectDeps,
  ref: { clusterId: string; hsmId: string },
): Promise<{ hsmId: string; state: string }> {
  const cluster = await describeCluster(deps, ref.clusterId);
  return { hsmId: ref.hsmId, state: cluster.Hsms?.find((h) => h.HsmId === ref.hsmId)?.State ?? "DELETED" };
}

async function describeCluster(deps: ConnectDeps, clusterId: string) {
  const out = await deps.cloudhsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
  const cluster = out.Clusters?.find((c) => c.ClusterId === clusterId && c.State !== "DELETED");
  if (!cluster) throw new ClusterNotFoundError(clusterId);
  return cluster;
}

/**
 * After CONNECTED: KMS has rotated kmsuser's password to one only it knows (§1.3), so the stored one no longer opens
 * kmsuser. A new AWSCURRENT version says so (no password in it). Idempotent per execution.
 */
export async function markRotatedByKms(
  deps: ConnectDeps,
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

/** A ClientRequestToken (UUID form, 36 characters) derived from a name, so a retried step reuses it. */
export function tokenFor(name: string): string {
  const h = createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The alert every failure path publishes: the named failure and its operator action; references only. */
export async function alertConnectFailed(
  deps: ConnectDeps,
  input: { customKeyStoreId: string; clusterId?: string; failure: string; action: string; executionName?: string },
): Promise<{ alerted: true }> {
  await publishAlert(deps.events, deps.alertBusName, {
    type: "ConnectFailed",
    severity: "CRITICAL",
    message: `connect-key-store stopped with ${input.failure}: ${input.action}`,
    customKeyStoreId: input.customKeyStoreId,
    ...(input.clusterId ? { clusterId: input.clusterId } : {}),
    details: { failure: input.failure, ...(input.executionName ? { execution: input.executionName } : {}) },
  });
  return { alerted: true };
}
