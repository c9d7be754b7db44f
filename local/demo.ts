import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { ModifyClusterCommand } from "@aws-sdk/client-cloudhsm-v2";
import {
  ConnectCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  type KMSClient,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { StepFunctionsExecutions } from "../src/adapters/executions";
import { DynamoProofs } from "../src/adapters/proofs";
import { DynamoRetirements } from "../src/adapters/retirements";
import { type WORKFLOWS as REGISTRY, registeredWorkflows, type WorkflowName } from "../src/workflows";
import { subnetIdInZone } from "./account/cloudhsm/network";
import { describeStore, patientKms, tokenKeys } from "./account/driver";
import { CREDENTIALS, LocalAccountProcess } from "./account/process";
import { statusPageUrl } from "./ui";

/**
 * `npm run demo`: the whole life of a CloudHSM key store on a fresh local account with serverless.yml deployed, run
 * by the workflows: provision-key-store, retire-key (a use during the probation reported), deletion-follow-up
 * (started by CloudTrail events; it opens each deleted key's proof of destruction), orphan-cleanup (booked by the
 * follow-up's alert) and connect-key-store (reconnect, rotation, remediation); the backups holding deleted material
 * expire and the proofs close. The demo only plays the key store's users and moves the simulated clock; each step
 * checks what it expects and any surprise exits 1.
 * The data stays in LOCAL_ACCOUNT_DATA (default .local-account-demo) for `keystore-autopilot status`.
 */
const DATA = resolve(process.env.LOCAL_ACCOUNT_DATA ?? ".local-account-demo");
/**
 * The workflows the story runs, by state machine key, from the registry: every one but describe-key-store, the
 * wiring check that ConnectCustomKeyStore calls start on the side.
 */
type StoryWorkflow = Exclude<WorkflowName, "describe-key-store">;
type MachineKey = (typeof REGISTRY)[StoryWorkflow]["stateMachine"];
const WORKFLOWS = Object.fromEntries(
  registeredWorkflows()
    .filter((w) => w.name !== "describe-key-store")
    .map((w) => [w.stateMachine, w.name]),
) as Record<MachineKey, StoryWorkflow>;

/** A step did not end as it should: the demo stops with this reason and exits 1. */
class DemoStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DemoStepError";
  }
}

function check(condition: unknown, reason: string): asserts condition {
  if (!condition) throw new DemoStepError(reason);
}

type Row = { step: string; result: string; ok: boolean; simulated: string; real: string };
type Output = Record<string, unknown>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Demo {
  readonly rows: Row[] = [];
  /** Ended executions per workflow and status, for the summary. */
  readonly executions = new Map<string, number>();
  readonly kms: KMSClient;
  readonly sfn: SFNClient;
  private readonly reported = new Set<string>();
  private readonly realStart = performance.now();

  constructor(
    readonly account: LocalAccountProcess,
    private readonly simStart: number,
  ) {
    this.kms = patientKms(account);
    this.sfn = new SFNClient({
      endpoint: account.endpoint,
      region: account.region,
      credentials: CREDENTIALS,
      maxAttempts: 5,
    });
  }

  /** The deployed state machines' ARNs (`<service>-<stage>-<key>`), whatever the region, account and stage. */
  private machines?: Map<MachineKey, string>;
  async machine(key: MachineKey): Promise<string> {
    if (!this.machines) {
      const out = await this.sfn.send(new ListStateMachinesCommand({}));
      this.machines = new Map(
        (Object.keys(WORKFLOWS) as MachineKey[]).map((k) => [
          k,
          out.stateMachines?.find((m) => m.name?.endsWith(`-${k}`))?.stateMachineArn as string,
        ]),
      );
    }
    const arn = this.machines.get(key);
    check(arn, `no ${WORKFLOWS[key]} state machine is deployed`);
    return arn;
  }

  /** Runs one step of the story: its result line on the timeline, then every execution that ended meanwhile. */
  async step(name: string, run: () => Promise<string>): Promise<void> {
    let result: string;
    try {
      result = await run();
    } catch (error: unknown) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      // The step's own error is the one to report, even when the account can no longer answer.
      await this.record(name, reason, false).catch(() => undefined);
      throw error;
    }
    await this.record(name, result, true);
  }

  private async record(step: string, result: string, ok: boolean) {
    const times = await this.times();
    this.rows.push({ step, result, ok, ...times });
    console.log(`${stamp(times)}  ${ok ? "✔" : "✘"} ${step}: ${result}`);
    await this.reportExecutions();
  }

  private async times() {
    return {
      simulated: duration((await this.account.now()).getTime() - this.simStart),
      real: `${((performance.now() - this.realStart) / 1000).toFixed(1)}s`,
    };
  }

  /** Prints each execution that has ended and was not printed yet, in the order they stopped. */
  async reportExecutions(): Promise<void> {
    const ended: { key: MachineKey; d: DescribeExecutionCommandOutput }[] = [];
    for (const key of Object.keys(WORKFLOWS) as MachineKey[]) {
      for (const e of await this.list(key)) {
        if (e.status === "RUNNING" || this.reported.has(e.executionArn as string)) continue;
        this.reported.add(e.executionArn as string);
        ended.push({ key, d: await this.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn })) });
      }
    }
    ended.sort((a, b) => (a.d.stopDate?.getTime() ?? 0) - (b.d.stopDate?.getTime() ?? 0));
    for (const { key, d } of ended) {
      const tally = `${WORKFLOWS[key]} ${d.status}`;
      this.executions.set(tally, (this.executions.get(tally) ?? 0) + 1);
      const sim = duration((d.stopDate?.getTime() ?? this.simStart) - this.simStart);
      const outcome = d.status === "SUCCEEDED" ? summary(JSON.parse(d.output ?? "{}")) : `${d.error}: ${d.cause}`;
      console.log(`  [sim +${sim.padEnd(7)}]   ↳ ${WORKFLOWS[key]} ${d.name} ${d.status}: ${outcome}`);
    }
  }

  async list(key: MachineKey) {
    const out = await this.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: await this.machine(key), maxResults: 1000 }),
    );
    return out.executions ?? [];
  }

  async start(key: MachineKey, name: string, input: Output): Promise<string> {
    const out = await this.sfn.send(
      new StartExecutionCommand({ stateMachineArn: await this.machine(key), name, input: JSON.stringify(input) }),
    );
    return out.executionArn as string;
  }

  async history(executionArn: string): Promise<HistoryEvent[]> {
    return new StepFunctionsExecutions(this.sfn).history(executionArn);
  }

  async until<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
    let last: T | undefined;
    for (let i = 0; i < 600; i++) {
      last = await probe();
      if (done(last)) return last;
      await sleep(50);
    }
    throw new DemoStepError(`gave up waiting for ${what}; last seen: ${JSON.stringify(last)}`);
  }

  /** No Lambda invocation in flight, twice in a row: the clock may move without timing a task out. */
  async calm(): Promise<void> {
    let quietChecks = 0;
    for (let i = 0; i < 600 && quietChecks < 2; i++) {
      await sleep(100);
      const { invocations } = await this.account.control<{ invocations: { status: string }[] }>(
        "GET",
        "/_local/invocations",
      );
      quietChecks = invocations.some((inv) => inv.status === "running") ? 0 : quietChecks + 1;
    }
  }

  /** Moves the simulated clock only between tasks (task timeouts run on the same clock). */
  async tick(by: string): Promise<void> {
    await this.calm();
    await this.account.advance(by);
    await this.calm();
  }

  /** The event the execution (or the nested execution it waits on) recorded last. */
  private async deepest(executionArn: string): Promise<HistoryEvent | undefined> {
    const out = await this.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }),
    );
    const last = out.events?.[0];
    if (last?.type === "TaskSubmitted" && last.taskSubmittedEventDetails?.resource?.startsWith("startExecution")) {
      const child = JSON.parse(last.taskSubmittedEventDetails.output ?? "{}") as { ExecutionArn?: string };
      if (child.ExecutionArn) return this.deepest(child.ExecutionArn);
    }
    return last;
  }

  /** Runs an execution to its end, moving the clock only while it waits (a Wait state or a retry's backoff). */
  async finish(executionArn: string): Promise<{ d: DescribeExecutionCommandOutput; output: Output }> {
    for (let i = 0; i < 1500; i++) {
      const d = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== "RUNNING") return { d, output: JSON.parse(d.output ?? "{}") as Output };
      const last = (await this.deepest(executionArn))?.type ?? "";
      if (last === "WaitStateEntered") await this.tick("5m");
      else if (/Failed$|TimedOut$/.test(last)) await this.tick("1m");
      else await sleep(30);
    }
    throw new DemoStepError(`execution ${executionArn} did not finish`);
  }

  /** The one execution of `key` whose name starts with `prefix`, once it has started and reached a Wait state. */
  async waiting(key: MachineKey, prefix: string): Promise<string> {
    const [execution] = await this.until(
      async () => (await this.list(key)).filter((e) => e.name?.startsWith(prefix)),
      (l) => l.length === 1,
      `one ${WORKFLOWS[key]} execution named ${prefix}…`,
    );
    const arn = execution?.executionArn as string;
    await this.until(
      () => this.history(arn),
      (h) => h.some((e) => e.type === "WaitStateEntered"),
      `${execution?.name} to wait`,
    );
    return arn;
  }

  async seqNow(): Promise<number> {
    return (await this.account.events()).at(-1)?.seq ?? 0;
  }

  /** CloudTrail records of `eventName` for the store after `after`. */
  async calls(after: number, eventName: string, storeId: string): Promise<number> {
    return (await this.account.events(after)).filter(
      (e) =>
        e.event.detail?.eventName === eventName &&
        (e.event.detail?.requestParameters as { customKeyStoreId?: string } | undefined)?.customKeyStoreId === storeId,
    ).length;
  }

  async alerts(type: string) {
    return (await this.account.events())
      .map((e) => e.event)
      .filter((e) => e.source === "keystore-autopilot" && (e.detail as { type?: string }).type === type);
  }

  /** The product's register (orphans, retirements, proofs): the table the deployed functions are given. */
  async register(): Promise<{ proofs: DynamoProofs; retirements: DynamoRetirements }> {
    const doc = await this.account.register({ maxAttempts: 5 });
    // `<service>-<stage>-<key>`, as serverless.yml names the table `<service>-<stage>-orphans`.
    const table = (await this.machine("retireKey"))
      .split(":")
      .pop()
      ?.replace(/-retireKey$/, "-orphans") as string;
    return { proofs: new DynamoProofs(doc, table), retirements: new DynamoRetirements(doc, table) };
  }

  async connectionState(storeId: string): Promise<string> {
    return (await describeStore(this.kms, storeId)).ConnectionState as string;
  }

  async roundTrip(keyId: string): Promise<string> {
    const context = { purpose: "demo" };
    const plaintext = `data of ${keyId.slice(0, 8)}`;
    const enc = await this.kms.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(plaintext), EncryptionContext: context }),
    );
    const dec = await this.kms.send(
      new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context }),
    );
    const dataKey = await this.kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256" }));
    const text = Buffer.from(dec.Plaintext ?? []).toString();
    check(text === plaintext, `Decrypt returned "${text}", expected "${plaintext}"`);
    check(dataKey.Plaintext?.length === 32, "GenerateDataKey did not return a 256-bit data key");
    return `Encrypt → Decrypt "${text}", GenerateDataKey 256-bit`;
  }
}

async function main(): Promise<void> {
  rmSync(DATA, { recursive: true, force: true });
  const account = await LocalAccountProcess.start({ dataDir: DATA, entry: "local/start.ts" });
  const demo = new Demo(account, (await account.now()).getTime());
  console.log(`Local account and control plane at ${account.endpoint} (data: ${DATA})`);
  console.log("Timeline: [simulated time since start] [real time]; ↳ marks each workflow execution as it ends.\n");
  let failure: string | undefined;
  let retiredKeyArn = "";
  try {
    ({ retiredKeyArn } = await story(demo));
  } catch (error: unknown) {
    failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } finally {
    await account.stop();
  }
  printSummary(demo.rows, demo.executions);
  if (failure) {
    console.error(`\nThe demo failed: ${failure}\nWhat it left is in ${DATA}.`);
    process.exitCode = 1;
    return;
  }
  console.log(`\nEvery step succeeded. The local account's data stays in ${DATA}. To inspect it, start the account`);
  console.log("and control plane on it again (on :4599) and ask for the status in another terminal:");
  console.log(`  LOCAL_ACCOUNT_DATA=${DATA} npm start`);
  console.log("  npx keystore-autopilot status");
  console.log(`  npx keystore-autopilot proof ${retiredKeyArn}   # the retired key's proof of destruction`);
  console.log("or see it all at a glance in a browser: open the status page link npm start prints,");
  console.log(`  ${statusPageUrl("http://127.0.0.1:4599")}?token=<the control token it prints, new at every start,`);
  console.log(`  also in ${join(DATA, "control-token")}>`);
}

/** The life of a key store, step by step; each step checks its outcome. */
async function story(demo: Demo): Promise<{ retiredKeyArn: string }> {
  const { kms } = demo;
  let storeId = "";
  let clusterId = "";

  await demo.step("Provision a key store (provision-key-store, managed CA)", async () => {
    const arn = await demo.start("provisionKeyStore", "demo-r1", {
      keyStoreName: "demo",
      subnetIds: [subnetIdInZone("a"), subnetIdInZone("b")],
    });
    const { d, output } = await demo.finish(arn);
    check(d.status === "SUCCEEDED", `provision-key-store ended ${d.status}: ${d.error} ${d.cause}`);
    const hsms = output.hsms as { State: string; AvailabilityZone: string }[];
    check(output.connectionState === "CONNECTED", `store is ${output.connectionState}, expected CONNECTED`);
    check(hsms.filter((h) => h.State === "ACTIVE").length === 2, "expected two ACTIVE HSMs");
    check(new Set(hsms.map((h) => h.AvailabilityZone)).size === 2, "expected the HSMs in two AZs");
    storeId = output.customKeyStoreId as string;
    clusterId = output.clusterId as string;
    return `${storeId} CONNECTED on ${clusterId}, HSMs in ${hsms.map((h) => h.AvailabilityZone).join(" and ")}`;
  });

  const arns = new Map<string, string>();
  const keys: string[] = [];
  await demo.step("Create three keys in the key store", async () => {
    for (let i = 0; i < 3; i++) {
      const out = await kms.send(
        new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId, Description: `demo key ${i + 1}` }),
      );
      keys.push(out.KeyMetadata?.KeyId as string);
      arns.set(out.KeyMetadata?.KeyId as string, out.KeyMetadata?.Arn as string);
    }
    return `live ${short(keys[0])}, to delete ${short(keys[1])}, to orphan ${short(keys[2])}`;
  });
  const [live, clean, orphaned] = keys as [string, string, string];

  await demo.step("Use the keys inside the HSMs", () => demo.roundTrip(live));

  let cleanFollowUp = "";
  let orphanFollowUp = "";
  await demo.step("ScheduleKeyDeletion of one key (7 days)", async () => {
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: clean, PendingWindowInDays: 7 }));
    cleanFollowUp = await demo.waiting("deletionFollowUp", `followup-${clean}-`);
    return `the CloudTrail event started ${cleanFollowUp.split(":").pop()}, waiting for the deletion date`;
  });
  const register = await demo.register();
  await demo.step(
    "Retire another key (retire-key, 1-day probation): a use is reported, then deletion (7 days)",
    async () => {
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: orphaned, Plaintext: Buffer.from("x") }));
      const arn = await demo.start("retireKey", "demo-retire", {
        keyArn: arns.get(orphaned),
        probationDays: 1,
        pendingWindowInDays: 7,
        // The application below still uses it: its use is reported, and the operator retires it anyway.
        force: true,
      });
      await demo.until(
        () => demo.history(arn),
        (h) => h.some((e) => e.type === "WaitStateEntered"),
        "the probation",
      );
      const refused = await kms.send(new DecryptCommand({ CiphertextBlob })).then(
        () => "",
        (error: Error) => error.name,
      );
      check(refused === "DisabledException", `a Decrypt during the probation got ${refused || "through"}`);
      const retirement = await demo.until(
        () => register.retirements.get(arns.get(orphaned) as string),
        (r) => (r?.uses.length ?? 0) > 0,
        "the use during the probation to be recorded",
      );
      await demo.tick("1d");
      const { d, output } = await demo.finish(arn);
      check(
        d.status === "SUCCEEDED" && output.result === "DELETION_SCHEDULED" && output.usesDuringProbation === 1,
        `retire-key ended ${d.status} ${output.result ?? d.error}, uses ${output.usesDuringProbation}`,
      );
      orphanFollowUp = await demo.waiting("deletionFollowUp", `followup-${orphaned}-`);
      const use = retirement?.uses[0];
      return `Disabled for a day; ${use?.operation} by ${use?.caller} reported; DELETION_SCHEDULED (forced), ${orphanFollowUp.split(":").pop()} follows it`;
    },
  );
  await demo.step("Fast-forward 6d7h: KMS deletes the first key", async () => {
    // KMS deletes a key within hours after its deletion date (up to 6 locally).
    await demo.tick("6d7h");
    check((await demo.connectionState(storeId)) === "CONNECTED", "the store should still be CONNECTED");
    const statuses = await deletionStatuses(demo);
    check(statuses.join(",") === "SUCCESS", `backingKeysDeletionStatus ${statuses.join(",")}, expected SUCCESS`);
    return "deleted while CONNECTED, backingKeysDeletionStatus SUCCESS: its key material went with it";
  });
  await demo.step("Disconnect the store while KMS deletes the second key", async () => {
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await demo.tick("1d");
    const state = await demo.connectionState(storeId);
    check(state === "DISCONNECTED", `the store is ${state}, expected DISCONNECTED`);
    const statuses = await deletionStatuses(demo);
    check(
      statuses.join(",") === "SUCCESS,FAILURE",
      `backingKeysDeletionStatus ${statuses.join(",")}, expected SUCCESS,FAILURE`,
    );
    return `DeleteKey backingKeysDeletionStatus: ${statuses.join(", ")} (the second key's material stays)`;
  });
  await demo.step("Reconnect (connect-key-store)", async () => {
    const { d, output } = await demo.finish(
      await demo.start("connectKeyStore", "demo-reconnect", { customKeyStoreId: storeId }),
    );
    check(d.status === "SUCCEEDED" && output.connectionState === "CONNECTED", `reconnect ended ${d.status} ${d.error}`);
    return "CONNECTED with a new kmsuser password";
  });

  let booking = "";
  await demo.step("Fast-forward a day: the follow-ups end", async () => {
    await demo.tick("18h");
    const outputs: Output[] = [];
    for (const arn of [cleanFollowUp, orphanFollowUp]) {
      const { d, output } = await demo.finish(arn);
      check(d.status === "SUCCEEDED", `${d.name} ended ${d.status}: ${d.error}`);
      outputs.push(output);
    }
    check(
      outputs[0]?.result === "MATERIAL_DELETED",
      `first follow-up: ${outputs[0]?.result}, expected MATERIAL_DELETED`,
    );
    check(
      outputs[1]?.result === "ORPHAN_REGISTERED",
      `second follow-up: ${outputs[1]?.result}, expected ORPHAN_REGISTERED`,
    );
    const alerts = await demo.alerts("OrphanedKeyMaterial");
    check(alerts.length === 1, `expected one OrphanedKeyMaterial alert, saw ${alerts.length}`);
    const [booked] = await demo.until(
      async () => (await demo.list("orphanCleanup")).filter((e) => e.name?.startsWith(`cleanup-${storeId}-`)),
      (l) => l.length > 0,
      "cleanupStart to book the store's cleanup window",
    );
    booking = booked?.executionArn as string;
    return `MATERIAL_DELETED and ORPHAN_REGISTERED; the OrphanedKeyMaterial alert booked ${booked?.name}`;
  });

  await demo.step("The cleanup window removes the orphan (orphan-cleanup)", async () => {
    const labels = async () => (await tokenKeys(demo.account, clusterId)).map((k) => k.label);
    // The key material's label is its KMS key's ARN.
    const arnOf = (keyId: string) => arns.get(keyId) as string;
    check((await labels()).includes(arnOf(orphaned)), "the orphaned key material should be in the cluster");
    const before = await demo.seqNow();
    await demo.tick("1d");
    const { d, output } = await demo.finish(booking);
    check(
      d.status === "SUCCEEDED" && output.status === "SUCCEEDED",
      `cleanup ended ${d.status} ${output.status ?? d.error}`,
    );
    check(
      output.deleted === 1 && output.remaining === 0,
      `cleanup deleted ${output.deleted}, ${output.remaining} remain`,
    );
    const left = await labels();
    check(!left.includes(arnOf(orphaned)), "the orphaned key material is still in the cluster");
    check(left.includes(arnOf(live)), "the live key's material is gone");
    const disconnects = await demo.calls(before, "DisconnectCustomKeyStore", storeId);
    const connects = await demo.calls(before, "ConnectCustomKeyStore", storeId);
    check(disconnects === 1 && connects === 1, `${disconnects} disconnects and ${connects} connects, expected 1 and 1`);
    check((await demo.connectionState(storeId)) === "CONNECTED", "the store is not CONNECTED after the window");
    await demo.roundTrip(live);
    return `1 orphan deleted, 0 remain; CloudTrail: ${disconnects} DisconnectCustomKeyStore, ${connects} ConnectCustomKeyStore; live key still works`;
  });

  await demo.step("Rotate kmsuser's password (connect-key-store, mode rotate)", async () => {
    const { d, output } = await demo.finish(
      await demo.start("connectKeyStore", "demo-rotate", { customKeyStoreId: storeId, mode: "rotate" }),
    );
    check(d.status === "SUCCEEDED" && output.connectionState === "CONNECTED", `rotation ended ${d.status} ${d.error}`);
    await demo.roundTrip(live);
    return "CONNECTED with a new password; the live key still works";
  });

  await demo.step("A connect by hand fails (INVALID_CREDENTIALS injected)", async () => {
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await demo.tick("1m");
    check((await demo.connectionState(storeId)) === "DISCONNECTED", "the store did not disconnect");
    await demo.account.arm({
      kind: "connect-error",
      connectionErrorCode: "INVALID_CREDENTIALS",
      customKeyStoreId: storeId,
    });
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    const [watch] = await demo.until(
      async () =>
        (await demo.list("connectKeyStore")).filter(
          (e) => e.name?.startsWith(`${storeId}-watch-`) && e.status === "RUNNING",
        ),
      (l) => l.length === 1,
      "the connect watch to start",
    );
    const arn = watch?.executionArn as string;
    const { d, output } = await demo.finish(arn);
    check(d.status === "SUCCEEDED" && output.connectionState === "CONNECTED", `the watch ended ${d.status} ${d.error}`);
    const remediated = (await demo.history(arn)).find(
      (e) => e.type === "ChoiceStateEntered" && e.stateEnteredEventDetails?.name === "Remediate",
    );
    const code = JSON.parse(remediated?.stateEnteredEventDetails?.input ?? "{}")?.observed?.entry?.ConnectionErrorCode;
    check(code === "INVALID_CREDENTIALS", `the watch remediated ${code ?? "nothing"}, expected INVALID_CREDENTIALS`);
    await demo.roundTrip(live);
    return `the watch ${watch?.name} saw FAILED/${code}, reset kmsuser and reconnected: CONNECTED`;
  });

  await demo.step("Fast-forward 16d under a 7-day retention: the backups expire, the proofs close", async () => {
    // The shortest retention AWS allows (manage-backup-retention.html: 7 to 379 days).
    await demo.account
      .cloudhsm()
      .send(new ModifyClusterCommand({ ClusterId: clusterId, BackupRetentionPolicy: { Type: "DAYS", Value: "7" } }));
    await demo.tick("8d");
    await demo.tick("8d");
    const proofs = [];
    for (const keyId of [clean, orphaned]) {
      const proof = await demo.until(
        () => register.proofs.get(arns.get(keyId) as string),
        (p) => p?.status === "CLOSED",
        `the proof of ${short(keyId)} to close`,
      );
      proofs.push(proof);
    }
    const [first, second] = proofs;
    check(first?.material.by === "kms", `the first key's material was deleted by ${first?.material.by}`);
    check(
      second?.material.state === "DELETED" && second.material.by?.includes("cleanup"),
      `the retired key's material: ${second?.material.state} by ${second?.material.by}`,
    );
    return `CLOSED: ${short(clean)} (KMS deleted it; ${first?.backups.length} backups gone), ${short(orphaned)} (orphan-cleanup deleted it; ${second?.backups.length} backups gone); see keystore-autopilot proof`;
  });

  await demo.step("Every execution ended as it should", async () => {
    let total = 0;
    const failed: string[] = [];
    for (const key of Object.keys(WORKFLOWS) as MachineKey[]) {
      for (const e of await demo.list(key)) {
        total += 1;
        if (e.status !== "SUCCEEDED") failed.push(`${e.name} ${e.status}`);
      }
    }
    check(failed.length === 0, `not SUCCEEDED: ${failed.join(", ")}`);
    return `${total} executions, all SUCCEEDED`;
  });
  return { retiredKeyArn: arns.get(orphaned) as string };
}

/** The `backingKeysDeletionStatus` of every DeleteKey record so far, in order. */
async function deletionStatuses(demo: Demo): Promise<string[]> {
  return (await demo.account.events())
    .map((e) => e.event.detail)
    .filter((d) => d?.eventName === "DeleteKey")
    .map((d) => {
      const raw = (d.additionalEventData as { backingKeysDeletionStatus?: string } | undefined)
        ?.backingKeysDeletionStatus;
      return (JSON.parse(raw ?? "[{}]") as { deletionStatus?: string }[])[0]?.deletionStatus ?? "none";
    });
}

/** One line of an execution's output: what it ended with, never secret references' values (it holds none). */
function summary(output: Output): string {
  const parts: string[] = [];
  if (output.result) parts.push(String(output.result));
  if (output.status) parts.push(String(output.status));
  if (output.connectionState) parts.push(String(output.connectionState));
  if (Array.isArray(output.hsms)) parts.push(`${output.hsms.length} HSMs`);
  if (typeof output.attempts === "number") parts.push(`${output.attempts} connect attempt(s)`);
  if (typeof output.deleted === "number") parts.push(`deleted ${output.deleted}, remaining ${output.remaining}`);
  if (typeof output.keyArn === "string") parts.push(`key ${short(output.keyArn.split("/").pop())}`);
  return parts.join(", ") || "ok";
}

function printSummary(rows: Row[], executions: Map<string, number>): void {
  const width = Math.max(...rows.map((r) => r.step.length), 4);
  const rule = "".padEnd(width + 36, "─");
  console.log(`\nSummary\n${rule}`);
  console.log(`${"Step".padEnd(width)}  ${"Result".padEnd(6)}  ${"Simulated".padStart(10)}  ${"Real".padStart(8)}`);
  for (const r of rows) {
    const result = r.ok ? "OK" : "FAILED";
    console.log(`${r.step.padEnd(width)}  ${result.padEnd(6)}  ${r.simulated.padStart(10)}  ${r.real.padStart(8)}`);
    if (!r.ok) console.log(`  ${r.result}`);
  }
  console.log(rule);
  const tally = [...executions].sort(([a], [b]) => a.localeCompare(b)).map(([what, n]) => `${n} ${what}`);
  console.log(`Executions: ${tally.join(", ") || "none"}`);
  const last = rows.at(-1);
  const passed = rows.filter((r) => r.ok).length;
  console.log(`${passed}/${rows.length} steps OK, ${last?.simulated} simulated in ${last?.real} real time.`);
}

const short = (id: string | undefined) => (id ?? "").slice(0, 8);
const stamp = (t: { simulated: string; real: string }) =>
  `[sim +${t.simulated.padEnd(7)}] [real ${t.real.padStart(6)}]`;

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours}h${minutes % 60}m` : `${Math.floor(hours / 24)}d${hours % 24}h`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
