import { randomBytes } from "node:crypto";
import type { z } from "zod";
import type { AccountContext } from "../account";
import { auditLogin, auditLogout, auditUserCommand, RESPONSES } from "../cloudhsm/audit-log";
import { checkPassword, setPassword } from "../cluster-users";
import { AwsServiceError, validation } from "../errors";
import { epochSeconds, newKeyStoreId } from "../ids";
import type { ClusterRecord } from "../model";
import type { CallRecord, Recorder } from "../protocol";
import { TIMING } from "../timing";
import {
  activeHsms,
  findCluster,
  getCluster,
  isActive,
  kmsuserOf,
  normalisePem,
  requireTwoActiveAzs,
  saveCluster,
} from "./clusters";
import {
  clusterInUse,
  clusterNotActive,
  clusterNotFound,
  clusterNotRelated,
  customKeyStoreHasCmks,
  customKeyStoreInvalidState,
  customKeyStoreNameInUse,
  customKeyStoreNotFound,
  incorrectTrustAnchor,
  limitExceeded,
  unsupportedOperation,
} from "./exceptions";
import { page } from "./paging";
import { KIND, listKeyStores, mustGetKeyStore, type StoredKeyStore } from "./records";
import type { DueTimes } from "./scheduler";
import type {
  CreateCustomKeyStoreInput,
  DescribeCustomKeyStoresInput,
  KeyStoreRefInput,
  UpdateCustomKeyStoreInput,
} from "./schemas";
import { defined } from "./trail";

/** Custom key stores per account and Region, all types and states (DOMAIN.md §7). */
export const MAX_CUSTOM_KEY_STORES = 10;

type Deps = { ctx: AccountContext; due: DueTimes };

/** CreateCustomKeyStore (DOMAIN.md §1.1): AWS_CLOUDHSM only; idempotent for a retry of a disconnected store. */
export function createCustomKeyStore({ ctx }: Deps, req: z.infer<typeof CreateCustomKeyStoreInput>, record: Recorder) {
  if (req.CustomKeyStoreType === "EXTERNAL_KEY_STORE") {
    throw unsupportedOperation(
      "The local account emulates AWS CloudHSM key stores only; EXTERNAL_KEY_STORE (XKS) key stores are not supported.",
    );
  }
  const clusterId = required(req.CloudHsmClusterId, "CloudHsmClusterId");
  const trustAnchor = required(req.TrustAnchorCertificate, "TrustAnchorCertificate");
  const password = required(req.KeyStorePassword, "KeyStorePassword");
  checkKeyStorePassword(password);

  const stores = listKeyStores(ctx);
  const retry = stores.find(
    (s) =>
      s.ConnectionState === "DISCONNECTED" &&
      s.CustomKeyStoreType === "AWS_CLOUDHSM" &&
      s.CustomKeyStoreName === req.CustomKeyStoreName &&
      s.CloudHsmClusterId === clusterId &&
      normalisePem(s.TrustAnchorCertificate) === normalisePem(trustAnchor) &&
      s.kmsuserPassword === password,
  );
  if (retry) {
    record({ responseElements: { customKeyStoreId: retry.CustomKeyStoreId } });
    return { CustomKeyStoreId: retry.CustomKeyStoreId };
  }
  if (stores.some((s) => s.CustomKeyStoreName === req.CustomKeyStoreName)) throw customKeyStoreNameInUse();
  if (stores.length >= MAX_CUSTOM_KEY_STORES) {
    throw limitExceeded(`An account can have at most ${MAX_CUSTOM_KEY_STORES} custom key stores in each Region.`);
  }
  const cluster = findCluster(ctx, clusterId);
  if (!cluster) throw clusterNotFound();
  if (!isActive(cluster)) throw clusterNotActive();
  requireUnused(ctx, cluster, stores);
  if (!cluster.trustAnchor || normalisePem(cluster.trustAnchor) !== normalisePem(trustAnchor)) {
    throw incorrectTrustAnchor();
  }
  requireTwoActiveAzs(cluster);

  const store: StoredKeyStore = {
    CustomKeyStoreId: newKeyStoreId(),
    CustomKeyStoreName: req.CustomKeyStoreName,
    CustomKeyStoreType: "AWS_CLOUDHSM",
    CloudHsmClusterId: clusterId,
    TrustAnchorCertificate: trustAnchor,
    ConnectionState: "DISCONNECTED",
    CreationDate: ctx.clock.now(),
    kmsuserPassword: password,
    everConnected: false,
    clusterLineage: cluster.lineage,
  };
  ctx.store.put(KIND.keyStore, store.CustomKeyStoreId, store);
  record({ responseElements: { customKeyStoreId: store.CustomKeyStoreId } });
  return { CustomKeyStoreId: store.CustomKeyStoreId };
}

/** DescribeCustomKeyStores (DOMAIN.md §1.2): one store by id or name, or all of them page by page. */
export function describeCustomKeyStores({ ctx }: Deps, req: z.infer<typeof DescribeCustomKeyStoresInput>) {
  if (req.CustomKeyStoreId !== undefined && req.CustomKeyStoreName !== undefined) {
    throw validation("You cannot specify both CustomKeyStoreId and CustomKeyStoreName. Specify one or neither.");
  }
  let stores = listKeyStores(ctx);
  if (req.CustomKeyStoreId !== undefined) stores = stores.filter((s) => s.CustomKeyStoreId === req.CustomKeyStoreId);
  if (req.CustomKeyStoreName !== undefined) {
    stores = stores.filter((s) => s.CustomKeyStoreName === req.CustomKeyStoreName);
  }
  if ((req.CustomKeyStoreId ?? req.CustomKeyStoreName) !== undefined && stores.length === 0) {
    throw customKeyStoreNotFound();
  }
  const { items, nextMarker } = page(stores, (s) => [s.CreationDate, s.CustomKeyStoreId], req.Limit, req.Marker);
  return defined({ CustomKeyStores: items.map(entry), NextMarker: nextMarker, Truncated: nextMarker !== undefined });
}

/**
 * ConnectCustomKeyStore (DOMAIN.md §1.3): returns at once; the store is CONNECTING until the simulated connect
 * duration has passed, then CONNECTED or FAILED (see `settleKeyStore`). An armed connect-error fault is taken now,
 * so it fires exactly once.
 */
export function connectCustomKeyStore({ ctx, due }: Deps, req: z.infer<typeof KeyStoreRefInput>, record: Recorder) {
  const store = mustGetKeyStore(ctx, req.CustomKeyStoreId);
  const state = store.ConnectionState;
  if (state === "DISCONNECTING" || state === "FAILED") throw customKeyStoreInvalidState();
  if (state === "DISCONNECTED") {
    const cluster = findCluster(ctx, store.CloudHsmClusterId);
    // Easily detected configuration errors fail fast and leave the store DISCONNECTED (DOMAIN.md §1.3); a deleted
    // cluster is only discovered by the connect attempt (CLUSTER_NOT_FOUND, §2.1).
    if (cluster && !isActive(cluster)) throw clusterNotActive();
    const fault = ctx.faults.take(
      "connect-error",
      (f) => !f.customKeyStoreId || f.customKeyStoreId === store.CustomKeyStoreId,
    );
    const dueAt = ctx.clock.now() + TIMING.keyStoreConnect;
    const next: StoredKeyStore = changed({ ...store, dueAt }, "CONNECTING", ctx.clock.now());
    delete next.ConnectionErrorCode;
    delete next.pendingOutcome;
    if (fault) next.pendingOutcome = { state: "FAILED", code: fault.connectionErrorCode };
    ctx.store.put(KIND.keyStore, next.CustomKeyStoreId, next);
    due.wake(dueAt);
  }
  record(storeData(store));
  return {};
}

/** DisconnectCustomKeyStore (DOMAIN.md §1.4): DISCONNECTING, then DISCONNECTED; also the way out of FAILED. */
export function disconnectCustomKeyStore({ ctx, due }: Deps, req: z.infer<typeof KeyStoreRefInput>, record: Recorder) {
  const store = mustGetKeyStore(ctx, req.CustomKeyStoreId);
  if (store.ConnectionState === "DISCONNECTING" || store.ConnectionState === "DISCONNECTED") {
    throw customKeyStoreInvalidState();
  }
  const dueAt = ctx.clock.now() + TIMING.keyStoreDisconnect;
  const next: StoredKeyStore = changed({ ...store, dueAt }, "DISCONNECTING", ctx.clock.now());
  delete next.ConnectionErrorCode;
  delete next.pendingOutcome;
  ctx.store.put(KIND.keyStore, next.CustomKeyStoreId, next);
  due.wake(dueAt);
  record(storeData(store));
  return {};
}

/**
 * UpdateCustomKeyStore (DOMAIN.md §1.5): the name while CONNECTED or DISCONNECTED; the password (which only tells
 * KMS what it is) and a related cluster only while DISCONNECTED.
 */
export function updateCustomKeyStore({ ctx }: Deps, req: z.infer<typeof UpdateCustomKeyStoreInput>, record: Recorder) {
  const store = mustGetKeyStore(ctx, req.CustomKeyStoreId);
  const xks = Object.keys(req).some((name) => name.startsWith("Xks"));
  if (xks) throw unsupportedOperation("XksProxy properties apply only to external key stores.");
  const { NewCustomKeyStoreName: name, KeyStorePassword: password, CloudHsmClusterId: clusterId } = req;
  if (name === undefined && password === undefined && clusterId === undefined) {
    throw validation("Specify at least one of NewCustomKeyStoreName, KeyStorePassword or CloudHsmClusterId.");
  }
  const needsDisconnected = password !== undefined || clusterId !== undefined;
  const allowed = needsDisconnected ? ["DISCONNECTED"] : ["DISCONNECTED", "CONNECTED"];
  if (!allowed.includes(store.ConnectionState)) throw customKeyStoreInvalidState();
  if (password !== undefined) checkKeyStorePassword(password);
  const others = listKeyStores(ctx).filter((s) => s.CustomKeyStoreId !== store.CustomKeyStoreId);
  if (name !== undefined && others.some((s) => s.CustomKeyStoreName === name)) throw customKeyStoreNameInUse();

  const next: StoredKeyStore = { ...store };
  if (clusterId !== undefined && clusterId !== store.CloudHsmClusterId) {
    const cluster = findCluster(ctx, clusterId);
    if (!cluster) throw clusterNotFound();
    const lineage = store.clusterLineage ?? getCluster(ctx, store.CloudHsmClusterId)?.lineage;
    if (cluster.lineage !== lineage) throw clusterNotRelated();
    if (!isActive(cluster)) throw clusterNotActive();
    requireUnused(ctx, cluster, others);
    requireTwoActiveAzs(cluster);
    next.CloudHsmClusterId = clusterId;
    next.clusterLineage = cluster.lineage;
  }
  if (name !== undefined) next.CustomKeyStoreName = name;
  if (password !== undefined) next.kmsuserPassword = password;
  ctx.store.put(KIND.keyStore, next.CustomKeyStoreId, next);
  record(storeData(next));
  return {};
}

/** DeleteCustomKeyStore (DOMAIN.md §1.6): only DISCONNECTED and empty; keys pending deletion still count. */
export function deleteCustomKeyStore({ ctx }: Deps, req: z.infer<typeof KeyStoreRefInput>, record: Recorder) {
  const store = mustGetKeyStore(ctx, req.CustomKeyStoreId);
  if (store.ConnectionState !== "DISCONNECTED") throw customKeyStoreInvalidState();
  if (ctx.store.count(KIND.key, { field: "CustomKeyStoreId", equals: store.CustomKeyStoreId }) > 0) {
    throw customKeyStoreHasCmks();
  }
  ctx.store.delete(KIND.keyStore, store.CustomKeyStoreId);
  record(storeData(store));
  return {};
}

/**
 * Settles a CONNECTING or DISCONNECTING store whose time has come. A connect checks what KMS checks, in order
 * (DOMAIN.md §2.1), logs in as kmsuser (a wrong password counts towards the lock-out) and then rotates the kmsuser
 * password to a value only KMS knows, holding the login while CONNECTED.
 */
export function settleKeyStore(ctx: AccountContext, store: StoredKeyStore): void {
  const at = store.dueAt ?? ctx.clock.now();
  let next: StoredKeyStore = { ...store };
  delete next.dueAt;
  delete next.pendingOutcome;
  delete next.ConnectionErrorCode;
  if (store.ConnectionState === "DISCONNECTING") {
    next.ConnectionState = "DISCONNECTED";
    const cluster = getCluster(ctx, store.CloudHsmClusterId);
    const kmsuser = cluster && kmsuserOf(cluster);
    if (cluster && kmsuser?.kmsSession === store.CustomKeyStoreId) {
      delete kmsuser.kmsSession;
      saveCluster(ctx, cluster);
      auditLogout(ctx, cluster, kmsuser);
    }
  } else if (store.ConnectionState === "CONNECTING") {
    const failure =
      store.pendingOutcome?.state === "FAILED" ? store.pendingOutcome.code : logIn(ctx, next, store.CloudHsmClusterId);
    if (failure) {
      next.ConnectionState = "FAILED";
      next.ConnectionErrorCode = failure;
    } else {
      next.ConnectionState = "CONNECTED";
      next.everConnected = true;
    }
  }
  next = changed(next, next.ConnectionState, at);
  ctx.store.put(KIND.keyStore, next.CustomKeyStoreId, next);
}

/** The store in `state` since `at`, remembered among its last state changes. */
function changed(store: StoredKeyStore, state: StoredKeyStore["ConnectionState"], at: number): StoredKeyStore {
  const change = { state, at, ...(store.ConnectionErrorCode ? { code: store.ConnectionErrorCode } : {}) };
  return { ...store, ConnectionState: state, stateChanges: [...(store.stateChanges ?? []), change].slice(-50) };
}

/** Returns the ConnectionErrorCode, or undefined after logging in and rotating the password (recorded in `store`). */
function logIn(ctx: AccountContext, store: StoredKeyStore, clusterId: string): string | undefined {
  const cluster = findCluster(ctx, clusterId);
  if (!cluster || cluster.State === "DELETE_IN_PROGRESS") return "CLUSTER_NOT_FOUND";
  if (activeHsms(cluster).length === 0) return "INSUFFICIENT_CLOUDHSM_HSMS";
  const kmsuser = kmsuserOf(cluster);
  if (!kmsuser) return "USER_NOT_FOUND";
  if (kmsuser.locked) return "USER_LOCKED_OUT";
  if (kmsuser.sessions > 0) return "USER_LOGGED_IN";
  const login = checkPassword(kmsuser, store.kmsuserPassword);
  auditLogin(ctx, cluster, kmsuser, login === "ok" ? RESPONSES.success : RESPONSES.loginFailure);
  if (login !== "ok") {
    saveCluster(ctx, cluster);
    return login === "locked" ? "USER_LOCKED_OUT" : "INVALID_CREDENTIALS";
  }
  const rotated = newKmsuserPassword();
  setPassword(kmsuser, rotated);
  auditUserCommand(ctx, cluster, "change-password", kmsuser);
  kmsuser.kmsSession = store.CustomKeyStoreId;
  saveCluster(ctx, cluster);
  store.kmsuserPassword = rotated;
  return undefined;
}

/** 32 alphanumeric characters: valid for both KMS (7–32) and CloudHSM (8–32, no ':') (DOMAIN.md §9.4). */
function newKmsuserPassword(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(32)].map((b) => alphabet[b % alphabet.length]).join("");
}

function entry(store: StoredKeyStore): Record<string, unknown> {
  return defined({
    CustomKeyStoreId: store.CustomKeyStoreId,
    CustomKeyStoreName: store.CustomKeyStoreName,
    CustomKeyStoreType: store.CustomKeyStoreType,
    CloudHsmClusterId: store.CloudHsmClusterId,
    TrustAnchorCertificate: store.TrustAnchorCertificate,
    ConnectionState: store.ConnectionState,
    ConnectionErrorCode: store.ConnectionState === "FAILED" ? store.ConnectionErrorCode : undefined,
    CreationDate: epochSeconds(store.CreationDate),
  });
}

/** A cluster serves one store, and so does every cluster sharing its backup history (DOMAIN.md §1.1). */
function requireUnused(ctx: AccountContext, cluster: ClusterRecord, stores: StoredKeyStore[]): void {
  const taken = stores.some(
    (s) =>
      s.CloudHsmClusterId === cluster.ClusterId ||
      (s.clusterLineage ?? getCluster(ctx, s.CloudHsmClusterId)?.lineage) === cluster.lineage,
  );
  if (taken) throw clusterInUse();
}

function required<T>(value: T | undefined, member: string): T {
  if (value === undefined) {
    throw validation(`${member} is required when CustomKeyStoreType is AWS_CLOUDHSM.`);
  }
  return value;
}

/** 7–32 characters; the value itself never goes into an error message or a record other than the key store. */
function checkKeyStorePassword(password: string): void {
  const bound =
    password.length < 7
      ? "Member must have length greater than or equal to 7"
      : password.length > 32
        ? "Member must have length less than or equal to 32"
        : undefined;
  if (bound) {
    throw new AwsServiceError(
      "ValidationException",
      `1 validation error detected: Value at 'keyStorePassword' failed to satisfy constraint: ${bound}`,
    );
  }
}

/** Connect, Disconnect, Update and Delete name the store and its cluster the same way (DOMAIN.md §5.1). */
function storeData(store: StoredKeyStore): Partial<CallRecord> {
  return { additionalEventData: { customKeyStoreName: store.CustomKeyStoreName, clusterId: store.CloudHsmClusterId } };
}
