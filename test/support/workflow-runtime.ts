import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ConnectCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
} from "@aws-sdk/client-kms";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { STSClient } from "@aws-sdk/client-sts";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createStore, type SeededCluster, seedCluster, tokenKeys } from "../../local/account/driver";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";
import { StepFunctionsExecutions } from "../../src/adapters/executions";
import { ALERT_DETAIL_TYPE, ALERT_SOURCE } from "../../src/alert-source";
import { WORKFLOWS, type WorkflowName } from "../../src/workflows";

const REGION = "us-east-1";
const PREFIX = `arn:aws:states:${REGION}:111122223333:stateMachine:keystore-autopilot-dev-`;
/** A registered workflow's state machine ARN on the local account (src/workflows gives its key). */
const machineOf = (name: WorkflowName) => `${PREFIX}${WORKFLOWS[name].stateMachine}`;
export const MACHINES = {
  cleanup: machineOf("orphan-cleanup"),
  connect: machineOf("connect-key-store"),
  followUp: machineOf("deletion-follow-up"),
  describe: machineOf("describe-key-store"),
} as const;
export const REGISTER_TABLE = "keystore-autopilot-dev-orphans";
/** Waits measured in days (a follow-up until the deletion date, a booked window until it opens): parked, not busy. */
const LONG_WAITS = new Set(["WaitForDeletion", "WaitForWindow"]);
const IN_FLIGHT = new Set(["LambdaFunctionScheduled", "LambdaFunctionStarted", "TaskScheduled", "TaskStarted"]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type RuntimeStore = { id: string; cluster: SeededCluster };

/**
 * The local account with serverless.yml deployed on its runtime (`local/start.ts`, its own process): the committed
 * ASL runs with the real handlers. Tests and benches drive executions through the Step Functions API and move the
 * simulated clock only while something waits and no Lambda runs (task timeouts run on the same clock).
 */
export class WorkflowRuntime {
  readonly kms: KMSClient;
  readonly sfn: SFNClient;
  /** Whoever the tests act as (the local account answers GetCallerIdentity as its operator). */
  readonly sts: STSClient;
  readonly sm: SecretsManagerClient;
  /** Passwords the seeded clusters came with; the ones we set are read from Secrets Manager. */
  readonly seededPasswords = new Set<string>();
  private n = 0;

  private constructor(
    readonly account: LocalAccountProcess,
    readonly db: DynamoDBDocumentClient,
    /** How far the clock moves when something waits (a finer step measures downtime more closely). */
    private readonly step: string,
  ) {
    const client = { endpoint: account.endpoint, region: REGION, credentials: CREDENTIALS };
    // Patient as production callers are: the account enforces AWS's request quotas unless they are off.
    this.kms = new KMSClient({ ...client, maxAttempts: 10 });
    this.sfn = new SFNClient({ ...client, maxAttempts: 5 });
    this.sts = new STSClient(client);
    this.sm = new SecretsManagerClient(client);
  }

  static async start(env: Record<string, string> = {}, options: { step?: string } = {}): Promise<WorkflowRuntime> {
    const account = await LocalAccountProcess.start({ entry: "local/start.ts", env });
    const db = await account.register();
    return new WorkflowRuntime(account, db, options.step ?? "1m");
  }

  stop(): Promise<void> {
    return this.account.stop();
  }

  advance(by: string) {
    return this.account.advance(by);
  }

  async now(): Promise<number> {
    return (await this.account.now()).getTime();
  }

  async state(id: string): Promise<string> {
    const out = await this.kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }));
    return out.CustomKeyStores?.[0]?.ConnectionState ?? "UNKNOWN";
  }

  tokenKeys(clusterId: string) {
    return tokenKeys(this.account, clusterId);
  }

  async seq(): Promise<number> {
    return (await this.account.events()).at(-1)?.seq ?? 0;
  }

  /** Alerts the product published after `after` (event sequence), naming the store. */
  async alerts(after: number, customKeyStoreId: string) {
    return (await this.account.events(after))
      .map((e) => e.event)
      .filter(
        (e) =>
          e.source === ALERT_SOURCE &&
          e["detail-type"] === ALERT_DETAIL_TYPE &&
          e.detail?.customKeyStoreId === customKeyStoreId,
      )
      .map((e) => e.detail as { type: string; message: string; details?: Record<string, unknown> });
  }

  async executions(): Promise<(ExecutionListItem & { executionArn: string })[]> {
    const all: (ExecutionListItem & { executionArn: string })[] = [];
    for (const machine of Object.values(MACHINES)) {
      const out = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1000 }));
      for (const e of out.executions ?? []) all.push(e as ExecutionListItem & { executionArn: string });
    }
    return all;
  }

  describe(executionArn: string): Promise<DescribeExecutionCommandOutput> {
    return this.sfn.send(new DescribeExecutionCommand({ executionArn }));
  }

  async history(executionArn: string): Promise<HistoryEvent[]> {
    return new StepFunctionsExecutions(this.sfn).history(executionArn);
  }

  private async lastEvent(executionArn: string): Promise<HistoryEvent | undefined> {
    const out = await this.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }),
    );
    return out.events?.[0];
  }

  private async lambdasRunning(): Promise<boolean> {
    const { invocations } = await this.account.control<{ invocations: { status: string }[] }>(
      "GET",
      "/_local/invocations",
    );
    return invocations.some((inv) => inv.status === "running");
  }

  /**
   * Drives every execution until each has ended or is parked in a wait of days (a follow-up before its deletion
   * date, a window booked for later). The clock moves a step at a time, only when something waits (a Wait state
   * or a retry's backoff) and no task is in flight. `until`, when given, stops driving as soon as it holds.
   */
  async drive(budgetMs = 600_000, until?: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + budgetMs;
    let quiet = 0;
    while (Date.now() < deadline) {
      if (until && (await until())) return;
      const running = (await this.executions()).filter((e) => e.status === "RUNNING");
      const lasts: HistoryEvent[] = [];
      for (const e of running) {
        const last = await this.lastEvent(e.executionArn);
        const parked = last?.type === "WaitStateEntered" && LONG_WAITS.has(last.stateEnteredEventDetails?.name ?? "");
        if (!parked && last) lasts.push(last);
      }
      if (lasts.length === 0) {
        // Twice idle with a pause between: an event on its way through the bus may still start an execution.
        quiet = (await this.lambdasRunning()) ? 0 : quiet + 1;
        if (quiet >= 2) return;
        await sleep(150);
        continue;
      }
      quiet = 0;
      const waiting = lasts.some((e) => e.type === "WaitStateEntered" || /Failed$|TimedOut$/.test(e.type ?? ""));
      if (waiting && !lasts.some((e) => IN_FLIGHT.has(e.type ?? "")) && !(await this.lambdasRunning())) {
        await sleep(30);
        // Asked again right before the clock moves: what `until` waits for may have happened since it was asked.
        if (until && (await until())) return;
        if (!(await this.lambdasRunning())) await this.advance(this.step);
      }
      await sleep(30);
    }
    const running = (await this.executions()).filter((e) => e.status === "RUNNING").map((e) => e.name);
    throw new Error(`executions did not settle in ${budgetMs} ms: ${running.join(", ")}`);
  }

  /** Drives until the execution has ended (and everything else is parked or ended); returns how it ended. */
  async finish(executionArn: string, budgetMs = 600_000): Promise<DescribeExecutionCommandOutput> {
    const deadline = Date.now() + budgetMs;
    for (;;) {
      await this.drive(Math.max(1, deadline - Date.now()));
      const d = await this.describe(executionArn);
      if (d.status !== "RUNNING") return d;
      // Parked in a long wait: move to its end.
      await this.advance("1h");
    }
  }

  /** Drives until the execution waits for its approval (true) or has ended without asking for one (false). */
  async untilApprovalRequested(executionArn: string): Promise<boolean> {
    let asked = false;
    const done = async () => {
      const events = await this.history(executionArn);
      asked = events.some((e) => e.type === "TaskSubmitted");
      return asked || (await this.describe(executionArn)).status !== "RUNNING";
    };
    await this.drive(600_000, done);
    return asked;
  }

  async start(machine: keyof typeof MACHINES, input: Record<string, unknown>, name?: string): Promise<string> {
    const out = await this.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: MACHINES[machine],
        name: name ?? `${machine}-${Date.now()}-${++this.n}`,
        input: JSON.stringify(input),
      }),
    );
    return out.executionArn as string;
  }

  /** The cluster of each store newStore made: its admin secret is named by cluster. */
  private readonly clusterOf = new Map<string, string>();

  /** A CONNECTED key store on a fresh ACTIVE cluster, with its admin secret (the password stays in Secrets Manager). */
  async newStore(name: string): Promise<RuntimeStore> {
    const cluster = await seedCluster(this.account);
    for (const p of [cluster.adminPassword, cluster.kmsuserPassword]) if (p) this.seededPasswords.add(p);
    const id = await createStore(this.kms, cluster, name);
    await this.sm.send(
      new CreateSecretCommand({
        Name: `keystore-autopilot/admin/${cluster.clusterId}`,
        SecretString: JSON.stringify({ username: "admin", password: cluster.adminPassword }),
      }),
    );
    this.clusterOf.set(id, cluster.clusterId);
    await this.drive();
    await this.connect(id);
    return { id, cluster };
  }

  /** Connects the store as an operator would (FAILED is disconnected first) and drives the watch it starts. */
  async connect(id: string): Promise<string> {
    let state = await this.state(id);
    if (state === "FAILED") {
      await this.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      await this.settleState(id, "DISCONNECTED");
    }
    state = await this.state(id);
    if (state === "DISCONNECTED") {
      await this.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      await this.drive();
    }
    return this.settleState(id, "CONNECTED");
  }

  async disconnect(id: string): Promise<void> {
    await this.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await this.settleState(id, "DISCONNECTED");
  }

  /** Lets simulated time pass a step at a time (240 at most) until the store is in `state` (or FAILED on the way to CONNECTED). */
  async settleState(id: string, state: string): Promise<string> {
    for (let i = 0; i < 240; i++) {
      const now = await this.state(id);
      if (now === state || (state === "CONNECTED" && now === "FAILED")) return now;
      await this.advance(this.step);
      await this.drive();
    }
    return this.state(id);
  }

  /** Every password held in the product's secrets of these stores, in every version, and the seeded ones. */
  async secretValues(storeIds: string[]): Promise<Set<string>> {
    const values = new Set(this.seededPasswords);
    for (const id of storeIds) {
      for (const name of [`keystore-autopilot/kmsuser/${id}`, `keystore-autopilot/admin/${this.clusterOf.get(id)}`]) {
        const described = await this.sm.send(new DescribeSecretCommand({ SecretId: name })).catch(() => undefined);
        for (const versionId of Object.keys(described?.VersionIdsToStages ?? {})) {
          const out = await this.sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: versionId }));
          try {
            const parsed = JSON.parse(out.SecretString ?? "{}") as { password?: string };
            if (parsed.password) values.add(parsed.password);
          } catch {
            if ((out.SecretString ?? "").length >= 6) values.add(out.SecretString as string);
          }
        }
      }
    }
    return values;
  }

  /** Where a secret value shows: the functions' logs, execution histories, events and the account's own output. */
  async leaks(values: Set<string>, executionArns: string[], afterSeq: number): Promise<string[]> {
    const captured: [string, string][] = [];
    const logDir = join(this.account.dataDir, "logs");
    for (const file of readdirSync(logDir)) captured.push([`log ${file}`, readFileSync(join(logDir, file), "utf8")]);
    for (const arn of executionArns) captured.push([`history ${arn}`, JSON.stringify(await this.history(arn))]);
    captured.push(["events", JSON.stringify(await this.account.events(afterSeq))]);
    captured.push(["account output", this.account.log]);
    const found = new Set<string>();
    for (const [where, text] of captured) for (const value of values) if (text.includes(value)) found.add(where);
    return [...found];
  }
}
