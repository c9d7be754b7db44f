import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
} from "@aws-sdk/client-kms";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LocalAccount } from "../../local/account/account";
import { configFromEnv } from "../../local/account/config";
import { CONTROL_TOKEN_HEADER } from "../../local/account/server";
import { LocalDynamoDb, printedResources } from "../../local/runtime/dynamodb";
import { loadServerlessConfig } from "../../local/runtime/serverless-config";
import { type CliRunner, CloudHsmCli } from "../../src/adapters/cloudhsm-cli";
import { SecretsManagerStore } from "../../src/adapters/secrets-store";
import type { Alert } from "../../src/alerts";
import type { CleanupDeps } from "../../src/cleanup/deps";
import type { ScanResult } from "../../src/cleanup/model";
import { scanKeyStore } from "../../src/cleanup/scan";
import { type SweepReport, sweepOrphans } from "../../src/cleanup/sweep";
import { kmsuserSecretName } from "../../src/connect/model";
import { type ConnectDeps, pendingPassword, setKmsuserPassword, stagePassword } from "../../src/connect/steps";
import { tellKms } from "../../src/connect/tell-kms";
import { control } from "./local-account";

const CREDENTIALS = { accessKeyId: "AKIALOCAL", secretAccessKey: "local" };
const ROOT = resolve(__dirname, "../..");
const TABLE = "keystore-autopilot-dev-orphans";

/** The orphan register's table as serverless.yml defines it (osls print, cached across runs by content hash). */
async function registerResources(region: string, accountId: string): Promise<Record<string, unknown>> {
  const cacheDir = join(tmpdir(), "keystore-autopilot-print-cache");
  mkdirSync(cacheDir, { recursive: true });
  await loadServerlessConfig({ rootDir: ROOT, cacheDir, region, accountId });
  return printedResources(cacheDir);
}

export type WindowResult = {
  scan: ScanResult;
  sweep?: SweepReport;
  error?: string;
  /** Simulated milliseconds from the disconnect to CONNECTED again (0 when the store was not connected). */
  disconnectedMs: number;
};

/**
 * The orphan-cleanup steps run in process against an in-process local account, without the Step Functions runtime:
 * the window as the ASL orders it (scan → disconnect → new kmsuser password → sweep → tell KMS → connect), so that
 * property tests and benchmarks can run it hundreds of times. The Hsm port is the real CloudHSM CLI adapter; only the
 * process spawn is replaced by the same request local/bin/cloudhsm-cli sends.
 */
export class CleanupHarness {
  readonly alerts: Alert[] = [];
  readonly kms: KMSClient;
  readonly deps: CleanupDeps;
  readonly connectDeps: ConnectDeps;
  private n = 0;

  private constructor(
    readonly account: LocalAccount,
    readonly endpoint: string,
    private readonly dynamodb: LocalDynamoDb,
    private readonly dataDir: string,
  ) {
    const region = account.config.region;
    const client = { endpoint, region, credentials: CREDENTIALS, maxAttempts: 1 };
    this.kms = new KMSClient(client);
    const secrets = new SecretsManagerStore(new SecretsManagerClient(client));
    const hsm = new CloudHsmCli(this.runner());
    const events = {
      send: async (command: { input: { Entries?: { Detail?: string }[] } }) => {
        for (const entry of command.input.Entries ?? []) this.alerts.push(JSON.parse(entry.Detail ?? "{}") as Alert);
        return { FailedEntryCount: 0, Entries: [] };
      },
    };
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamodb.endpoint, region, credentials: CREDENTIALS, maxAttempts: 3 }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    this.deps = {
      kms: this.kms,
      sfn: { send: async () => ({}) },
      secrets,
      hsm,
      db,
      table: TABLE,
      events: events as never,
      alertBusName: "default",
      accountId: account.config.accountId,
      region,
      now: () => new Date(),
      sleep: async () => undefined,
    };
    this.connectDeps = {
      kms: this.kms,
      sfn: { send: async () => ({}) } as never,
      secrets,
      hsm,
      events: events as never,
      alertBusName: "default",
      now: () => new Date(),
    };
  }

  static async start(options: { quotas?: "on" | "off" } = {}): Promise<CleanupHarness> {
    const dataDir = mkdtempSync(join(tmpdir(), "cleanup-harness-"));
    const account = new LocalAccount(
      configFromEnv({
        LOCAL_ACCOUNT_PORT: "0",
        LOCAL_ACCOUNT_DATA: dataDir,
        LOCAL_ACCOUNT_QUOTAS: options.quotas ?? "off",
      }),
    );
    const endpoint = await account.start();
    const { region, accountId } = account.config;
    const dynamodb = await LocalDynamoDb.start({ dataDir, host: account.config.host, region });
    await dynamodb.createTables(await registerResources(region, accountId), region);
    return new CleanupHarness(account, endpoint, dynamodb, dataDir);
  }

  async stop(): Promise<void> {
    await this.dynamodb.stop();
    await this.account.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** What local/bin/cloudhsm-cli sends for one command, without spawning it. */
  private runner(): CliRunner {
    return async (argv, env) => {
      const at = argv.indexOf("--cluster-id");
      const clusterId = at >= 0 ? argv[at + 1] : undefined;
      const rest = at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 2)] : argv;
      const res = await fetch(`${this.endpoint}/_local/cloudhsm-cli`, {
        method: "POST",
        headers: { "content-type": "application/json", [CONTROL_TOKEN_HEADER]: this.account.controlToken },
        body: JSON.stringify({ clusterId, role: env.CLOUDHSM_ROLE, pin: env.CLOUDHSM_PIN, argv: rest }),
      });
      const json = (await res.json()) as { error_code?: number };
      return { stdout: JSON.stringify(json), exitCode: json.error_code === 0 ? 0 : 1 };
    };
  }

  control<T = Record<string, unknown>>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown) {
    return control<T>(this.endpoint, this.account.controlToken, method, path, body);
  }

  advance(by: string) {
    return this.control("POST", "/_local/clock/advance", { by });
  }

  async now(): Promise<number> {
    return Date.parse((await this.control<{ now: string }>("GET", "/_local/clock")).now);
  }

  async state(id: string): Promise<string> {
    const out = await this.kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }));
    return out.CustomKeyStores?.[0]?.ConnectionState ?? "UNKNOWN";
  }

  async tokenKeys(clusterId: string): Promise<{ label: string; id: string }[]> {
    return (
      await this.control<{ keys: { label: string; id: string }[] }>(
        "GET",
        `/_local/inspect/token-keys?clusterId=${clusterId}`,
      )
    ).keys;
  }

  /** Polls as the workflows do (a Wait of `step` between DescribeCustomKeyStores calls) until `state` or FAILED. */
  async settle(id: string, state: string, step: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const now = await this.state(id);
      if (now === state || (now === "FAILED" && state === "CONNECTED")) return now;
      await this.advance(step);
    }
    throw new Error(`${id} did not reach ${state}`);
  }

  /** A CONNECTED key store on a fresh ACTIVE cluster, with its admin secret. */
  async newStore(): Promise<{ id: string; clusterId: string }> {
    const cluster = await this.control<{
      clusterId: string;
      trustAnchor: string;
      kmsuserPassword: string;
      adminPassword: string;
    }>("POST", "/_local/actions/seed-active-cluster", {});
    const out = await this.kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: `harness-${++this.n}-${randomUUID().slice(0, 8)}`,
        CloudHsmClusterId: cluster.clusterId,
        TrustAnchorCertificate: cluster.trustAnchor,
        KeyStorePassword: cluster.kmsuserPassword,
      }),
    );
    const id = out.CustomKeyStoreId as string;
    await new SecretsManagerClient({
      endpoint: this.endpoint,
      region: this.account.config.region,
      credentials: CREDENTIALS,
    }).send(
      new CreateSecretCommand({
        Name: `keystore-autopilot/${id}/admin`,
        SecretString: JSON.stringify({ username: "admin", password: cluster.adminPassword }),
      }),
    );
    await this.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    await this.advance("21m");
    return { id, clusterId: cluster.clusterId };
  }

  /**
   * The procedure done by hand (DOMAIN.md §2.5), one window per orphan: disconnect, reset kmsuser's password, find the
   * key by label and delete it as kmsuser, log out, tell KMS the password, connect. The baseline for the benchmark.
   */
  async naiveWindow(store: { id: string; clusterId: string }, keyArn: string): Promise<{ disconnectedMs: number }> {
    const from = await this.now();
    await this.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }));
    await this.settle(store.id, "DISCONNECTED", "15s");
    const kmsuserSecretId = await this.deps.secrets.ensure(kmsuserSecretName(store.id), "kmsuser");
    const ref = { kmsuserSecretId, versionId: randomUUID() };
    await stagePassword(this.connectDeps, ref);
    await setKmsuserPassword(this.connectDeps, {
      ...ref,
      clusterId: store.clusterId,
      adminSecretId: `keystore-autopilot/${store.id}/admin`,
    });
    const kmsuser = {
      username: "kmsuser",
      role: "crypto-user" as const,
      password: await pendingPassword(this.connectDeps, ref),
    };
    const key = (await this.deps.hsm.listKeys(store.clusterId, kmsuser)).find((k) => k.label === keyArn);
    if (key) await this.deps.hsm.deleteKey(store.clusterId, kmsuser, key.reference);
    await this.deps.hsm.logout(store.clusterId, kmsuser);
    await tellKms(this.connectDeps, { ...ref, customKeyStoreId: store.id });
    await this.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }));
    await this.settle(store.id, "CONNECTED", "30s");
    return { disconnectedMs: (await this.now()) - from };
  }

  /** One maintenance window, in the order of statemachines/orphan-cleanup.asl.yml; failures are reported, not thrown. */
  async window(
    store: { id: string; clusterId: string },
    options: { maxDeletes?: number; discover?: boolean } = {},
  ): Promise<WindowResult> {
    const name = `window-${++this.n}`;
    const scan = await scanKeyStore(this.deps, {
      customKeyStoreId: store.id,
      snapshotId: name,
      dryRun: false,
      discover: options.discover ?? true,
    });
    if (!scan.windowNeeded) return { scan, disconnectedMs: 0 };
    const initial = await this.state(store.id);
    const reconnect = initial !== "DISCONNECTED";
    const from = await this.now();
    if (initial === "CONNECTED" || initial === "FAILED") {
      await this.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }));
    }
    await this.settle(store.id, "DISCONNECTED", "15s");
    const kmsuserSecretId = await this.deps.secrets.ensure(kmsuserSecretName(store.id), "kmsuser");
    const ref = { kmsuserSecretId, versionId: randomUUID() };
    let sweep: SweepReport | undefined;
    let error: string | undefined;
    try {
      await stagePassword(this.connectDeps, ref);
      await setKmsuserPassword(this.connectDeps, {
        ...ref,
        clusterId: store.clusterId,
        adminSecretId: `keystore-autopilot/${store.id}/admin`,
      });
      sweep = await sweepOrphans(
        { ...this.deps, quarantineMs: 3_600_000 },
        {
          customKeyStoreId: store.id,
          clusterId: store.clusterId,
          ...ref,
          snapshot: scan.snapshot,
          maxDeletes: options.maxDeletes ?? 1_000,
          executionName: name,
        },
      );
    } catch (e: unknown) {
      error = (e as Error).name;
    }
    // Always: KMS learns the password now on kmsuser, and a store found connected is connected again.
    await tellKms(this.connectDeps, { ...ref, customKeyStoreId: store.id }).catch(() => undefined);
    let disconnectedMs = 0;
    if (reconnect) {
      await this.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: store.id }));
      await this.settle(store.id, "CONNECTED", "30s");
      disconnectedMs = (await this.now()) - from;
    }
    return { scan, ...(sweep ? { sweep } : {}), ...(error ? { error } : {}), disconnectedMs };
  }
}
