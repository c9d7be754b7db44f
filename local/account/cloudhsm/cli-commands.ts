import { createHash } from "node:crypto";
import type { AccountContext } from "../account";
import {
  checkPassword,
  findUser,
  MAX_FAILED_LOGINS,
  newUser,
  passwordProblem,
  setPassword,
  usernameProblem,
} from "../cluster-users";
import type { ClusterRecord, ClusterUser, OtherHsmKey } from "../model";
import { auditKeyDeletion, auditLogin, auditLogout, auditUserCommand, RESPONSES } from "./audit-log";
import { KEY_OWNER, takeBackup } from "./backups";
import { CliError, type CliRole, type CommandName, type ParsedCommand, parseArgv, parseRole } from "./cli-args";
import { activeHsms, CLUSTER, deriveActivatedState, isActivated, saveCluster, settledState } from "./records";

/**
 * The CloudHSM CLI contract of the local account (DOMAIN.md §2.3–2.5, §3.2–3.4), one command per request as in
 * single-command mode. Runs in the caller's transaction and returns `{error_code, data}`; failures are returned, not
 * thrown, so failed-login counts and lock-outs are committed.
 */

/** `answers`: the lines typed at the password prompts, in order, when `--password` was left out. */
export type CliRequest = {
  clusterId?: string;
  /** The HSM addresses of the CLI's configuration for the cluster (local/bin/configure-cli). */
  servers?: string[];
  role?: string;
  pin?: string;
  argv: string[];
  answers?: string[];
};
export type CliResult = { error_code: 0 | 1; data: unknown };

/** Users per cluster (DOMAIN.md §6). */
const MAX_USERS: Record<string, number> = { "hsm1.medium": 250, "hsm2m.medium": 1024 };
const DEFAULT_MAX_ITEMS = 10;

export function runCliCommand(ctx: AccountContext, request: CliRequest): CliResult {
  const fault = ctx.faults.take("cli-error", (f) => !f.command || request.argv.join(" ").startsWith(f.command));
  if (fault) return { error_code: 1, data: fault.message };
  try {
    const command = parseArgv(request.argv);
    const cluster = resolveCluster(ctx, request.clusterId);
    if (request.servers) connect(cluster, request.servers);
    return { error_code: 0, data: HANDLERS[command.name](new Session(ctx, cluster, command, request)) };
  } catch (error: unknown) {
    if (error instanceof CliError) return { error_code: 1, data: error.message };
    throw error;
  }
}

/**
 * A configuration lists the HSMs the CLI connects to; one that is not an ACTIVE HSM of the cluster (removed, replaced,
 * still being created, or another cluster's) does not answer, as a real connection to it would fail. The configuration
 * must then be rebuilt ("If you add or delete HSMs, update the configuration files", cloudhsm_cli-reference.html).
 */
function connect(cluster: ClusterRecord, servers: string[]): void {
  if (servers.length === 0)
    throw new CliError(`Cannot connect to ${cluster.ClusterId}: the configuration lists no HSM`);
  const active = new Set(activeHsms(cluster).map((hsm) => hsm.EniIp));
  const missing = servers.find((ip) => !active.has(ip));
  if (missing) throw new CliError(`Cannot connect to HSM ${missing}: it is not an active HSM of ${cluster.ClusterId}`);
}

function resolveCluster(ctx: AccountContext, clusterId: string | undefined): ClusterRecord {
  if (clusterId) {
    const cluster = ctx.store.get<ClusterRecord>(CLUSTER, clusterId);
    if (!cluster || cluster.State === "DELETED") throw new CliError(`Cluster ${clusterId} not found`);
    return cluster;
  }
  const live = ctx.store
    .list<ClusterRecord>(CLUSTER)
    .filter((c) => c.State !== "DELETED" && c.State !== "DELETE_IN_PROGRESS");
  if (live.length === 1) return live[0] as ClusterRecord;
  throw new CliError(
    live.length === 0
      ? "No cluster found in the local account"
      : `The local account has ${live.length} clusters; choose one with --cluster-id`,
  );
}

/** One command against one cluster, with the caller's credentials from CLOUDHSM_ROLE and CLOUDHSM_PIN. */
class Session {
  constructor(
    readonly ctx: AccountContext,
    readonly cluster: ClusterRecord,
    readonly command: ParsedCommand,
    readonly request: CliRequest,
  ) {}

  value(name: string): string | undefined {
    return this.command.values[name];
  }

  required(name: string): string {
    const value = this.value(name);
    if (value === undefined) throw new CliError(`--${name} is required`);
    return value;
  }

  /**
   * The password a command sets: `--password`, else the answers to "Enter password:" and "Confirm password:", the
   * prompts the documented transcripts show (cloudhsm_cli-modes.html, cloudhsm_cli-user-create.html,
   * cloudhsm_cli-cluster-activate.html). The message for two different answers is not documented.
   */
  newPassword(): string {
    const given = this.value("password");
    if (given !== undefined) return given;
    const [entered, confirmed] = this.request.answers ?? [];
    if (entered === undefined || entered === "") {
      throw new CliError("No password entered: pass --password or answer the 'Enter password:' prompt");
    }
    if (confirmed === undefined) throw new CliError("No password confirmed: answer the 'Confirm password:' prompt");
    if (confirmed !== entered) throw new CliError("Passwords do not match");
    return entered;
  }

  save(): void {
    saveCluster(this.ctx, this.cluster);
  }

  /** The HSMs must be reachable: the CLI connects to an ACTIVE HSM. */
  requireReachable(): void {
    if (activeHsms(this.cluster).length === 0) {
      throw new CliError(`Cluster ${this.cluster.ClusterId} has no ACTIVE HSM; the CloudHSM CLI cannot connect to it`);
    }
  }

  requireActive(): void {
    if (!isActivated(this.cluster)) {
      throw new CliError(
        `Cluster ${this.cluster.ClusterId} is ${this.cluster.State}; it must be ACTIVE (initialize it, then run 'cluster activate')`,
      );
    }
    this.requireReachable();
  }

  /** CLOUDHSM_PIN=<username>:<password>; the password may not contain ':' so the first ':' splits. */
  pin(): { username: string; password: string } | undefined {
    const pin = this.request.pin;
    if (pin === undefined || pin === "") return undefined;
    const at = pin.indexOf(":");
    if (at <= 0) throw new CliError("CLOUDHSM_PIN must be <username>:<password>");
    return { username: pin.slice(0, at), password: pin.slice(at + 1) };
  }

  /** Logs the PIN user in for this one command (single-command mode). */
  caller(): ClusterUser {
    const pin = this.pin();
    if (!pin) {
      throw new CliError("Not logged in: set CLOUDHSM_ROLE and CLOUDHSM_PIN=<username>:<password>");
    }
    return this.authenticate(pin.username, parseRole(this.request.role, "CLOUDHSM_ROLE"), pin.password);
  }

  /** Checks a password with CloudHSM's lock-out rule; failed attempts are saved even though the command fails. */
  authenticate(username: string, role: CliRole, password: string): ClusterUser {
    const user = findUser(this.cluster.users, username);
    const name = username.toLowerCase();
    if (!user || user.role !== role) {
      auditLogin(this.ctx, this.cluster, { username: name, role }, RESPONSES.noSuchUser);
      throw new CliError(`Login failed: there is no ${role} user named ${name}`);
    }
    if (user.kmsSession) {
      throw new CliError(
        `Login failed: ${name} is logged in by AWS KMS while custom key store ${user.kmsSession} is connected; disconnect the key store first`,
      );
    }
    const outcome = checkPassword(user, password);
    this.save();
    auditLogin(this.ctx, this.cluster, user, outcome === "ok" ? RESPONSES.success : RESPONSES.loginFailure);
    if (outcome === "ok") return user;
    if (outcome === "locked") {
      throw new CliError(
        `Login failed: user ${name} is locked out after ${MAX_FAILED_LOGINS} failed login attempts; an admin must reset its password with 'user change-password'`,
      );
    }
    if (user.locked) {
      throw new CliError(
        `Login failed: incorrect password for ${name}. The user is now locked out after ${MAX_FAILED_LOGINS} failed login attempts`,
      );
    }
    throw new CliError(
      `Login failed: incorrect password for ${name} (${user.failedLogins} of ${MAX_FAILED_LOGINS} failed attempts before lock-out)`,
    );
  }

  /** The target of a user command: --username with --role. */
  target(): ClusterUser {
    const username = this.required("username");
    const role = parseRole(this.value("role"), "--role");
    const user = findUser(this.cluster.users, username);
    if (!user || user.role !== role) throw new CliError(`There is no ${role} user named ${username.toLowerCase()}`);
    return user;
  }
}

const ok = (user: ClusterUser) => ({ username: user.username, role: user.role });

const HANDLERS: Record<CommandName, (s: Session) => unknown> = {
  "cluster activate": (s) => {
    if (isActivated(s.cluster)) throw new CliError(`Cluster ${s.cluster.ClusterId} is already activated`);
    if (s.cluster.State !== "INITIALIZED") {
      throw new CliError(
        `Cluster ${s.cluster.ClusterId} is ${s.cluster.State}; it must be INITIALIZED (call InitializeCluster first)`,
      );
    }
    s.requireReachable();
    const password = s.newPassword();
    const problem = passwordProblem(password);
    if (problem) throw new CliError(problem);
    const admin = s.cluster.users.find((u) => u.role === "unactivated-admin");
    if (!admin) throw new CliError(`Cluster ${s.cluster.ClusterId} has no unactivated admin`);
    // "the command that changes the password of the precrypto officer (PRECO). This command activates the cluster"
    // (interpreting-audit-logs.html).
    auditUserCommand(s.ctx, s.cluster, "change-password", admin);
    setPassword(admin, password);
    admin.role = "admin";
    s.cluster.State = "ACTIVE";
    deriveActivatedState(s.cluster);
    s.save();
    // CloudHSM takes a backup when a cluster is activated (DOMAIN.md §6).
    takeBackup(s.ctx, s.cluster, s.ctx.clock.now());
    return "Cluster activation successful";
  },

  login: (s) => {
    s.requireActive();
    const password = s.value("password") ?? s.pin()?.password;
    if (password === undefined) {
      throw new CliError("No password: set CLOUDHSM_PIN=<username>:<password> or pass --password");
    }
    const user = s.authenticate(s.required("username"), parseRole(s.value("role"), "--role"), password);
    // Single-command mode: the session stays open, like a client left logged in, until `logout`.
    user.sessions += 1;
    s.save();
    return ok(user);
  },

  logout: (s) => {
    s.requireActive();
    const user = s.caller();
    user.sessions = 0;
    s.save();
    auditLogout(s.ctx, s.cluster, user);
    return "Logout successful";
  },

  "user list": (s) => {
    // Listing users needs no login (CloudHSM CLI docs); a given PIN is still checked.
    if (!["INITIALIZED", "ACTIVE", "DEGRADED"].includes(settledState(s.cluster))) {
      throw new CliError(`Cluster ${s.cluster.ClusterId} is ${s.cluster.State}; it has no users yet`);
    }
    s.requireReachable();
    if (s.pin()) s.caller();
    return {
      users: s.cluster.users.map((u) => ({
        username: u.username,
        role: u.role === "appliance" ? "internal(APPLIANCE_USER)" : u.role,
        locked: String(u.locked),
        mfa: [],
        quorum: [],
        "cluster-coverage": "full",
      })),
    };
  },

  "user create": (s) => {
    s.requireActive();
    const caller = s.caller();
    if (caller.role !== "admin") throw new CliError("Only an admin can create users");
    const username = s.required("username");
    const role = parseRole(s.value("role"), "--role");
    const password = s.newPassword();
    const problem = usernameProblem(username) ?? passwordProblem(password);
    if (problem) throw new CliError(problem);
    if (findUser(s.cluster.users, username)) throw new CliError(`User ${username.toLowerCase()} already exists`);
    const max = MAX_USERS[s.cluster.HsmType] ?? 250;
    if (s.cluster.users.length >= max) throw new CliError(`The cluster already has ${max} users, the maximum`);
    const user = newUser(username, role, password);
    s.cluster.users.push(user);
    s.save();
    auditUserCommand(s.ctx, s.cluster, "create", user);
    return ok(user);
  },

  "user change-password": (s) => {
    s.requireActive();
    const caller = s.caller();
    const target = s.target();
    if (caller.role !== "admin" && caller !== target) {
      throw new CliError("A crypto user can only change its own password; an admin can change any user's");
    }
    const password = s.newPassword();
    const problem = passwordProblem(password);
    if (problem) throw new CliError(problem);
    if (target.kmsSession) {
      throw new CliError(
        `Cannot change the password of ${target.username}: AWS KMS is logged in as ${target.username} while custom key store ${target.kmsSession} is connected; disconnect it first`,
      );
    }
    if (target.sessions > 0) {
      throw new CliError(
        `Cannot change the password of ${target.username}: the user is logged in (${target.sessions} open session(s)); log it out first`,
      );
    }
    // Also clears failed logins and the lock.
    setPassword(target, password);
    s.save();
    auditUserCommand(s.ctx, s.cluster, "change-password", target);
    return ok(target);
  },

  "user delete": (s) => {
    s.requireActive();
    const caller = s.caller();
    if (caller.role !== "admin") throw new CliError("Only an admin can delete users");
    const target = s.target();
    if (target === caller) throw new CliError("Cannot delete the user you are logged in as");
    if (target.sessions > 0 || target.kmsSession) {
      throw new CliError(`Cannot delete ${target.username}: the user is logged in`);
    }
    const owned = visibleKeys(s, target).filter((k) => k.owner === target.username);
    if (owned.length > 0) throw new CliError(`Cannot delete ${target.username}: the user owns ${owned.length} key(s)`);
    s.cluster.users = s.cluster.users.filter((u) => u !== target);
    s.save();
    auditUserCommand(s.ctx, s.cluster, "delete", target);
    return ok(target);
  },

  "key list": (s) => {
    s.requireActive();
    const caller = s.caller();
    const filters = s.command.multi.filter ?? [];
    if (filters.length > 0 && caller.role !== "crypto-user") {
      throw new CliError("To filter keys, you must be logged in as a crypto user");
    }
    const maxItems = integerOption(s.value("max-items"), "--max-items", 1) ?? DEFAULT_MAX_ITEMS;
    const start = integerOption(s.value("starting-token"), "--starting-token", 0) ?? 0;
    const matched = filterKeys(visibleKeys(s, caller), filters);
    const pageOfKeys = matched.slice(start, start + maxItems);
    // "--verbose has no effect" for admins, who see only keys they own or share (DOMAIN.md §3.4).
    const verbose = s.command.flags.has("verbose") && caller.role === "crypto-user";
    return {
      matched_keys: pageOfKeys.map((key) =>
        verbose
          ? { "key-reference": key.reference, "key-info": keyInfo(key), attributes: attributesOf(key) }
          : { "key-reference": key.reference, attributes: { label: key.label } },
      ),
      total_key_count: matched.length,
      returned_key_count: pageOfKeys.length,
      ...(start + maxItems < matched.length ? { next_token: String(start + maxItems) } : {}),
    };
  },

  "key delete": (s) => {
    s.requireActive();
    const caller = s.caller();
    if (caller.role !== "crypto-user") throw new CliError("Only a crypto user who owns a key can delete it");
    const matched = filterKeys(visibleKeys(s, caller), s.command.multi.filter ?? []);
    if (matched.length === 0) throw new CliError("No key you own matches the filter; only a key's owner can delete it");
    if (matched.length > 1) {
      throw new CliError(`The filter matches ${matched.length} keys; key delete deletes one key at a time`);
    }
    const key = matched[0] as ListedKey;
    if (key.owner !== caller.username) throw new CliError("Only a key's owner can delete it");
    if (key.other) {
      s.cluster.otherKeys = (s.cluster.otherKeys ?? []).filter((k) => k.id !== key.id);
      s.save();
    } else {
      s.ctx.hsm.deleteKey(s.cluster.tokenLabel, key.id);
    }
    auditKeyDeletion(s.ctx, s.cluster, key.reference);
    return { message: "Key deleted successfully" };
  },
};

/** A key as listing sees it; its full attributes are built only for the keys a page returns or a filter reads. */
type ListedKey = { id: string; reference: string; label: string; owner: string; other?: OtherHsmKey };

/**
 * What `key list` shows a user: "keys that the user owns and shares, as well as all public keys in the CloudHSM
 * cluster" (CloudHSM User Guide, "List keys for a user with CloudHSM CLI", cloudhsm_cli-key-list.html). The KMS
 * backing keys in the token are kmsuser's, shared with nobody (DOMAIN.md §3.1); other keys come from `plant-hsm-key`.
 */
function visibleKeys(s: Session, user: ClusterUser): ListedKey[] {
  const backing: ListedKey[] =
    user.role === "crypto-user" && user.username === KEY_OWNER
      ? s.ctx.hsm.listKeys(s.cluster.tokenLabel).map((key) => ({
          id: key.id,
          label: key.label,
          owner: KEY_OWNER,
          reference: keyReference(s.cluster.ClusterId, key.id),
        }))
      : [];
  const others: ListedKey[] = (s.cluster.otherKeys ?? [])
    .filter((k) => k.owner === user.username || k.sharedWith.includes(user.username) || k.class === "public-key")
    .map((k) => ({
      id: k.id,
      label: k.label,
      owner: k.owner,
      other: k,
      reference: keyReference(s.cluster.ClusterId, k.id),
    }));
  return [...backing, ...others].sort((a, b) => a.reference.localeCompare(b.reference));
}

function keyInfo(key: ListedKey) {
  return {
    "key-owners": [{ username: key.owner, "key-coverage": "full" }],
    "shared-users": (key.other?.sharedWith ?? []).map((username) => ({ username, "key-coverage": "full" })),
    "key-quorum-values": { "manage-key-quorum-value": 0, "use-key-quorum-value": 0 },
    "cluster-coverage": "full",
  };
}

function attributesOf(key: ListedKey): Record<string, string | number | boolean> {
  const attributes = backingKeyAttributes(key.label, key.id);
  if (key.other?.class !== "public-key") return attributes;
  // An RSA public key as `key list --verbose` shows one (cloudhsm_cli-key-list.html, example output).
  const { "key-length-bytes": _length, ...rest } = attributes;
  return {
    ...rest,
    "key-type": "rsa",
    class: "public-key",
    extractable: true,
    private: false,
    sensitive: false,
    "modulus-size-bits": 2048,
  };
}

/** `0x` + 16 hex digits, stable for a key of a cluster (CloudHSM CLI's key-reference). */
export function keyReference(clusterId: string, keyId: string): string {
  return `0x${createHash("sha256").update(`${clusterId}:${keyId}`).digest("hex").slice(0, 16)}`;
}

/** The `id` attribute as CloudHSM CLI shows it: 0x and the hex of the id's bytes (DOMAIN.md §3.3). */
export const idAttribute = (keyId: string) => `0x${Buffer.from(keyId, "utf8").toString("hex")}`;

/** The attributes of a KMS backing key as the KMS docs show them (DOMAIN.md §3.1). */
function backingKeyAttributes(label: string, id: string): Record<string, string | number | boolean> {
  return {
    "key-type": "aes",
    label,
    id: idAttribute(id),
    "check-value": `0x${createHash("sha256").update(id).digest("hex").slice(0, 6)}`,
    class: "secret-key",
    encrypt: true,
    decrypt: true,
    token: true,
    "always-sensitive": true,
    derive: false,
    destroyable: true,
    extractable: false,
    local: true,
    modifiable: true,
    "never-extractable": true,
    private: true,
    sensitive: true,
    sign: true,
    trusted: false,
    unwrap: false,
    verify: true,
    wrap: false,
    "wrap-with-trusted": false,
    "key-length-bytes": 32,
  };
}

/** Filters: `attr.<name>=<value>` on the attributes above, or `key-reference=0x…`; all must match. */
function filterKeys(keys: ListedKey[], filters: string[]): ListedKey[] {
  const tests = filters.map((filter) => {
    const eq = filter.indexOf("=");
    if (eq <= 0) throw new CliError(`Invalid filter '${filter}': use attr.<name>=<value> or key-reference=0x<hex>`);
    const name = filter.slice(0, eq);
    const value = filter.slice(eq + 1).replace(/^"(.*)"$/, "$1");
    if (name === "key-reference" || name === "attr.key-reference") {
      return (key: ListedKey) => key.reference === value.toLowerCase();
    }
    if (!name.startsWith("attr.")) throw new CliError(`Invalid filter '${filter}': use attr.<name>=<value>`);
    const attribute = name.slice(5);
    if (attribute === "id") {
      if (!/^0x[0-9a-fA-F]*$/.test(value)) {
        throw new CliError(`Invalid filter '${filter}': attr.id takes 0x and the hex of the id's bytes`);
      }
      return (key: ListedKey) => idAttribute(key.id) === value.toLowerCase();
    }
    if (!(attribute in backingKeyAttributes("", ""))) throw new CliError(`Unknown key attribute '${attribute}'`);
    if (attribute === "label") return (key: ListedKey) => key.label === value;
    return (key: ListedKey) => String(attributesOf(key)[attribute]) === value;
  });
  return keys.filter((key) => tests.every((test) => test(key)));
}

function integerOption(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new CliError(`${name} must be an integer of at least ${min}`);
  }
  return Number(value);
}
