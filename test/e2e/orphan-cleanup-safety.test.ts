import { writeFileSync } from "node:fs";
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import fc from "fast-check";
import { keyReference } from "../../local/account/cloudhsm/cli-commands";
import { CONNECTION_ERROR_CODES } from "../../local/account/faults";
import { callerArn } from "../../src/adapters/caller-identity";
import { StepFunctionsExecutions } from "../../src/adapters/executions";
import { DynamoOrphanRegister } from "../../src/adapters/orphan-register";
import { resolveApproval } from "../../src/workflows/orphan-cleanup/approval";
import { REGISTER_TABLE, type RuntimeStore, WorkflowRuntime } from "../support/workflow-runtime";

/**
 * The safety property of orphan cleanup, on the committed state machines: the local account runs serverless.yml
 * (orphan-cleanup, connect-key-store, deletion-follow-up with their real handlers) and each run plays a random
 * interleaving of key creation, scheduled and cancelled deletions, clock advances (deletions fall due and the
 * follow-ups book windows), disconnects, deletions while disconnected (orphans), injected DescribeKey throttling and
 * CLI `key delete` failures, connects failing with each ConnectionErrorCode the local account injects, wrong register
 * entries, cleanup windows (approval skipped), rotations, and rotations started together with a window. After every
 * run:
 * 1. every key KMS has keeps its material, and Enabled keys round-trip Encrypt/Decrypt once the store is connected;
 * 2. every key a window reported deleted is gone from the cluster;
 * 3. a store a window or a rotation found connected is connected when it ends, or an alert names the store, the
 *    execution and why;
 * 4. no user of the cluster is locked out;
 * 5. no secret value shows in the functions' logs, execution histories or events.
 *
 * SAFETY_SEED replays a run (printed on failure); SAFETY_RUNS bounds the runs (CI: 4, about 3 minutes here);
 * `SAFETY_RUNS=1000 npm run test:e2e -- orphan-cleanup-safety` runs the long campaign. SAFETY_SHRINK=1 shrinks a
 * counterexample (each run takes seconds, so shrinking is off by default). SAFETY_RESULTS=<file> writes the runs, the
 * actions played and the violations counted per invariant.
 */
const RUNS = Number(process.env.SAFETY_RUNS ?? 4);
const SEED = Number(process.env.SAFETY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SHRINK = process.env.SAFETY_SHRINK === "1";
const RESULTS = process.env.SAFETY_RESULTS;
/** What each invariant's violations are counted as. */
type Invariant =
  | "liveMaterialLost"
  | "reportedDeletedStillPresent"
  | "storeLeftDisconnected"
  | "lockOuts"
  | "secretsLeaked";
/** Runs per account: each makes a key store, and an account holds at most 10. */
const BATCH = 8;

type Run = {
  rt: WorkflowRuntime;
  store: RuntimeStore;
  keys: string[];
  /** Executions this run started itself, and the store's state when each began. */
  started: { arn: string; kind: "cleanup" | "rotation"; stateBefore: string; stateAfter?: string; seq: number }[];
  armed: string[];
  /** How each window of the store ended, for the progress line. */
  summary: string[];
};

const key = (run: Run, i: number) => run.keys[i % Math.max(1, run.keys.length)];

async function startCleanup(run: Run, input: Record<string, unknown>) {
  const stateBefore = await run.rt.state(run.store.id);
  const seq = await run.rt.seq();
  const arn = await run.rt.start("cleanup", { customKeyStoreId: run.store.id, approval: "skip", ...input });
  run.started.push({ arn, kind: "cleanup", stateBefore, seq });
  return arn;
}

async function startRotation(run: Run) {
  const stateBefore = await run.rt.state(run.store.id);
  const seq = await run.rt.seq();
  const arn = await run.rt.start("connect", { customKeyStoreId: run.store.id, mode: "rotate" });
  run.started.push({ arn, kind: "rotation", stateBefore, seq });
  return arn;
}

/** Drives a started execution to its end and notes the store's state then. */
async function finish(run: Run, arn: string) {
  await run.rt.finish(arn);
  const started = run.started.find((s) => s.arn === arn);
  if (started) started.stateAfter = await run.rt.state(run.store.id);
}

/**
 * The actions, one entry each: its weight, its arguments and what it does. KMS refusing an action (a key in the
 * wrong state, a store disconnected) is part of the interleaving; anything else failing fails the run.
 */
const ACTIONS = {
  create: {
    weight: 4,
    args: fc.constant({}),
    run: async (r: Run) => {
      const out = await r.rt.kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: r.store.id }));
      if (out.KeyMetadata?.Arn) r.keys.push(out.KeyMetadata.Arn);
    },
  },
  schedule: {
    weight: 3,
    args: fc.record({ key: fc.nat(9), days: fc.integer({ min: 7, max: 30 }) }),
    run: async (r: Run, a: { key: number; days: number }) => {
      const arn = key(r, a.key);
      if (arn) await r.rt.kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: a.days }));
    },
  },
  cancel: {
    weight: 1,
    args: fc.record({ key: fc.nat(9) }),
    run: async (r: Run, a: { key: number }) => {
      const arn = key(r, a.key);
      if (arn) await r.rt.kms.send(new CancelKeyDeletionCommand({ KeyId: arn }));
    },
  },
  advance: {
    weight: 3,
    args: fc.record({ hours: fc.integer({ min: 1, max: 24 * 32 }) }),
    run: async (r: Run, a: { hours: number }) => {
      // A day at a time (a booked window times out after nine): every Wait ends before a timeout, as in real time.
      for (let left = a.hours; left > 0; left -= 24) {
        await r.rt.drive();
        await r.rt.advance(`${Math.min(24, left)}h`);
      }
    },
  },
  disconnect: {
    weight: 1,
    args: fc.constant({}),
    run: (r: Run) => r.rt.disconnect(r.store.id),
  },
  connect: {
    weight: 1,
    args: fc.constant({}),
    run: async (r: Run) => {
      await r.rt.connect(r.store.id);
    },
  },
  /**
   * The usual way material is orphaned: KMS deletes a key while its store is disconnected, so its best-effort
   * deletion of the backing key fails ("Delete KMS keys from an AWS CloudHSM key store", KMS Developer Guide:
   * "you might need to manually delete the orphaned key material"). Keys PendingDeletion stay so while disconnected
   * ("Disconnect an AWS CloudHSM key store").
   */
  deleteWhileDisconnected: {
    weight: 2,
    args: fc.record({ key: fc.nat(9) }),
    run: async (r: Run, a: { key: number }) => {
      const arn = key(r, a.key);
      if (!arn) return;
      await r.rt.kms
        .send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }))
        .catch(() => undefined);
      await r.rt.drive();
      if ((await r.rt.state(r.store.id)) !== "DISCONNECTED") await r.rt.disconnect(r.store.id);
      await r.rt.advance("7d7h");
      await r.rt.drive();
      await r.rt.connect(r.store.id);
      // The follow-up wakes a day after the deletion date and registers the orphan (positive evidence).
      await r.rt.advance("18h");
      await r.rt.drive();
    },
  },
  throttleDescribeKey: {
    weight: 1,
    args: fc.record({ count: fc.integer({ min: 1, max: 30 }) }),
    run: async (r: Run, a: { count: number }) => {
      await r.rt.account.arm({ kind: "throttle", operation: "kms:DescribeKey", count: a.count });
      r.armed.push(`throttle kms:DescribeKey x${a.count}`);
    },
  },
  /** `count` failures in a row: one is absorbed by the sweep's retry, three outlast it. */
  cliFailsDelete: {
    weight: 1,
    args: fc.record({ after: fc.nat(2), count: fc.integer({ min: 1, max: 3 }) }),
    run: async (r: Run, a: { after: number; count: number }) => {
      await r.rt.account.arm({
        kind: "cli-error",
        command: "key delete",
        message: "HSM returned an internal error",
        after: a.after,
        count: a.count,
      });
      r.armed.push(`cli-error key delete x${a.count} after ${a.after}`);
    },
  },
  /** A window whose CLI `key delete` fails once it has disconnected the store: it must still reconnect, or alert. */
  failingWindow: {
    weight: 2,
    args: fc.record({ after: fc.nat(1), count: fc.integer({ min: 1, max: 3 }) }),
    run: async (r: Run, a: { after: number; count: number }) => {
      await ACTIONS.cliFailsDelete.run(r, a);
      await finish(r, await startCleanup(r, { discover: true }));
    },
  },
  /**
   * KMS's eventual consistency ("AWS KMS eventual consistency", KMS Developer Guide): from here to the end of the run,
   * DescribeKey answers NotFoundException and ListKeys omits keys created in the last `seconds`. Keys created after a
   * scan then look gone at sweep time: only positive evidence may delete material.
   */
  eventualConsistency: {
    weight: 2,
    args: fc.record({ seconds: fc.integer({ min: 60, max: 7_200 }) }),
    run: async (r: Run, a: { seconds: number }) => {
      await r.rt.account.arm({ kind: "kms-eventual-consistency", seconds: a.seconds });
      r.armed.push(`kms-eventual-consistency ${a.seconds}s`);
    },
  },
  /**
   * Another application's key in the shared cluster, labelled with a KMS key's ARN (a deleted one's or a live one's):
   * shared with kmsuser, or a public key, both of which `key list` as kmsuser shows ("key list", CloudHSM User Guide).
   * It is never a candidate and never counts as a live key's material.
   */
  plantDecoy: {
    weight: 1,
    args: fc.record({
      key: fc.nat(9),
      class: fc.constantFrom("secret-key" as const, "public-key" as const),
      shared: fc.boolean(),
    }),
    run: async (r: Run, a: { key: number; class: "secret-key" | "public-key"; shared: boolean }) => {
      const arn = key(r, a.key);
      if (!arn) return;
      await r.rt.account.control("POST", "/_local/actions/plant-hsm-key", {
        clusterId: r.store.cluster.clusterId,
        owner: "appuser",
        label: arn,
        class: a.class,
        sharedWith: a.shared ? ["kmsuser"] : [],
      });
    },
  },
  /** A wrong register entry (say, written by hand) must never make a live key's material deletable. */
  registerLive: {
    weight: 1,
    args: fc.record({ key: fc.nat(9), status: fc.constantFrom("FAILURE" as const, "UNVERIFIED" as const) }),
    run: async (r: Run, a: { key: number; status: "FAILURE" | "UNVERIFIED" }) => {
      const arn = key(r, a.key);
      if (!arn) return;
      await new DynamoOrphanRegister(r.rt.db, REGISTER_TABLE).register({
        keyArn: arn,
        customKeyStoreId: r.store.id,
        clusterId: r.store.cluster.clusterId,
        status: a.status,
        foundAt: new Date(await r.rt.now()).toISOString(),
        followUp: "safety-property",
      });
    },
  },
  cleanup: {
    weight: 3,
    args: fc.record({ maxDeletes: fc.integer({ min: 1, max: 5 }) }),
    run: async (r: Run, a: { maxDeletes: number }) => {
      await finish(r, await startCleanup(r, { maxDeletes: a.maxDeletes }));
    },
  },
  /**
   * Keys created between the scan and the sweep: the window is approved only after new keys exist, which its
   * snapshot does not hold. Only KMS's answer right before each deletion keeps their material.
   */
  createDuringApproval: {
    weight: 2,
    args: fc.record({ keys: fc.integer({ min: 1, max: 2 }) }),
    run: async (r: Run, a: { keys: number }) => {
      // discover: the window opens (and asks) even when no orphan is registered yet.
      const arn = await startCleanup(r, { approval: "required", discover: true });
      if (await r.rt.untilApprovalRequested(arn)) {
        for (let i = 0; i < a.keys; i++) await ACTIONS.create.run(r).catch(() => undefined);
        await resolveApproval(
          { executions: new StepFunctionsExecutions(r.rt.sfn), caller: () => callerArn(r.rt.sts) },
          { executionArn: arn, decision: "APPROVE" },
        );
      }
      await finish(r, arn);
    },
  },
  rotate: {
    weight: 1,
    args: fc.constant({}),
    run: async (r: Run) => {
      await finish(r, await startRotation(r));
    },
  },
  /**
   * KMS answering connects with a ConnectionErrorCode ("Troubleshooting a custom key store", KMS Developer Guide;
   * DOMAIN.md §2.1): the next `count` connects of the store fail with it, whoever sends them. A rotation or a window
   * (whose reconnect is a connect-key-store) follows, so the code meets the remediation; what is left of the fault
   * meets the rest of the run.
   */
  connectFails: {
    weight: 2,
    args: fc.record({
      code: fc.constantFrom(...CONNECTION_ERROR_CODES),
      count: fc.integer({ min: 1, max: 3 }),
      by: fc.constantFrom("rotate" as const, "cleanup" as const),
    }),
    run: async (r: Run, a: { code: string; count: number; by: "rotate" | "cleanup" }) => {
      await r.rt.account.arm({
        kind: "connect-error",
        connectionErrorCode: a.code,
        customKeyStoreId: r.store.id,
        count: a.count,
      });
      r.armed.push(`connect-error ${a.code} x${a.count}`);
      if (a.by === "rotate") await finish(r, await startRotation(r));
      else await finish(r, await startCleanup(r, { discover: true }));
    },
  },
  /** A rotation and a window of the same store started together: one waits or refuses, neither breaks the store. */
  overlap: {
    weight: 1,
    args: fc.record({ rotationFirst: fc.boolean() }),
    run: async (r: Run, a: { rotationFirst: boolean }) => {
      const first = a.rotationFirst ? await startRotation(r) : await startCleanup(r, { maxDeletes: 5 });
      const second = a.rotationFirst ? await startCleanup(r, { maxDeletes: 5 }) : await startRotation(r);
      await finish(r, first);
      await finish(r, second);
    },
  },
};
type ActionName = keyof typeof ACTIONS;
type Step = { op: ActionName; args: Record<string, unknown> };

const step: fc.Arbitrary<Step> = fc.oneof(
  ...(Object.entries(ACTIONS) as [ActionName, (typeof ACTIONS)[ActionName]][]).map(([op, action]) => ({
    weight: action.weight,
    arbitrary: (action.args as fc.Arbitrary<Record<string, unknown>>).map((args) => ({ op, args })),
  })),
);

/** Every run starts with keys and one orphan, and ends with a window, so each interleaving meets a cleanup. */
const PRELUDE: Step[] = [
  { op: "create", args: {} },
  { op: "create", args: {} },
  { op: "create", args: {} },
  { op: "deleteWhileDisconnected", args: { key: 0 } },
];
const FINALE: Step = { op: "cleanup", args: { maxDeletes: 5 } };

/** An AWS service refusing a call (its exception carries $metadata); our own errors and timeouts are not. */
const refusedByAws = (error: unknown) => typeof (error as { $metadata?: unknown })?.$metadata === "object";

describe("orphan-cleanup safety property on the committed state machines", () => {
  let rt: WorkflowRuntime | undefined;
  let storesUsed = 0;
  let n = 0;
  /** Across all runs: the property is only worth something if windows really ran, deleted and kept material. */
  const seen = { windows: 0, deleted: 0, keysChecked: 0 };
  const figures = {
    seed: SEED,
    runs: 0,
    actions: {} as Record<string, number>,
    violations: {
      liveMaterialLost: 0,
      reportedDeletedStillPresent: 0,
      storeLeftDisconnected: 0,
      lockOuts: 0,
      secretsLeaked: 0,
    } satisfies Record<Invariant, number>,
  };
  /** SAFETY_RESULTS=<file> keeps the campaign's figures (a long run's evidence), whatever its outcome. */
  const writeFigures = () => {
    if (!RESULTS) return;
    const out = { generatedAt: new Date().toISOString(), node: process.version, ...figures, seen };
    writeFileSync(RESULTS, `${JSON.stringify(out, null, 2)}\n`);
  };

  afterAll(async () => {
    await rt?.stop();
  });

  async function runtime(): Promise<WorkflowRuntime> {
    if (rt && storesUsed < BATCH) return rt;
    await rt?.stop();
    rt = await WorkflowRuntime.start();
    storesUsed = 0;
    return rt;
  }

  /** The ARNs of the store's keys KMS has now (any state, PendingDeletion included). */
  async function keysOf(r: Run): Promise<{ arn: string; state: string }[]> {
    const found: { arn: string; state: string }[] = [];
    let marker: string | undefined;
    do {
      const page = await r.rt.kms.send(new ListKeysCommand({ Limit: 1000, Marker: marker }));
      for (const k of page.Keys ?? []) {
        const meta = (await r.rt.kms.send(new DescribeKeyCommand({ KeyId: k.KeyArn }))).KeyMetadata;
        if (meta?.CustomKeyStoreId === r.store.id && meta.Arn)
          found.push({ arn: meta.Arn, state: String(meta.KeyState) });
      }
      marker = page.NextMarker;
    } while (marker);
    return found;
  }

  /** The store's cleanup executions (started here or booked by follow-ups) and what each sweep reported. */
  async function windowsOf(r: Run) {
    const windows: { arn: string; name: string; status: string; output: Record<string, unknown>; history: string }[] =
      [];
    for (const e of await r.rt.executions()) {
      if (!e.stateMachineArn?.endsWith(":keystore-autopilot-dev-orphanCleanup")) continue;
      const d = await r.rt.describe(e.executionArn);
      if (!d.input?.includes(r.store.id)) continue;
      const history = await r.rt.history(e.executionArn);
      windows.push({
        arn: e.executionArn,
        name: String(e.name),
        status: `${d.status}${d.error ? `(${d.error})` : ""}`,
        output: JSON.parse(d.output ?? "{}") as Record<string, unknown>,
        history: JSON.stringify(history),
      });
    }
    return windows;
  }

  async function check(r: Run, violations: [Invariant, string][]) {
    const { rt: account, store } = r;
    // Property 1: every key KMS has keeps its material; Enabled ones round-trip once connected.
    const live = await keysOf(r);
    const token = await account.tokenKeys(store.cluster.clusterId);
    const labels = new Set(token.map((k) => k.label));
    for (const k of live)
      if (!labels.has(k.arn)) violations.push(["liveMaterialLost", `${k.arn} (${k.state}) has no material`]);
    const state = await account.connect(store.id);
    if (state !== "CONNECTED")
      violations.push(["storeLeftDisconnected", `the store does not connect once faults are cleared (${state})`]);
    for (const k of live) {
      if (k.state !== "Enabled" || state !== "CONNECTED") continue;
      seen.keysChecked++;
      try {
        const sealed = await account.kms.send(new EncryptCommand({ KeyId: k.arn, Plaintext: Buffer.from(k.arn) }));
        const opened = await account.kms.send(
          new DecryptCommand({ KeyId: k.arn, CiphertextBlob: sealed.CiphertextBlob }),
        );
        if (Buffer.from(opened.Plaintext ?? new Uint8Array()).toString() !== k.arn)
          violations.push(["liveMaterialLost", `${k.arn} round-trips other data`]);
      } catch (error: unknown) {
        violations.push(["liveMaterialLost", `${k.arn} does not round-trip: ${(error as Error).name}`]);
      }
    }

    // Property 2: what a sweep reported deleted is gone (from its Sweep state's output, whatever the window's end).
    const references = new Set(token.map((k) => keyReference(store.cluster.clusterId, k.id)));
    const windows = await windowsOf(r);
    for (const w of windows) {
      for (const e of JSON.parse(w.history) as { stateExitedEventDetails?: { name?: string; output?: string } }[]) {
        if (e.stateExitedEventDetails?.name !== "Sweep") continue;
        const out = JSON.parse(e.stateExitedEventDetails.output ?? "{}") as {
          sweep?: { deletedKeys?: { keyArn: string; reference: string }[] };
        };
        for (const d of out.sweep?.deletedKeys ?? []) {
          seen.deleted++;
          if (references.has(d.reference))
            violations.push([
              "reportedDeletedStillPresent",
              `${w.name} reported ${d.keyArn} deleted; it is still there`,
            ]);
        }
      }
      if (w.history.includes('"name":"InitControl"')) seen.windows++;
      const o = w.output as { status?: string; deleted?: number; failure?: string };
      r.summary.push(
        `${w.status}${o.status ? `/${o.status}` : ""}${o.deleted ? ` deleted ${o.deleted}` : ""}${o.failure ? ` (${o.failure})` : ""}`,
      );
    }

    // Property 3: a store found connected is connected at the end, or an alert names it and says why.
    for (const s of r.started.filter((x) => x.stateBefore === "CONNECTED")) {
      const d = await account.describe(s.arn);
      const out = JSON.parse(d.output ?? "{}") as { connectionState?: string };
      const alerts = (await account.alerts(s.seq, store.id)).filter((a) => a.message);
      const name = s.arn.split(":").pop();
      if (s.kind === "cleanup") {
        const w = windows.find((x) => x.arn === s.arn);
        if (!w?.history.includes('"name":"InitControl"')) continue; // ended before the window: nothing changed
        const named = alerts.some((a) => a.details?.execution === name);
        if (!(d.status === "SUCCEEDED" && out.connectionState === "CONNECTED") && !named)
          violations.push([
            "storeLeftDisconnected",
            `${name} ended ${d.status} leaving the store ${out.connectionState ?? s.stateAfter} without an alert`,
          ]);
      } else if (
        s.stateAfter !== "CONNECTED" &&
        !alerts.some((a) => a.details?.execution === name && typeof a.details?.failure === "string")
      ) {
        violations.push([
          "storeLeftDisconnected",
          `rotation ${name} ended ${d.status} (${d.error}) leaving the store ${s.stateAfter} without an alert naming why`,
        ]);
      }
    }

    // Property 4: nobody locked out (five failed logins lock a user: "Troubleshooting a custom key store", KMS Developer
    // Guide; `user list` needs no login and shows `locked`: "user list", CloudHSM User Guide).
    const listed = account.account.cli(["--cluster-id", store.cluster.clusterId, "user", "list"]).json?.data as
      | { users?: { username: string; locked: string }[] }
      | undefined;
    if (!listed?.users) violations.push(["lockOuts", "user list failed"]);
    for (const u of listed?.users ?? [])
      if (u.locked === "true") violations.push(["lockOuts", `${u.username} is locked out`]);

    // Property 5: no secret value in logs, histories or events.
    const values = await account.secretValues([store.id]);
    const arns = (await account.executions()).map((e) => e.executionArn);
    for (const where of await account.leaks(values, arns, r.started[0]?.seq ?? 0))
      violations.push(["secretsLeaked", `a secret value shows in ${where}`]);
  }

  it(
    "never loses a live key's material, deletes what it reports, reconnects or alerts, and leaks no secret",
    async () => {
      process.stderr.write(`orphan-cleanup safety: SAFETY_SEED=${SEED} SAFETY_RUNS=${RUNS}\n`);
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 8, size: "medium" }), async (steps) => {
            const account = await runtime();
            storesUsed++;
            const store = await account.newStore(`safety-${++n}-${Date.now() % 100000}`);
            const r: Run = { rt: account, store, keys: [], started: [], armed: [], summary: [] };
            figures.runs++;
            for (const s of [...PRELUDE, ...steps, FINALE]) {
              figures.actions[s.op] = (figures.actions[s.op] ?? 0) + 1;
              try {
                await ACTIONS[s.op].run(r, s.args as never);
              } catch (error: unknown) {
                if (!refusedByAws(error)) throw error;
              }
            }
            await account.account.control("DELETE", "/_local/faults");
            await account.drive();
            const violations: [Invariant, string][] = [];
            const before = { ...seen };
            await check(r, violations);
            // Progress outside jest's console buffering: a long campaign shows where it is.
            process.stderr.write(
              `run ${n}: ${steps.map((s) => s.op).join(" ")}; windows ${seen.windows - before.windows}, deleted ${seen.deleted - before.deleted}, keys checked ${seen.keysChecked - before.keysChecked}; ${r.summary.join(", ")}${r.armed.length > 0 ? `; armed: ${r.armed.join(", ")}` : ""}\n`,
            );
            for (const [kind] of violations) figures.violations[kind]++;
            if (violations.length > 0)
              throw new Error(
                `${violations.map(([, text]) => text).join("\n")}\n(store ${store.id}; faults armed: ${r.armed.join(", ")})`,
              );
          }),
          { seed: SEED, numRuns: RUNS, endOnFailure: !SHRINK },
        );
      } catch (error: unknown) {
        writeFigures();
        const cause = (error as Error).cause as Error | undefined;
        throw new Error(
          `Replay with SAFETY_SEED=${SEED} SAFETY_RUNS=${RUNS}\n${(error as Error).message}\n${cause?.message ?? ""}`,
        );
      }
      writeFigures();
      expect(seen.windows).toBeGreaterThan(0);
      expect(seen.deleted).toBeGreaterThan(0);
      expect(seen.keysChecked).toBeGreaterThan(0);
    },
    RUNS * 180_000 + 60_000,
  );
});
