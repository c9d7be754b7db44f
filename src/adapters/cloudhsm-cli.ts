import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import {
  type Hsm,
  HsmClusterNotFoundError,
  HsmCommandError,
  type HsmCredential,
  type HsmError,
  type HsmKey,
  HsmListingInconsistentError,
  HsmLoginFailedError,
  HsmPathUnavailableError,
  type HsmRole,
  HsmUnavailableError,
  type HsmUser,
  HsmUserExistsError,
  HsmUserLockedOutError,
  HsmUserLoggedInError,
  HsmUserNotFoundError,
} from "../ports/hsm";

/**
 * The CloudHSM CLI binary: CLOUDHSM_CLI_PATH (serverless.yml sets the layer's /opt/cloudhsm/bin/cloudhsm-cli), else
 * the layer's path. The local runtime sets CLOUDHSM_CLI_PATH to local/bin/cloudhsm-cli itself: deployed code never
 * picks a binary from local-account variables.
 */
export const DEFAULT_CLI_PATH = "/opt/cloudhsm/bin/cloudhsm-cli";
export function cliPathFor(configured: string | undefined): string {
  return configured || DEFAULT_CLI_PATH;
}
/** The configure tool ships next to the CLI (/opt/cloudhsm/bin/configure-cli, configure-sdk-5.html). */
export function configurePathFor(cliPath: string): string {
  return join(dirname(cliPath), "configure-cli");
}
/** What one single-command run printed and how it exited. */
export type CliRun = { stdout: string; exitCode: number | null; spawnError?: string };

/**
 * Runs the CLI binary with argv, env and what to type at its prompts (`stdin`); separated so unit tests can feed
 * documented outputs.
 */
export type CliRunner = (argv: string[], env: Record<string, string>, stdin?: string) => Promise<CliRun>;

export type CloudHsmCliOptions = {
  /** /opt/cloudhsm/bin/cloudhsm-cli (or configure-cli) in the Lambda layer; a copy of local/bin's on the local runtime. */
  cliPath: string;
  timeoutMs?: number;
};

/**
 * Spawns the CLI without a shell (no quoting of passwords), with only the variables it needs: any local user can read
 * a process's argv in /proc/<pid>/cmdline, so a new password goes on standard input and the environment carries no
 * secret beyond CLOUDHSM_PIN (the documented credential of single-command mode, cloudhsm_cli-modes.html).
 * Standard input is always closed, so a CLI that prompts unexpectedly sees end of input instead of waiting.
 */
export function processRunner(options: CloudHsmCliOptions): CliRunner {
  return (argv, env, stdin) =>
    new Promise((resolve) => {
      const childEnv: Record<string, string> = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        ...env,
      };
      const child = execFile(
        options.cliPath,
        argv,
        { env: childEnv, timeout: options.timeoutMs ?? 60_000, maxBuffer: 8 * 1024 * 1024 },
        (error, stdout) => {
          const code =
            error && typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : null;
          const spawnError =
            error && typeof (error as { code?: unknown }).code === "string"
              ? String((error as { code: string }).code)
              : undefined;
          resolve({
            stdout: String(stdout ?? ""),
            exitCode: error ? code : 0,
            ...(spawnError ? { spawnError } : {}),
            ...(error && (error as { killed?: boolean }).killed ? { spawnError: "TIMEOUT" } : {}),
          });
        },
      );
      // A CLI that exits before reading (or never starts) closes the pipe: its exit, not EPIPE, is the result.
      child.stdin?.on("error", () => undefined);
      child.stdin?.end(stdin ?? "");
    });
}

type CliAnswer = { error_code: number; data: unknown };

/**
 * Parses the CLI's documented output `{"error_code":0|1,"data":…}` (DOMAIN.md §3.4) and maps failures to named
 * errors. Any password passed to the command is cut out of messages before they can reach a log or an error.
 */
export function parseCliOutput(run: CliRun, secrets: string[] = []): unknown {
  const redact = (text: string) => secrets.filter(Boolean).reduce((t, s) => t.split(s).join("***"), text);
  // Spawn failures and timeouts say nothing about the cluster's HSMs: the path to them is what failed.
  if (run.spawnError) {
    throw new HsmPathUnavailableError(redact(`The CloudHSM CLI did not run: ${run.spawnError}`));
  }
  let answer: CliAnswer;
  try {
    answer = JSON.parse(afterPrompts(run.stdout)) as CliAnswer;
  } catch {
    throw new HsmCommandError(`The CloudHSM CLI printed no JSON (exit ${String(run.exitCode)})`);
  }
  if (answer.error_code === 0) return answer.data;
  const message = redact(typeof answer.data === "string" ? answer.data : JSON.stringify(answer.data));
  throw classify(message);
}

/**
 * The documented transcripts print "Enter password:" and "Confirm password:" before the JSON (cloudhsm_cli-modes.html,
 * cloudhsm_cli-cluster-activate.html); whether the prompts go to stdout is not documented, so assume they may.
 */
function afterPrompts(stdout: string): string {
  const start = stdout.indexOf("{");
  return start > 0 ? stdout.slice(start) : stdout;
}

/** CloudHSM CLI error strings are UNCONFIRMED (DOMAIN.md §9.2): match loosely, fall back to HsmCommandError. */
export function classify(message: string): HsmError {
  if (/locked out|is locked/i.test(message)) return new HsmUserLockedOutError(message);
  if (/not logged in/i.test(message)) return new HsmLoginFailedError(message);
  if (/logged in|open session/i.test(message)) return new HsmUserLoggedInError(message);
  if (/login failed|incorrect password|invalid credentials|authentication/i.test(message)) {
    return new HsmLoginFailedError(message);
  }
  if (/already exists/i.test(message)) return new HsmUserExistsError(message);
  if (/there is no .*user|user .*(not found|does not exist)/i.test(message)) return new HsmUserNotFoundError(message);
  if (/cluster .*not found|no cluster/i.test(message)) return new HsmClusterNotFoundError(message);
  if (/no active hsm/i.test(message)) return new HsmUnavailableError(message);
  // Network and TLS failures of the CLI's connection to the cluster: the path, not the HSMs.
  if (
    /cannot connect|cannot reach|unreachable|timed? ?out|connection (refused|reset)|tls|ssl|certificate/i.test(message)
  ) {
    return new HsmPathUnavailableError(message);
  }
  return new HsmCommandError(message);
}

/** The one Hsm adapter: the CloudHSM CLI contract in single-command mode, in AWS (Lambda layer) and locally. */
export class CloudHsmCli implements Hsm {
  /**
   * `configure` builds the CLI configuration for a cluster before its commands run (CliConfigurator); commands then
   * name the cluster with their own `--cluster-id` option, after the command words, where the command syntax puts it
   * (cloudhsm_cli-user-list.html, cloudhsm_cli-configs-multi-cluster.html).
   */
  constructor(
    private readonly run: CliRunner,
    private readonly configure?: { ensure(clusterId: string): Promise<void> },
  ) {}

  private async command(
    clusterId: string,
    as: HsmCredential | undefined,
    argv: string[],
    secrets: string[],
    stdin?: string,
  ) {
    const env: Record<string, string> = as
      ? { CLOUDHSM_ROLE: as.role, CLOUDHSM_PIN: `${as.username}:${as.password}` }
      : {};
    await this.configure?.ensure(clusterId);
    const out = await this.run([...argv, "--cluster-id", clusterId], env, stdin);
    return parseCliOutput(out, [...secrets, ...(as ? [as.password] : [])]);
  }

  /**
   * Runs a command that sets a password, leaving out its optional `--password` so the password never reaches argv:
   * user create, user change-password and cluster activate then prompt "Enter password:" and "Confirm password:"
   * (cloudhsm_cli-user-create.html, cloudhsm_cli-user-change-password.html, cloudhsm_cli-cluster-activate.html,
   * cloudhsm_cli-modes.html), and the two answers are written to standard input. The documentation does not say that
   * the prompt reads a standard input that is not a terminal; if a CLI version insists on a terminal, the command
   * fails (no JSON, or an error) and nothing is set, which is the safe failure; it never falls back to argv.
   */
  private async withNewPassword(clusterId: string, as: HsmCredential | undefined, argv: string[], password: string) {
    if (/[\r\n]/.test(password)) throw new HsmCommandError("A new password cannot contain a line break");
    return this.command(clusterId, as, argv, [password], `${password}\n${password}\n`);
  }

  async listUsers(clusterId: string, as?: HsmCredential): Promise<HsmUser[]> {
    const data = (await this.command(clusterId, as, ["user", "list"], [])) as {
      users?: { username?: unknown; role?: unknown; locked?: unknown }[];
    };
    if (!Array.isArray(data?.users)) throw new HsmCommandError("user list returned no data.users");
    return data.users.map((u) => ({
      username: String(u.username),
      role: String(u.role),
      locked: u.locked === true || u.locked === "true",
    }));
  }

  async changePassword(
    clusterId: string,
    as: HsmCredential,
    user: { username: string; role: HsmRole },
    password: string,
  ): Promise<void> {
    await this.withNewPassword(
      clusterId,
      as,
      ["user", "change-password", "--username", user.username, "--role", user.role],
      password,
    );
  }

  async createUser(
    clusterId: string,
    as: HsmCredential,
    user: { username: string; role: HsmRole },
    password: string,
  ): Promise<void> {
    await this.withNewPassword(
      clusterId,
      as,
      ["user", "create", "--username", user.username, "--role", user.role],
      password,
    );
  }

  async logout(clusterId: string, user: HsmCredential): Promise<void> {
    await this.command(clusterId, user, ["logout"], []);
  }

  async listKeys(clusterId: string, as: HsmCredential): Promise<HsmKey[]> {
    const keys: HsmKey[] = [];
    let token: string | undefined;
    let total: number | undefined;
    // Bounded: a cluster holds at most a few tens of thousands of keys; a token that never ends is a CLI fault.
    for (let page = 0; page < 1_000; page++) {
      const argv = ["key", "list", "--verbose", "--max-items", String(LIST_PAGE_SIZE)];
      if (token) argv.push("--starting-token", token);
      const data = (await this.command(clusterId, as, argv, [])) as {
        matched_keys?: ListedKey[];
        total_key_count?: unknown;
        next_token?: unknown;
      };
      if (!Array.isArray(data?.matched_keys)) throw new HsmCommandError("key list returned no data.matched_keys");
      // The same total on every page, and the pages adding up to it: a listing that changed under us, or was cut
      // short, must not make a key look absent.
      if (typeof data.total_key_count === "number") {
        if (total !== undefined && data.total_key_count !== total) {
          throw new HsmListingInconsistentError(
            `key list reported ${total} keys, then ${data.total_key_count}: the cluster's keys changed while listing`,
          );
        }
        total = data.total_key_count;
      }
      for (const key of data.matched_keys) keys.push(listedKey(key));
      if (typeof data.next_token !== "string" || data.next_token === "") {
        if (total !== undefined && keys.length !== total) {
          throw new HsmListingInconsistentError(`key list returned ${keys.length} keys of the ${total} it reported`);
        }
        return keys;
      }
      token = data.next_token;
    }
    throw new HsmCommandError("key list did not finish paging after 1,000 pages");
  }

  async deleteKey(clusterId: string, as: HsmCredential, keyReference: string): Promise<void> {
    if (!/^0x[0-9a-f]+$/i.test(keyReference)) throw new HsmCommandError(`Not a key reference: ${keyReference}`);
    await this.command(clusterId, as, ["key", "delete", "--filter", `key-reference=${keyReference}`], []);
  }

  // --- provision-key-store ---
  async activateCluster(clusterId: string, adminPassword: string): Promise<void> {
    await this.withNewPassword(clusterId, undefined, ["cluster", "activate"], adminPassword);
  }

  async userCoverage(clusterId: string, as: HsmCredential, username: string): Promise<string> {
    const data = (await this.command(clusterId, as, ["user", "list"], [])) as {
      users?: { username?: unknown; "cluster-coverage"?: unknown }[];
    };
    if (!Array.isArray(data?.users)) throw new HsmCommandError("user list returned no data.users");
    const user = data.users.find((u) => String(u.username).toLowerCase() === username.toLowerCase());
    return user ? String(user["cluster-coverage"] ?? "full") : "missing";
  }
}

/** One entry of `key list --verbose` (cloudhsm_cli-key-list.html). */
export type ListedKey = {
  "key-reference"?: unknown;
  "key-info"?: { "key-owners"?: { username?: unknown }[]; "shared-users"?: { username?: unknown }[] };
  attributes?: Record<string, unknown>;
};

export function listedKey(key: ListedKey): HsmKey {
  if (typeof key["key-reference"] !== "string")
    throw new HsmCommandError("key list returned a key without key-reference");
  const a = key.attributes ?? {};
  const names = (users: { username?: unknown }[] | undefined) =>
    Array.isArray(users) ? users.map((u) => u.username).filter((u): u is string => typeof u === "string") : undefined;
  const owners = names(key["key-info"]?.["key-owners"]);
  const sharedWith = names(key["key-info"]?.["shared-users"]);
  return {
    reference: key["key-reference"].toLowerCase(),
    ...(typeof a.label === "string" ? { label: a.label } : {}),
    ...(typeof a.id === "string" ? { id: a.id.toLowerCase() } : {}),
    ...(owners ? { owners } : {}),
    ...(sharedWith ? { sharedWith } : {}),
    ...(typeof a.class === "string" ? { keyClass: a.class } : {}),
    ...(typeof a["key-type"] === "string" ? { keyType: a["key-type"] } : {}),
    ...(typeof a.token === "boolean" ? { token: a.token } : {}),
    ...(typeof a.extractable === "boolean" ? { extractable: a.extractable } : {}),
    ...(typeof a["key-length-bytes"] === "number" ? { lengthBytes: a["key-length-bytes"] } : {}),
  };
}

/** Keys per `key list` page (the CLI's default is 10). */
const LIST_PAGE_SIZE = 500;
