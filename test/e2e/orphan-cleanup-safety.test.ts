import {
  CancelKeyDeletionCommand,
  ConnectCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteCustomKeyStoreCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import fc from "fast-check";
import { keyReference } from "../../local/account/cloudhsm/cli-commands";
import { registerOrphan } from "../../src/orphans";
import { CleanupHarness } from "../support/cleanup-harness";

/**
 * The safety property of orphan cleanup (issue 6), on the local account: whatever the interleaving of key creation,
 * scheduled and cancelled deletions, clock advances, disconnects, injected faults, bogus register entries and cleanup
 * windows, every KMS key that exists keeps its key material (and encrypts and decrypts when it can), and every key
 * the cleanup reported deleted is gone from the cluster. SAFETY_RUNS sets the number of runs (default 200).
 */
type Command =
  | { op: "create" }
  | { op: "schedule"; key: number; days: number }
  | { op: "cancel"; key: number }
  | { op: "advance"; hours: number }
  | { op: "disconnect" }
  | { op: "connect" }
  | { op: "throttleDescribeKey"; count: number }
  | { op: "cliFailsDelete"; after: number }
  | { op: "registerLive"; key: number }
  | { op: "cleanup"; maxDeletes: number }
  /** The usual way material is orphaned: the store is disconnected while KMS deletes the key. */
  | { op: "deleteWhileDisconnected"; key: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ op: "create" as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("schedule" as const),
      key: fc.nat(9),
      days: fc.integer({ min: 7, max: 30 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cancel" as const), key: fc.nat(9) }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("advance" as const), hours: fc.integer({ min: 1, max: 24 * 32 }) }),
  },
  { weight: 2, arbitrary: fc.constant({ op: "disconnect" as const }) },
  { weight: 2, arbitrary: fc.constant({ op: "connect" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("throttleDescribeKey" as const), count: fc.integer({ min: 1, max: 30 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cliFailsDelete" as const), after: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("registerLive" as const), key: fc.nat(9) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("deleteWhileDisconnected" as const), key: fc.nat(9) }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("cleanup" as const), maxDeletes: fc.integer({ min: 1, max: 5 }) }),
  },
);

const PRELUDE: Command[] = [{ op: "create" }, { op: "create" }, { op: "create" }];

describe("orphan-cleanup safety property", () => {
  let harness: CleanupHarness;
  let storesUsed = 0;
  /** Across all runs: the property is only worth something if windows really deleted and really kept material. */
  const seen = { deleted: 0, windows: 0 };

  beforeAll(async () => {
    harness = await CleanupHarness.start();
  });
  afterAll(() => harness.stop());

  /** The account allows 10 key stores: retire each run's store, or start a fresh account when that is not possible. */
  async function retire(store: { id: string }) {
    storesUsed++;
    try {
      await harness.control("DELETE", "/_local/faults");
      await ensureConnected(store.id);
      for (const arn of await keysOf(store.id)) {
        await harness.kms
          .send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }))
          .catch(() => undefined);
      }
      await harness.advance("31d");
      await harness.kms
        .send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }))
        .catch(() => undefined);
      await harness.settle(store.id, "DISCONNECTED", "15s");
      await harness.kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: store.id }));
      storesUsed--;
    } catch {
      // Left behind: counted against the quota.
    }
    if (storesUsed >= 8) {
      await harness.stop();
      harness = await CleanupHarness.start();
      storesUsed = 0;
    }
  }

  async function ensureConnected(id: string) {
    const state = await harness.state(id);
    if (state === "CONNECTED") return;
    if (state === "FAILED") {
      await harness.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      await harness.settle(id, "DISCONNECTED", "15s");
    }
    await harness.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })).catch(() => undefined);
    await harness.settle(id, "CONNECTED", "30s");
  }

  /** The ARNs of the store's keys KMS has now (any state, PendingDeletion included). */
  async function keysOf(id: string): Promise<string[]> {
    const arns: string[] = [];
    const listed = (await harness.kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys ?? [];
    for (const key of listed) {
      const meta = (await harness.kms.send(new DescribeKeyCommand({ KeyId: key.KeyArn }))).KeyMetadata;
      if (meta?.CustomKeyStoreId === id && meta.Arn) arns.push(meta.Arn);
    }
    return arns;
  }

  it("never loses the material of a live key and deletes every key it reports deleted", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 2, maxLength: 12, size: "medium" }), async (commands) => {
        const store = await harness.newStore();
        const created: string[] = [];
        const reportedDeleted: string[] = [];
        try {
          // Every run starts with keys and ends with a window, so each interleaving is tried against a cleanup.
          for (const c of [...PRELUDE, ...commands, { op: "cleanup" as const, maxDeletes: 5 }]) {
            try {
              await run(c, store, created, reportedDeleted);
            } catch {
              // A command KMS refuses (wrong state, a throttle we injected) is part of the interleaving.
            }
          }
          await harness.control("DELETE", "/_local/faults");
          // Property 1: every key KMS has still has its material; enabled ones round-trip once connected.
          const live = await keysOf(store.id);
          const token = await harness.tokenKeys(store.clusterId);
          const labels = new Set(token.map((k) => k.label));
          for (const arn of live) expect(labels.has(arn)).toBe(true);
          await ensureConnected(store.id);
          for (const arn of live) {
            const meta = (await harness.kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata;
            if (meta?.KeyState !== "Enabled") continue;
            const sealed = await harness.kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from(arn) }));
            const opened = await harness.kms.send(
              new DecryptCommand({ KeyId: arn, CiphertextBlob: sealed.CiphertextBlob }),
            );
            expect(Buffer.from(opened.Plaintext ?? new Uint8Array()).toString()).toBe(arn);
          }
          // Property 2: what a cleanup reported deleted is gone.
          const references = new Set(token.map((k) => keyReference(store.clusterId, k.id)));
          for (const ref of reportedDeleted) expect(references.has(ref)).toBe(false);
        } finally {
          await retire(store);
        }
      }),
      { numRuns: Number(process.env.SAFETY_RUNS ?? 200), endOnFailure: false },
    );
    expect(seen.windows).toBeGreaterThan(0);
    expect(seen.deleted).toBeGreaterThan(0);
  }, 900_000);

  async function run(c: Command, store: { id: string; clusterId: string }, created: string[], deleted: string[]) {
    const key = (i: number) => created[i % Math.max(1, created.length)];
    switch (c.op) {
      case "create": {
        const out = await harness.kms.send(
          new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: store.id }),
        );
        if (out.KeyMetadata?.Arn) created.push(out.KeyMetadata.Arn);
        return;
      }
      case "schedule":
        if (key(c.key))
          await harness.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key(c.key), PendingWindowInDays: c.days }));
        return;
      case "cancel":
        if (key(c.key)) await harness.kms.send(new CancelKeyDeletionCommand({ KeyId: key(c.key) }));
        return;
      case "advance":
        await harness.advance(`${c.hours}h`);
        return;
      case "disconnect":
        await harness.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }));
        await harness.settle(store.id, "DISCONNECTED", "15s");
        return;
      case "connect":
        await ensureConnected(store.id);
        return;
      case "throttleDescribeKey":
        await harness.control("POST", "/_local/faults", {
          kind: "throttle",
          operation: "kms:DescribeKey",
          count: c.count,
        });
        return;
      case "cliFailsDelete":
        await harness.control("POST", "/_local/faults", { kind: "cli-error", command: "key delete", after: c.after });
        return;
      case "registerLive": {
        // A wrong register entry (say, written by hand) must never make a live key's material look deletable.
        const arn = key(c.key);
        if (arn) {
          await registerOrphan(harness.deps.db, harness.deps.table, {
            keyArn: arn,
            customKeyStoreId: store.id,
            clusterId: store.clusterId,
            status: "FAILURE",
            foundAt: new Date().toISOString(),
            followUp: "property-test",
          });
        }
        return;
      }
      case "deleteWhileDisconnected": {
        if (!key(c.key)) return;
        // Already pending (or gone): the disconnect still happens, whatever KMS then deletes.
        await harness.kms
          .send(new ScheduleKeyDeletionCommand({ KeyId: key(c.key), PendingWindowInDays: 7 }))
          .catch(() => undefined);
        await harness.kms
          .send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }))
          .catch(() => undefined);
        await harness.settle(store.id, "DISCONNECTED", "15s");
        await harness.advance("7d7h");
        await ensureConnected(store.id);
        return;
      }
      case "cleanup": {
        const result = await harness.window(store, { maxDeletes: c.maxDeletes });
        for (const d of result.sweep?.deletedKeys ?? []) deleted.push(d.reference);
        seen.windows++;
        seen.deleted += result.sweep?.deleted ?? 0;
        return;
      }
    }
  }
});
