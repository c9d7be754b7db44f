import type { HsmCredential, HsmKey } from "../../ports/hsm";
import type { KeyAnswer } from "../../ports/key-stores";
import type { Orphan } from "../../ports/orphan-register";
import { KEY_ARN } from "../../validation";
import { KMSUSER } from "../connect-key-store/model";
import { pendingPassword } from "../connect-key-store/steps";
import type { CleanupDeps } from "./deps";
import { DeletionNotVerifiedError, StoreChangedError } from "./errors";
import { type CallCounter, throttled } from "./kms-calls";
import { REPORT_LIMIT } from "./model";
import type { SweepInput } from "./step-inputs";

export type KeptKey = { reference: string; keyArn?: string; reason: string };

export type SweepReport = {
  hsmKeys: number;
  storeKeys: number;
  deleted: number;
  kept: number;
  notPresent: number;
  /** Candidates sighted for the first time without a KMS key: registered DISCOVERED, deleted in a later window. */
  discovered: number;
  /** KMS keys of the store whose material is not in the cluster under their label: the sweep then deletes nothing. */
  missingLive: number;
  held: boolean;
  deletedKeys: { keyArn: string; reference: string }[];
  keptKeys: KeptKey[];
  missingLiveKeys: string[];
  kmsCalls: number;
  throttled: number;
};

/** The ports of the sweep: every cleanup port but Step Functions, and the discovery quarantine. */
export type SweepDeps = Omit<CleanupDeps, "executions"> & {
  /** How long a label found without a KMS key stays on record before a later window may delete it. */
  quarantineMs: number;
};

/**
 * The maintenance-window step, with the store DISCONNECTED and kmsuser's password just set: lists kmsuser's keys and
 * deletes those whose KMS key is gone. The rules that keep live material safe:
 * - a key is a candidate only when it is one of kmsuser's own backing keys (isBackingKeyOf), its label is a KMS key
 *   ARN of this account and Region, absent from the scan's snapshot of the store's keys, and carried by no other key;
 * - if any KMS key of the store has no material under its label, labels cannot be trusted: nothing is deleted;
 * - a candidate is deleted only with positive evidence that its key is gone (evidenceOfDeletion) and DescribeKey
 *   answering NotFoundException right before the deletion; a first sighting is registered DISCOVERED, never deleted;
 * - right before the first deletion the store must still be DISCONNECTED and backed by the scanned cluster;
 * - deletion is by key-reference (one key), and every deletion is verified by listing again.
 * Orphans are registered before their deletion and resolved right after, so a failure mid-batch leaves the register
 * telling exactly which remain. kmsuser is logged out at the end whatever happens.
 */
export async function sweepOrphans(deps: SweepDeps, input: SweepInput): Promise<SweepReport> {
  const kmsuser: HsmCredential = { ...KMSUSER, password: await pendingPassword(deps, input) };
  try {
    return await sweepAs(deps, input, kmsuser);
  } finally {
    // Best effort: a session left open shows as USER_LOGGED_IN, which the connect workflow remediates.
    await deps.hsm.logout(input.clusterId, kmsuser).catch(() => undefined);
  }
}

async function sweepAs(deps: SweepDeps, input: SweepInput, kmsuser: HsmCredential): Promise<SweepReport> {
  const counter: CallCounter = { calls: 0, throttled: 0 };
  // The re-checks give up sooner than a listing: a key KMS cannot confirm gone is kept, not waited for.
  const recheck = throttled(deps.keyStores, counter, deps.sleep, { attempts: 4 });
  const at = () => deps.now().toISOString();
  const listed = await deps.hsm.listKeys(input.clusterId, kmsuser);
  const keys = listed.filter((key) => isBackingKeyOf(key, kmsuser.username));
  const live = await deps.orphans.readKeySnapshot(input.snapshot.id, input.snapshot.chunks);
  const open = await deps.orphans.listOpen(input.customKeyStoreId);
  const byLabel = new Map<string, HsmKey[]>();
  for (const key of keys) if (key.label) byLabel.set(key.label, [...(byLabel.get(key.label) ?? []), key]);

  // KMS keys of the store with no material under their label (re-checked: one deleted since the scan is fine).
  const missingLive: string[] = [];
  for (const arn of live) {
    if (byLabel.has(arn)) continue;
    const now = await recheck.describeKey(arn).catch(() => undefined);
    if (!now?.gone) missingLive.push(arn);
  }
  if (missingLive.length > 0) {
    await deps.alerts.publish({
      type: "KeyMaterialMissing",
      severity: "CRITICAL",
      message: `${missingLive.length} KMS key(s) of ${input.customKeyStoreId} have no key material under their label in cluster ${input.clusterId}: their ciphertexts cannot be decrypted unless the material is restored from a backup. The cleanup deleted nothing.`,
      customKeyStoreId: input.customKeyStoreId,
      clusterId: input.clusterId,
      details: { count: missingLive.length, first: missingLive[0] ?? "", execution: input.executionName },
    });
  }

  // Shared keys, public keys and anything not shaped like KMS's backing keys: never candidates, never live material.
  const kept: KeptKey[] = listed
    .filter((key) => !keys.includes(key))
    .map((key) => ({
      reference: key.reference,
      ...(key.label ? { keyArn: key.label } : {}),
      reason: "not a KMS backing key of kmsuser (owner, class or attributes differ)",
    }));
  const candidates: { key: HsmKey; keyArn: string }[] = [];
  for (const key of keys) {
    if (!key.label) {
      kept.push({ reference: key.reference, reason: "no label: not KMS key material" });
      continue;
    }
    if (live.has(key.label)) continue;
    const m = KEY_ARN.exec(key.label);
    if (!m || m[1] !== deps.region || m[2] !== deps.accountId) {
      kept.push({ reference: key.reference, reason: "label names no KMS key of this account and Region" });
      continue;
    }
    if ((byLabel.get(key.label) ?? []).length > 1) {
      kept.push({
        reference: key.reference,
        keyArn: key.label,
        reason: "several keys in the cluster share this label",
      });
      continue;
    }
    candidates.push({ key, keyArn: key.label });
  }

  // Registered orphans with no material under their label: gone already, unless their backing key id is found.
  const registered = new Map(open.map((o) => [o.keyArn, o]));
  let notPresent = 0;
  for (const orphan of open) {
    if (byLabel.has(orphan.keyArn)) continue;
    const byId = orphan.backingKeyId
      ? keys.find((k) => k.id && idForms(orphan.backingKeyId).includes(k.id))
      : undefined;
    if (byId) {
      kept.push({
        reference: byId.reference,
        keyArn: orphan.keyArn,
        reason: `material found by backing key id under another label (${byId.label ?? "none"}); resolve by hand`,
      });
      continue;
    }
    await deps.orphans.resolve(orphan.keyArn, {
      resolution: "NOT_PRESENT",
      at: at(),
      by: input.executionName,
    });
    notPresent++;
  }

  const deleted: { keyArn: string; reference: string }[] = [];
  let discovered = 0;
  let storeChecked = false;
  const keep = (c: (typeof candidates)[number], reason: string) =>
    kept.push({ reference: c.key.reference, keyArn: c.keyArn, reason });
  for (const c of candidates) {
    if (missingLive.length > 0) {
      keep(c, "held: live keys lack material under their label");
      continue;
    }
    if (deleted.length >= input.maxDeletes) {
      keep(c, "over maxDeletes: waits for the next window");
      continue;
    }
    const orphan = registered.get(c.keyArn);
    const evidence = await evidenceOfDeletion(deps, orphan, c.keyArn);
    // The re-check right before deleting: only NotFoundException says KMS no longer has the key, and KMS is
    // eventually consistent (a key minutes old may still answer it), so it is never enough on its own.
    let now: KeyAnswer;
    try {
      now = await recheck.describeKey(c.keyArn);
    } catch (error: unknown) {
      keep(c, `KMS could not confirm the key is gone (${(error as Error).name}); kept`);
      continue;
    }
    if (!now.gone) {
      if (orphan?.status === "DISCOVERED") {
        await deps.orphans.resolve(c.keyArn, {
          resolution: "KEY_EXISTS",
          at: at(),
          by: input.executionName,
        });
      }
      keep(c, `KMS has the key (${now.key.keyState})`);
      continue;
    }
    if (evidence.kind === "none") {
      // A first sighting: on record, deleted only if a later window still finds it gone after the quarantine.
      await registerDiscovered(deps, input, c.keyArn, at());
      discovered++;
      keep(c, `first sighting without a KMS key: quarantined for ${hours(deps.quarantineMs)} h before deletion`);
      continue;
    }
    if (evidence.kind === "quarantined") {
      keep(c, `sighted without a KMS key since ${evidence.since}: quarantined until ${evidence.until}`);
      continue;
    }
    if (!storeChecked) {
      await confirmStoreUnchanged(deps, input, counter);
      storeChecked = true;
    }
    // Register before deleting, so a failure mid-batch leaves every deleted candidate on record.
    if (!orphan) await registerDiscovered(deps, input, c.keyArn, at());
    await deps.hsm.deleteKey(input.clusterId, kmsuser, c.key.reference);
    deleted.push({ keyArn: c.keyArn, reference: c.key.reference });
    await deps.orphans.resolve(c.keyArn, {
      resolution: "DELETED",
      at: at(),
      by: input.executionName,
      hsmKeyReference: c.key.reference,
    });
  }

  if (deleted.length > 0) {
    const after = new Set((await deps.hsm.listKeys(input.clusterId, kmsuser)).map((k) => k.reference));
    const stillThere = deleted.filter((d) => after.has(d.reference));
    if (stillThere.length > 0) {
      for (const d of stillThere) await deps.orphans.reopen(d.keyArn, input.executionName);
      throw new DeletionNotVerifiedError(stillThere.map((d) => d.reference));
    }
  }

  return {
    hsmKeys: listed.length,
    storeKeys: live.size,
    deleted: deleted.length,
    kept: kept.length,
    notPresent,
    discovered,
    missingLive: missingLive.length,
    held: missingLive.length > 0,
    deletedKeys: deleted.slice(0, REPORT_LIMIT),
    keptKeys: kept.slice(0, REPORT_LIMIT),
    missingLiveKeys: missingLive.slice(0, REPORT_LIMIT),
    kmsCalls: counter.calls,
    throttled: counter.throttled,
  };
}

/**
 * A KMS backing key as KMS creates it: owned by kmsuser alone, an AES 256-bit secret key, a token key, not
 * extractable (KMS Developer Guide, find-handle-for-cmk-id; DOMAIN.md §3.1). `key list` also shows keys shared with
 * kmsuser and every public key of the cluster (CloudHSM User Guide, cloudhsm_cli-key-list): those are someone else's.
 * An attribute the listing did not show fails the test: absent is never taken as matching.
 */
export function isBackingKeyOf(key: HsmKey, owner: string): boolean {
  return (
    key.owners?.length === 1 &&
    key.owners[0]?.toLowerCase() === owner.toLowerCase() &&
    key.keyClass === "secret-key" &&
    key.keyType === "aes" &&
    key.lengthBytes === 32 &&
    key.token === true &&
    key.extractable === false
  );
}

type Evidence = { kind: "none" } | { kind: "proof" } | { kind: "quarantined"; since: string; until: string };

/**
 * Positive evidence that a label's KMS key is gone, besides KMS's answer right now: an orphan registered by a
 * follow-up from KMS's own deletion record; a DeleteKey record or `KMS CMK Deletion` event for the key; or an earlier
 * window's sighting (registered only after NotFoundException) at least the quarantine ago.
 */
async function evidenceOfDeletion(deps: SweepDeps, orphan: Orphan | undefined, keyArn: string): Promise<Evidence> {
  if (orphan && orphan.status !== "DISCOVERED") return { kind: "proof" };
  const status = await deps.orphans.deletionStatus(keyArn);
  if (status?.deleteKeyEventAt || status?.cmkDeletionAt) return { kind: "proof" };
  if (!orphan) return { kind: "none" };
  const until = new Date(Date.parse(orphan.foundAt) + deps.quarantineMs);
  if (!(until.getTime() <= deps.now().getTime())) {
    return { kind: "quarantined", since: orphan.foundAt, until: until.toISOString() };
  }
  return { kind: "proof" };
}

/** Right before the first deletion: the store is still DISCONNECTED and still backed by the cluster that was scanned. */
async function confirmStoreUnchanged(deps: SweepDeps, input: SweepInput, counter: CallCounter): Promise<void> {
  const store = await throttled(deps.keyStores, counter, deps.sleep).get(input.customKeyStoreId);
  if (store?.connectionState !== "DISCONNECTED" || store.clusterId !== input.clusterId) {
    throw new StoreChangedError(input.customKeyStoreId, input.clusterId, store?.connectionState, store?.clusterId);
  }
}

const hours = (ms: number) => Math.round((ms / 3_600_000) * 10) / 10;

/** The `attr.id` forms of a backingKeyId (DOMAIN.md §3.3 conflict): hex of its ASCII, and plain 0x-prefixed. */
export function idForms(backingKeyId: string | undefined): string[] {
  if (!backingKeyId) return [];
  return [`0x${Buffer.from(backingKeyId, "utf8").toString("hex")}`, `0x${backingKeyId}`.toLowerCase()];
}

async function registerDiscovered(deps: SweepDeps, input: SweepInput, keyArn: string, foundAt: string) {
  const orphan: Orphan = {
    keyArn,
    customKeyStoreId: input.customKeyStoreId,
    clusterId: input.clusterId,
    status: "DISCOVERED",
    foundAt,
    followUp: input.executionName,
  };
  await deps.orphans.register(orphan);
}
