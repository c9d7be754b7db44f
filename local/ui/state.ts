import type { Orphan } from "../../src/ports/orphan-register";
import { registeredWorkflows } from "../../src/workflows";
import type { AccountContext } from "../account/account";
import { CLUSTER } from "../account/cloudhsm/records";
import { type DeletedKeyRecord, effectiveState, KIND, type StoredKeyStore } from "../account/kms/records";
import type { ClusterRecord, KeyRecord } from "../account/model";
import { EXECUTION_KIND, type ExecutionRecord } from "../runtime/stepfunctions/executions";
import { readHistory } from "../runtime/stepfunctions/history";

/** How many of each list the page shows: the most recent, so a long-lived account stays quick to render. */
export const LIMITS = { executions: 20, deletedKeys: 10, stateChanges: 8, path: 24 } as const;

/** The orphan register's answer: its orphans, or why it could not be read (not deployed here, unreachable). */
export type OrphansResult = { orphans: Orphan[] } | { unavailable: string };
export type OrphanSource = () => Promise<OrphansResult>;

/** Everything the page shows, as plain data (also served as JSON); times are ISO strings on the simulated clock. */
export type PageState = {
  now: string;
  region: string;
  accountId: string;
  keyStores: {
    id: string;
    name: string;
    clusterId: string;
    connectionState: string;
    connectionErrorCode?: string;
    /** The last state changes, oldest first. */
    stateChanges: { state: string; at: string; code?: string }[];
  }[];
  clusters: {
    id: string;
    state: string;
    /** HSMs grouped by Availability Zone, zones in order. */
    zones: { zone: string; hsms: { id: string; state: string }[] }[];
  }[];
  /** Keys of custom key stores: pending deletions first (soonest first), then by creation. */
  keys: {
    id: string;
    keyStoreId: string;
    description: string;
    state: string;
    deletionDate?: string;
  }[];
  /** Keys of custom key stores that KMS deleted, most recent first. */
  deletedKeys: { id: string; keyStoreId: string; deletedAt: string; backingKeysDeletionStatus?: string }[];
  orphans: OrphansResult;
  /** The most recent executions, newest first. */
  executions: {
    workflow: string;
    name: string;
    status: string;
    startDate: string;
    stopDate?: string;
    /** The states entered, in order, repeats in a row counted once (`times`); the last LIMITS.path of them. */
    path: { state: string; times: number }[];
    /** How many (collapsed) states came before those in `path`. */
    pathOmitted: number;
    error?: string;
    cause?: string;
  }[];
};

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Reads the page's state from the account's own store, as the services keep it: no AWS call, nothing written. The
 * orphan register is the one thing outside the store (the runtime's DynamoDB); `orphans` reads it when there is one.
 */
export async function collectState(ctx: AccountContext, orphans?: OrphanSource): Promise<PageState> {
  const { store, clock, config } = ctx;
  const stores = store.list<StoredKeyStore>(KIND.keyStore);
  const byId = new Map(stores.map((s) => [s.CustomKeyStoreId, s]));
  const keys = store
    .list<KeyRecord>(KIND.key)
    .filter((k) => k.CustomKeyStoreId !== undefined)
    .map((k) => ({ record: k, state: effectiveState(ctx, k, byId.get(k.CustomKeyStoreId as string)) }))
    .sort(
      (a, b) =>
        Number(b.state === "PendingDeletion") - Number(a.state === "PendingDeletion") ||
        (a.record.DeletionDate ?? 0) - (b.record.DeletionDate ?? 0) ||
        a.record.CreationDate - b.record.CreationDate,
    );
  const deletedKeys = store
    .list<DeletedKeyRecord>(KIND.deletedKey)
    .filter((k) => k.CustomKeyStoreId !== undefined)
    .sort((a, b) => b.deletedAt - a.deletedAt)
    .slice(0, LIMITS.deletedKeys);
  return {
    now: iso(clock.now()),
    region: config.region,
    accountId: config.accountId,
    keyStores: stores.map((s) => ({
      id: s.CustomKeyStoreId,
      name: s.CustomKeyStoreName,
      clusterId: s.CloudHsmClusterId,
      connectionState: s.ConnectionState,
      ...(s.ConnectionState === "FAILED" && s.ConnectionErrorCode
        ? { connectionErrorCode: s.ConnectionErrorCode }
        : {}),
      stateChanges: (s.stateChanges ?? []).slice(-LIMITS.stateChanges).map((c) => ({
        state: c.state,
        at: iso(c.at),
        ...(c.code && c.state === "FAILED" ? { code: c.code } : {}),
      })),
    })),
    clusters: store
      .list<ClusterRecord>(CLUSTER)
      .filter((c) => c.State !== "DELETED")
      .map((c) => ({ id: c.ClusterId, state: c.State, zones: zonesOf(c) })),
    keys: keys.map(({ record, state }) => ({
      id: record.KeyId,
      keyStoreId: record.CustomKeyStoreId as string,
      description: record.Description,
      state,
      ...(state === "PendingDeletion" && record.DeletionDate !== undefined
        ? { deletionDate: iso(record.DeletionDate) }
        : {}),
    })),
    deletedKeys: deletedKeys.map((k) => ({
      id: k.KeyId,
      keyStoreId: k.CustomKeyStoreId as string,
      deletedAt: iso(k.deletedAt),
      ...(k.backingKeysDeletionStatus ? { backingKeysDeletionStatus: k.backingKeysDeletionStatus } : {}),
    })),
    orphans: orphans ? await orphans() : { unavailable: "no orphan register here: `npm start` runs one" },
    executions: recentExecutions(ctx),
  };
}

function zonesOf(cluster: ClusterRecord): PageState["clusters"][number]["zones"] {
  const zones = new Map<string, { id: string; state: string }[]>();
  for (const hsm of cluster.Hsms) {
    if (hsm.State === "DELETED") continue;
    zones.set(hsm.AvailabilityZone, [...(zones.get(hsm.AvailabilityZone) ?? []), { id: hsm.HsmId, state: hsm.State }]);
  }
  return [...zones].sort(([a], [b]) => a.localeCompare(b)).map(([zone, hsms]) => ({ zone, hsms }));
}

/** The registry's workflow name of a deployed state machine (`<service>-<stage>-<key>`), else the machine's name. */
function workflowOf(stateMachineArn: string): string {
  const machine = stateMachineArn.split(":").pop() ?? stateMachineArn;
  return registeredWorkflows().find((w) => machine.endsWith(`-${w.stateMachine}`))?.name ?? machine;
}

function recentExecutions(ctx: AccountContext): PageState["executions"] {
  return ctx.store
    .list<ExecutionRecord>(EXECUTION_KIND)
    .sort((a, b) => b.startDate - a.startDate)
    .slice(0, LIMITS.executions)
    .map((e) => {
      const { path, omitted } = pathOf(ctx, e.executionArn);
      return {
        workflow: workflowOf(e.stateMachineArn),
        name: e.name,
        status: e.status,
        startDate: iso(e.startDate),
        ...(e.stopDate !== undefined ? { stopDate: iso(e.stopDate) } : {}),
        path,
        pathOmitted: omitted,
        ...(e.error !== undefined ? { error: e.error } : {}),
        ...(e.cause !== undefined ? { cause: e.cause } : {}),
      };
    });
}

/**
 * The states an execution entered, from its history's `…StateEntered` events (Map and Parallel iterations too): the
 * last LIMITS.path of them, where it ended or is now, and how many came before those.
 */
function pathOf(
  ctx: AccountContext,
  executionArn: string,
): { path: { state: string; times: number }[]; omitted: number } {
  const path: { state: string; times: number }[] = [];
  for (const event of readHistory(ctx.store, executionArn)) {
    if (!event.type.endsWith("StateEntered")) continue;
    const state = (event.stateEnteredEventDetails as { name?: string } | undefined)?.name;
    if (state === undefined) continue;
    const last = path.at(-1);
    if (last?.state === state) last.times += 1;
    else path.push({ state, times: 1 });
  }
  const omitted = Math.max(0, path.length - LIMITS.path);
  return { path: path.slice(omitted), omitted };
}
