import { publishAlert } from "../alerts";
import { KMSUSER } from "../connect/model";
import { pendingPassword } from "../connect/steps";
import { listOpenOrphans, type Orphan, readKeySnapshot, registerOrphan, reopenOrphan, resolveOrphan } from "../orphans";
import type { HsmCredential, HsmKey } from "../ports/hsm";
import type { CleanupDeps } from "./deps";
import { DeletionNotVerifiedError } from "./errors";
import { type CallCounter, describeKey } from "./kms-calls";
import { KEY_ARN_LABEL, REPORT_LIMIT } from "./model";

export type SweepInput = {
  customKeyStoreId: string;
  clusterId: string;
  kmsuserSecretId: string;
  /** The secret version whose password was just set on kmsuser (the window's password). */
  versionId: string;
  snapshot: { id: string; chunks: number };
  maxDeletes: number;
  executionName: string;
};

export type KeptKey = { reference: string; keyArn?: string; reason: string };

export type SweepReport = {
  hsmKeys: number;
  storeKeys: number;
  deleted: number;
  kept: number;
  notPresent: number;
  /** KMS keys of the store whose material is not in the cluster under their label: the sweep then deletes nothing. */
  missingLive: number;
  held: boolean;
  deletedKeys: { keyArn: string; reference: string }[];
  keptKeys: KeptKey[];
  missingLiveKeys: string[];
  kmsCalls: number;
  throttled: number;
};

/**
 * The maintenance-window step, with the store DISCONNECTED and kmsuser's password just set: lists kmsuser's keys and
 * deletes those whose label names a KMS key that KMS no longer has. The rules that keep live material safe:
 * - a key is a candidate only when its label is a KMS key ARN of this account and Region, absent from the scan's
 *   snapshot of the store's keys, and carried by no other key of the cluster;
 * - if any KMS key of the store has no material under its label, labels cannot be trusted: nothing is deleted;
 * - right before each deletion DescribeKey must answer NotFoundException — an error or throttling keeps the key;
 * - deletion is by key-reference (one key), and every deletion is verified by listing again.
 * Orphans are registered before any deletion and resolved right after each, so a failure mid-batch leaves the
 * register telling exactly which remain. kmsuser is logged out at the end whatever happens.
 */
/** The ports of the sweep: every cleanup port but Step Functions. */
export type SweepDeps = Omit<CleanupDeps, "sfn">;

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
  const at = () => deps.now().toISOString();
  const keys = await deps.hsm.listKeys(input.clusterId, kmsuser);
  const live = await readKeySnapshot(deps.db, deps.table, input.snapshot.id, input.snapshot.chunks);
  const open = await listOpenOrphans(deps.db, deps.table, input.customKeyStoreId);
  const byLabel = new Map<string, HsmKey[]>();
  for (const key of keys) if (key.label) byLabel.set(key.label, [...(byLabel.get(key.label) ?? []), key]);

  // KMS keys of the store with no material under their label (re-checked: one deleted since the scan is fine).
  const missingLive: string[] = [];
  for (const arn of live) {
    if (byLabel.has(arn)) continue;
    const now = await describeKey(deps.kms, arn, counter, deps.sleep, { attempts: 4 }).catch(() => undefined);
    if (!now?.gone) missingLive.push(arn);
  }
  if (missingLive.length > 0) {
    await publishAlert(deps.events, deps.alertBusName, {
      type: "KeyMaterialMissing",
      severity: "CRITICAL",
      message: `${missingLive.length} KMS key(s) of ${input.customKeyStoreId} have no key material under their label in cluster ${input.clusterId}: their ciphertexts cannot be decrypted unless the material is restored from a backup. The cleanup deleted nothing.`,
      customKeyStoreId: input.customKeyStoreId,
      clusterId: input.clusterId,
      details: { count: missingLive.length, first: missingLive[0] ?? "", execution: input.executionName },
    });
  }

  const kept: KeptKey[] = [];
  const candidates: { key: HsmKey; keyArn: string }[] = [];
  for (const key of keys) {
    if (!key.label) {
      kept.push({ reference: key.reference, reason: "no label: not KMS key material" });
      continue;
    }
    if (live.has(key.label)) continue;
    const m = KEY_ARN_LABEL.exec(key.label);
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
    await resolveOrphan(deps.db, deps.table, orphan.keyArn, {
      resolution: "NOT_PRESENT",
      at: at(),
      by: input.executionName,
    });
    notPresent++;
  }

  const deleted: { keyArn: string; reference: string }[] = [];
  if (missingLive.length > 0) {
    for (const c of candidates) {
      kept.push({
        reference: c.key.reference,
        keyArn: c.keyArn,
        reason: "held: live keys lack material under their label",
      });
    }
  } else {
    // Register before deleting, so a failure mid-batch leaves every candidate on record.
    for (const c of candidates) {
      if (!registered.has(c.keyArn)) await registerDiscovered(deps, input, c.keyArn, at());
    }
    for (const [i, c] of candidates.entries()) {
      if (i >= input.maxDeletes) {
        kept.push({
          reference: c.key.reference,
          keyArn: c.keyArn,
          reason: "over maxDeletes: waits for the next window",
        });
        continue;
      }
      // The re-check right before deleting: only NotFoundException proves KMS no longer has the key.
      let gone = false;
      let reason = "";
      try {
        const now = await describeKey(deps.kms, c.keyArn, counter, deps.sleep, { attempts: 4 });
        gone = now.gone;
        if (!now.gone) reason = `KMS has the key (${now.metadata.KeyState})`;
      } catch (error: unknown) {
        reason = `KMS could not confirm the key is gone (${(error as Error).name}); kept`;
      }
      if (!gone) {
        kept.push({ reference: c.key.reference, keyArn: c.keyArn, reason });
        continue;
      }
      await deps.hsm.deleteKey(input.clusterId, kmsuser, c.key.reference);
      deleted.push({ keyArn: c.keyArn, reference: c.key.reference });
      await resolveOrphan(deps.db, deps.table, c.keyArn, {
        resolution: "DELETED",
        at: at(),
        by: input.executionName,
        hsmKeyReference: c.key.reference,
      });
    }
  }

  if (deleted.length > 0) {
    const after = new Set((await deps.hsm.listKeys(input.clusterId, kmsuser)).map((k) => k.reference));
    const stillThere = deleted.filter((d) => after.has(d.reference));
    if (stillThere.length > 0) {
      for (const d of stillThere) await reopenOrphan(deps.db, deps.table, d.keyArn, input.executionName);
      throw new DeletionNotVerifiedError(stillThere.map((d) => d.reference));
    }
  }

  return {
    hsmKeys: keys.length,
    storeKeys: live.size,
    deleted: deleted.length,
    kept: kept.length,
    notPresent,
    missingLive: missingLive.length,
    held: missingLive.length > 0,
    deletedKeys: deleted.slice(0, REPORT_LIMIT),
    keptKeys: kept.slice(0, REPORT_LIMIT),
    missingLiveKeys: missingLive.slice(0, REPORT_LIMIT),
    kmsCalls: counter.calls,
    throttled: counter.throttled,
  };
}

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
  await registerOrphan(deps.db, deps.table, orphan);
}
