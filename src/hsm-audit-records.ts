/**
 * CloudHSM's HSM audit log records, as CloudWatch Logs holds them: one event per management command, one `Name : value`
 * line per field, the first line `Time: <MM/DD/YY HH:MM:SS.micro>, usecs:<Unix time in microseconds>` (CloudHSM User
 * Guide, interpreting-audit-logs.html; the verbatim examples are test/events/aws/cloudhsm-audit-*.txt). The pages
 * separate names from values with " : ", ": " or a tab, so any of them is read.
 */
export type HsmAuditRecord = {
  /** ISO, from `usecs` (UTC). */
  time: string;
  /** Unix time in microseconds, as written. */
  usecs: string;
  /** Hex as written ("0x2b"): orders the events of one log stream, unique only within it. */
  sequenceNo: string;
  rebootCounter?: string;
  commandType?: string;
  /** The opcode's name, e.g. CN_DESTROY_OBJECT. */
  opcode: string;
  /** Its number when written ("0x11"); the reference table leaves some out. */
  opcodeCode?: string;
  sessionHandle?: string;
  /** `0:HSM Return: SUCCESS` → code 0; `163:HSM Error: RET_USER_LOGIN_FAILURE` → 163. */
  response: { code: number; message: string };
  logType?: string;
  /** User login and management events. */
  userName?: string;
  userType?: string;
  /** Key management events: "Priv/Secret Key Handle", decimal in every example. */
  keyHandle?: string;
  publicKeyHandle?: string;
};

/**
 * The opcodes of a key's deletion. The examples delete keys with CN_DESTROY_OBJECT; the live audit log reference calls
 * it "Deletion of a session key" and CN_TOMBSTONE_OBJECT "Deletion of a token key" (cloudhsm-audit-log-reference.html),
 * with no example of the latter, so either counts.
 */
export const KEY_DELETION_OPCODES = ["CN_DESTROY_OBJECT", "CN_TOMBSTONE_OBJECT"] as const;

const TIME = /^Time:\s*(\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d+),\s*usecs:\s*(\d+)\s*$/;
const NAMED = /^([A-Z0-9_]+)\s*\((0x[0-9a-fA-F]+|\d+)\)$/;
const RESPONSE = /^(\d+):\s*(.*)$/;

/** The fields by name, each as written. */
const FIELDS: Record<string, keyof HsmAuditRecord> = {
  "Sequence No": "sequenceNo",
  "Reboot counter": "rebootCounter",
  "Command Type(hex)": "commandType",
  "Session Handle": "sessionHandle",
  "Log type": "logType",
  "User Name": "userName",
  "User Type": "userType",
  "Priv/Secret Key Handle": "keyHandle",
  "Public Key Handle": "publicKeyHandle",
};

/**
 * Reads one audit log event's message; undefined when it is not an HSM audit record (no `Time`/`usecs` line, no
 * sequence number, opcode or response), such as the JSON lines of certificate storage audit logs
 * (pkcs11-certificate-storage-audit-logs.html).
 */
export function parseHsmAuditRecord(message: string): HsmAuditRecord | undefined {
  const lines = message.split(/\r?\n/).filter((line) => line.trim() !== "");
  const time = TIME.exec(lines[0]?.trim() ?? "");
  if (!time) return undefined;
  const usecs = time[2] as string;
  const fields: Partial<Record<keyof HsmAuditRecord, string>> = {};
  let opcode: string | undefined;
  let response: string | undefined;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name === "Opcode") opcode = value;
    else if (name === "Response") response = value;
    else {
      const field = FIELDS[name];
      if (field) fields[field] = value;
    }
  }
  const named = opcode ? NAMED.exec(opcode) : null;
  const answered = response ? RESPONSE.exec(response) : null;
  if (!opcode || !answered || !fields.sequenceNo) return undefined;
  const { sequenceNo, ...rest } = fields;
  return {
    time: new Date(Number(BigInt(usecs) / 1000n)).toISOString(),
    usecs,
    sequenceNo,
    ...rest,
    opcode: named ? (named[1] as string) : opcode,
    ...(named ? { opcodeCode: named[2] as string } : {}),
    response: { code: Number(answered[1]), message: (answered[2] as string).trim() },
  };
}

/** Whether the record is a key's deletion that the HSM carried out (response code 0, "HSM Return: SUCCESS"). */
export function isKeyDeletion(record: HsmAuditRecord): boolean {
  return (KEY_DELETION_OPCODES as readonly string[]).includes(record.opcode) && record.response.code === 0;
}

/**
 * Whether a record's key handle (decimal) is the same number as a CloudHSM CLI key reference (`0x` and hex). No page
 * says the two name a key alike; a match is reported as such, never assumed.
 */
export function sameKeyNumber(keyHandle: string | undefined, keyReference: string | undefined): boolean {
  if (!keyHandle || !keyReference || !/^\d+$/.test(keyHandle) || !/^0x[0-9a-fA-F]+$/.test(keyReference)) return false;
  return BigInt(keyHandle) === BigInt(keyReference);
}
