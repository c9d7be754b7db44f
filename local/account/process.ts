import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { installCliLayer } from "../runtime/cli-layer";
import { CONTROL_TOKEN_HEADER } from "./server";

export const ROOT = resolve(__dirname, "../..");
export const CLI = join(ROOT, "local/bin/cloudhsm-cli");

/** The ids of a local account's clusters that are not deleted, read synchronously (for `cli`, which is synchronous). */
function liveClusterIds(endpoint: string): string[] {
  const script = `fetch(process.argv[1], {method: "POST", headers: {"content-type": "application/x-amz-json-1.1",
    "x-amz-target": "BaldrApiService.DescribeClusters"}, body: "{}"}).then((r) => r.json()).then((o) =>
    process.stdout.write(JSON.stringify((o.Clusters || []).filter((c) => c.State !== "DELETED" &&
    c.State !== "DELETE_IN_PROGRESS").map((c) => c.ClusterId))))`;
  const run = spawnSync(process.execPath, ["-e", script, `${endpoint}/`], { encoding: "utf8" });
  return JSON.parse(run.stdout || "[]") as string[];
}

/** Dummy credentials: the local account does not check signatures, but the SDK insists on signing. */
export const CREDENTIALS = { accessKeyId: "AKIALOCAL", secretAccessKey: "local" };

/** A control API call with the account's token, as the project's CLI makes it; throws on any status but 2xx. */
export async function control<T = Record<string, unknown>>(
  endpoint: string,
  token: string,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${endpoint}${path}`, {
    method,
    headers: { "content-type": "application/json", [CONTROL_TOKEN_HEADER]: token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * A local account in its own process, on a free port, with its own data directory: what `npm start` runs.
 * Tests drive it only through the wire protocols and the control API, as users do.
 */
export class LocalAccountProcess {
  endpoint = "";
  /** The control routes' token of the current start (new at every restart), read from the data directory. */
  token = "";
  private child?: ChildProcess;
  private output = "";

  private constructor(
    readonly dataDir: string,
    private readonly env: Record<string, string>,
    private readonly entry: string,
  ) {}

  /** `entry` is the script to run: the account alone (default) or `local/start.ts`, the account plus the runtime. */
  static async start(
    options: { dataDir?: string; env?: Record<string, string>; entry?: string } = {},
  ): Promise<LocalAccountProcess> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "local-account-"));
    const account = new LocalAccountProcess(dataDir, options.env ?? {}, options.entry ?? "local/account/main.ts");
    await account.boot();
    return account;
  }

  get region(): string {
    return this.env.LOCAL_ACCOUNT_REGION ?? "us-east-1";
  }

  kms(): KMSClient {
    return new KMSClient({ endpoint: this.endpoint, region: this.region, credentials: CREDENTIALS, maxAttempts: 1 });
  }

  /**
   * The product's register (DynamoDB) that `npm start` serves beside the account (GET /_local/dynamodb): only when the
   * process was started with the runtime (`entry: "local/start.ts"`).
   */
  async register(options: { maxAttempts?: number } = {}): Promise<DynamoDBDocumentClient> {
    const { endpoint } = await this.control<{ endpoint: string }>("GET", "/_local/dynamodb");
    return DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint,
        region: this.region,
        credentials: CREDENTIALS,
        maxAttempts: options.maxAttempts ?? 3,
      }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
  }

  /** A CloudHSM client; `region` signs for another Region, where only copied backups are. */
  cloudhsm(region = this.region): CloudHSMV2Client {
    return new CloudHSMV2Client({
      endpoint: this.endpoint,
      region,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
  }

  async control<T = Record<string, unknown>>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    body?: unknown,
  ): Promise<T> {
    return control<T>(this.endpoint, this.token, method, path, body);
  }

  advance(by: string): Promise<{ now: string }> {
    return this.control("POST", "/_local/clock/advance", { by });
  }

  async now(): Promise<Date> {
    return new Date((await this.control<{ now: string }>("GET", "/_local/clock")).now);
  }

  arm(fault: Record<string, unknown>): Promise<unknown> {
    return this.control("POST", "/_local/faults", fault);
  }

  async events(
    after = 0,
  ): Promise<{ seq: number; event: Record<string, unknown> & { detail: Record<string, unknown> } }[]> {
    return (await this.control<{ events: never[] }>("GET", `/_local/events?after=${after}&limit=100000`)).events;
  }

  /**
   * Runs the shipped CloudHSM CLI command in single-command mode, as a user would; `input` is what is typed at its
   * password prompts (standard input).
   */
  cli(args: string[], login?: { role: string; username: string; password: string }, input?: string) {
    // Callers may name the cluster first; the CLI takes --cluster-id as an option of the command, after its words.
    const argv = args[0] === "--cluster-id" ? [...args.slice(2), ...args.slice(0, 2)] : args;
    const at = argv.indexOf("--cluster-id");
    const named = at >= 0 ? argv[at + 1] : undefined;
    // Configured as the adapter does before each command: the cluster with its current HSMs (configure-cli).
    const cliPath = installCliLayer(join(this.dataDir, "test-layer"));
    const configure = join(cliPath, "..", "configure-cli");
    const ids = named ? [named] : liveClusterIds(this.endpoint);
    for (const id of ids) {
      spawnSync(configure, ["remove-cluster", "--cluster-id", id], { encoding: "utf8" });
      spawnSync(configure, ["add-cluster", "--cluster-id", id, "--region", this.region, "--endpoint", this.endpoint], {
        encoding: "utf8",
      });
    }
    const env: Record<string, string> = { ...process.env } as Record<string, string>;
    delete env.CLOUDHSM_ROLE;
    delete env.CLOUDHSM_PIN;
    if (login) {
      env.CLOUDHSM_ROLE = login.role;
      env.CLOUDHSM_PIN = `${login.username}:${login.password}`;
    }
    const run = spawnSync(cliPath, argv, { env, encoding: "utf8", input: input ?? "" });
    let json: { error_code: number; data: unknown } | undefined;
    try {
      // The password prompts, when the command prompts, come before the JSON.
      json = JSON.parse(run.stdout.slice(Math.max(0, run.stdout.indexOf("{"))));
    } catch {
      json = undefined;
    }
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, json };
  }

  /** Stops gracefully (SIGTERM) and starts again on the same data directory. */
  async restart(): Promise<void> {
    await this.stop();
    await this.boot();
  }

  /** `kill -9`: no chance to flush anything, then start again on the same data directory. */
  async crashAndRestart(): Promise<void> {
    const child = this.child;
    if (child) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
    await this.boot();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }

  /** The account's process id (to look for files it must not leave behind). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get log(): string {
    return this.output;
  }

  private boot(): Promise<void> {
    // The account writes its own SoftHSM configuration into its data directory; one an in-process account of the same
    // test worker pointed SOFTHSM2_CONF at must not leak into it.
    const { SOFTHSM2_CONF: _inherited, ...parent } = process.env;
    const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", this.entry], {
      cwd: ROOT,
      env: { ...parent, LOCAL_ACCOUNT_PORT: "0", LOCAL_ACCOUNT_DATA: this.dataDir, ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.endpoint = "";
    const from = this.output.length;
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`local account did not start:\n${this.output}`)), 120000);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(this.output.slice(from));
        if (match?.[1]) {
          this.endpoint = match[1];
          // Written before the port is bound, so it is there once the account says where it listens.
          this.token = readFileSync(join(this.dataDir, "control-token"), "utf8").trim();
          clearTimeout(timer);
          resolvePromise();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", (c: Buffer) => {
        this.output += c.toString();
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        if (!this.endpoint) reject(new Error(`local account exited (${code}):\n${this.output}`));
      });
    });
  }
}
