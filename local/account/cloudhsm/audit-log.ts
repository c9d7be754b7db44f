import { createHash } from "node:crypto";
import type { AccountContext } from "../account";
import { appendLogEvent } from "../logs/log-events";
import type { ClusterRecord, HsmRecord, UserRole } from "../model";
import { activeHsms } from "./records";

/**
 * The HSM audit logs of the local clusters, in the form CloudHSM posts them to CloudWatch Logs: log group
 * `/aws/cloudhsm/<cluster ID>`, one log stream per HSM named by its ID (CloudHSM User Guide, understand-audit-logs.html),
 * one event per management command, its fields as the examples of interpreting-audit-logs.html show them
 * (test/events/aws/cloudhsm-audit-*.txt). Written on the simulated clock, in the caller's transaction. A record holds
 * user names, user types, handles and codes: never a password.
 */

/** Opcodes written here, with the numbers the documented examples give them. */
const OPCODES = {
  CN_LOGIN: "0xd",
  CN_LOGOUT: "0xe",
  CN_CREATE_USER: "0x3",
  CN_CREATE_CO: "0x4",
  CN_CHANGE_PSWD: "0x9",
  CN_DELETE_USER: "0xa1",
  CN_DESTROY_OBJECT: "0x11",
} as const;

/** The audit log's user types (interpreting-audit-logs.html examples); CloudHSM CLI's admin is a crypto officer. */
const USER_TYPES: Record<UserRole, string> = {
  "crypto-user": "CN_CRYPTO_USER (1)",
  admin: "CN_CRYPTO_OFFICER (2)",
  appliance: "CN_APPLIANCE_USER (5)",
  "unactivated-admin": "CN_CRYPTO_PRE_OFFICER (6)",
};

/** Responses as the examples print them: success, an unknown user (157), a wrong password (163). */
export const RESPONSES = {
  success: "0:HSM Return: SUCCESS",
  noSuchUser: "157:HSM Error: user isn't initialized or user with this name doesn't exist",
  loginFailure: "163:HSM Error: RET_USER_LOGIN_FAILURE",
} as const;

type Response = (typeof RESPONSES)[keyof typeof RESPONSES];

/** Each HSM's own counters: "Sequence No" has no gaps within a stream and starts at 0x0. */
const STREAM = "hsm-audit-stream";
type StreamState = { next: number; sessions: number };

export const auditLogGroupOf = (clusterId: string) => `/aws/cloudhsm/${clusterId}`;

/**
 * A login, successful or refused. "When a user logs into an HSM, the other HSMs in the cluster also record a login
 * event for the user" (interpreting-audit-logs.html, "Login and logout events"): every ACTIVE HSM writes one.
 */
export function auditLogin(
  ctx: AccountContext,
  cluster: ClusterRecord,
  user: { username: string; role: UserRole },
  response: Response = RESPONSES.success,
): void {
  for (const hsm of activeHsms(cluster)) {
    write(ctx, cluster, hsm, {
      opcode: "CN_LOGIN",
      response,
      logType: "MGMT_USER_DETAILS_LOG (2)",
      fields: [
        ["User Name", user.username],
        ["User Type", USER_TYPES[user.role]],
      ],
    });
  }
}

/** A logout: "typically is recorded only by the HSM that executes the command" (same page). */
export function auditLogout(ctx: AccountContext, cluster: ClusterRecord, user: { username: string; role: UserRole }) {
  const hsm = activeHsms(cluster)[0];
  if (!hsm) return;
  write(ctx, cluster, hsm, {
    opcode: "CN_LOGOUT",
    response: RESPONSES.success,
    logType: "MGMT_USER_DETAILS_LOG (2)",
    fields: [
      ["User Name", user.username],
      ["User Type", USER_TYPES[user.role]],
    ],
  });
}

/**
 * A user created (CN_CREATE_USER for a crypto user, CN_CREATE_CO for an admin), deleted, or given a new password
 * (CN_CHANGE_PSWD: `cluster activate` for the precrypto officer, `user change-password`, and KMS rotating kmsuser's at
 * connect). The record names the user the command is about and its type, never the password. Written by the HSM that
 * ran the command; the pages do not say whether the others record it.
 */
export function auditUserCommand(
  ctx: AccountContext,
  cluster: ClusterRecord,
  command: "create" | "change-password" | "delete",
  user: { username: string; role: UserRole },
): void {
  const hsm = activeHsms(cluster)[0];
  if (!hsm) return;
  const opcode =
    command === "create"
      ? user.role === "crypto-user"
        ? "CN_CREATE_USER"
        : "CN_CREATE_CO"
      : command === "delete"
        ? "CN_DELETE_USER"
        : "CN_CHANGE_PSWD";
  write(ctx, cluster, hsm, {
    opcode,
    response: RESPONSES.success,
    logType: "MGMT_USER_DETAILS_LOG (2)",
    fields: [
      ["User Name", user.username],
      ["User Type", USER_TYPES[user.role]],
    ],
  });
}

/**
 * A key deleted, written by the HSM that ran the command (the page does not say whether the others record it).
 * CN_DESTROY_OBJECT (0x11) is the only deletion record the pages show whole; the live reference names
 * CN_TOMBSTONE_OBJECT for token keys without an example (test/events/aws/SOURCES.md). The key handle is written as the
 * decimal value of the key's CloudHSM CLI key reference: the pages do not relate the two.
 */
export function auditKeyDeletion(ctx: AccountContext, cluster: ClusterRecord, keyReference: string): void {
  const hsm = activeHsms(cluster)[0];
  if (!hsm) return;
  write(ctx, cluster, hsm, {
    opcode: "CN_DESTROY_OBJECT",
    response: RESPONSES.success,
    logType: "MGMT_KEY_DETAILS_LOG (1)",
    fields: [
      ["Priv/Secret Key Handle", BigInt(keyReference).toString(10)],
      ["Public Key Handle", "0"],
    ],
  });
}

function write(
  ctx: AccountContext,
  cluster: ClusterRecord,
  hsm: HsmRecord,
  entry: { opcode: keyof typeof OPCODES; response: Response; logType: string; fields: [string, string][] },
): void {
  const now = ctx.clock.now();
  const id = `${cluster.ClusterId}/${hsm.HsmId}`;
  const state = ctx.store.get<StreamState>(STREAM, id) ?? { next: 0, sessions: 0 };
  ctx.store.put<StreamState>(STREAM, id, { next: state.next + 1, sessions: state.sessions + 1 });
  const lines: [string, string][] = [
    ["Sequence No", `0x${state.next.toString(16)}`],
    ["Reboot counter", rebootCounter(hsm.HsmId)],
    ["Command Type(hex)", "CN_MGMT_CMD (0x0)"],
    ["Opcode", `${entry.opcode} (${OPCODES[entry.opcode]})`],
    ["Session Handle", `0x${(0x1004000 + state.sessions).toString(16)}`],
    ["Response", entry.response],
    ["Log type", entry.logType],
    ...entry.fields,
  ];
  const message = [
    `Time: ${timeText(now)}, usecs:${now}000`,
    ...lines.map(([name, value]) => `${name} : ${value}`),
  ].join("\n");
  appendLogEvent(ctx, auditLogGroupOf(cluster.ClusterId), { logStreamName: hsm.HsmId, timestamp: now, message });
}

/** "12/13/17 23:09:04.815530": month/day/year, UTC, microseconds (the simulated clock has milliseconds). */
function timeText(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${two(d.getUTCFullYear() % 100)} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, "0")}000`
  );
}

/** A reboot counter per HSM, the same in every event of its stream (interpreting-audit-logs.html). */
function rebootCounter(hsmId: string): string {
  return `0x${(createHash("sha256").update(hsmId).digest().readUInt16BE(0) % 0x100).toString(16)}`;
}
