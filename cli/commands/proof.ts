import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Command } from "commander";
import { DynamoProofs } from "../../src/adapters/proofs";
import type { AuditRecords, Proof } from "../../src/ports/proofs";
import { KEY_ARN } from "../../src/validation";
import { describeFate } from "../../src/workflows/deletion-follow-up/proof";
import { type CommandContext, pretty } from "../command";
import { EXIT, UsageError } from "../errors";
import { table } from "../status";
import { clientsFor, localDynamoDbEndpoint, resolveTarget, sdkConfig, type Target } from "../target";
import { SERVICE } from "../workflows";

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `proof <key>`: the chain of evidence that a deleted key's material is gone: KMS's record of the deletion, what
 * became of the material in the cluster, every backup that may hold it and its fate, and the proof's history. Read
 * from the register (the orphan register's table), which the deletion follow-up and the daily refresh keep.
 */
export function proofCommand(program: Command, { io, done, globals, waiting }: CommandContext): void {
  program
    .command("proof")
    .description("show the proof that a deleted key's material is gone from its cluster and every backup")
    .argument("<key>", "the deleted key: ARN or key id (an alias is gone with its key)")
    .addHelpText(
      "after",
      `
A proof opens when the deletion follow-up finds the key deleted, and is brought up to date daily. OPEN: the material
may still be restored (in the cluster, or in a backup that is READY); PENDING_PURGE: every backup holding it is
deleted but restorable until its purge; CLOSED: gone everywhere the product can see. Exit code 0 for CLOSED, 1 for a
proof still open, 2 when there is none. Once the material is gone from the cluster, the deletion records of the
cluster's HSM audit log (CloudWatch Logs /aws/cloudhsm/<cluster ID>) around that time are shown as evidence; a proof
closes without them, and says when none were found or the log could not be read.

Examples:
  keystore-autopilot proof arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
  keystore-autopilot proof 1234abcd-12ab-34cd-56ef-1234567890ab --json > proof.json`,
    )
    .action(async (key: string, _options: unknown, command) => {
      const opts = globals(command);
      if (!KEY_ARN.test(key) && !KEY_ID.test(key)) {
        throw new UsageError(`'${key}' is neither a key ARN nor a key id: a deleted key's alias no longer names it`);
      }
      const target = await resolveTarget(opts, waiting);
      const keyArn = KEY_ARN.test(key) ? key : await arnOf(target, key);
      const proof = await (await proofsFor(target)).get(keyArn);
      if (!proof) {
        throw new UsageError(
          `no proof of destruction for ${keyArn}: one opens when the deletion follow-up finds the key deleted`,
        );
      }
      io.stdout.write(opts.json ? `${pretty(proof)}\n` : renderProof(proof));
      done(proof.status === "CLOSED" ? EXIT.ok : EXIT.failed);
    });
}

/** A key id's ARN in the target's account and Region (DescribeKey first, for a key that still exists). */
async function arnOf(target: Target, keyId: string): Promise<string> {
  const { kms, sts } = clientsFor(target);
  const found = await kms.send(new DescribeKeyCommand({ KeyId: keyId })).catch(() => undefined);
  if (found?.KeyMetadata?.Arn) return found.KeyMetadata.Arn;
  const caller = await sts.send(new GetCallerIdentityCommand({}));
  const partition = caller.Arn?.split(":")[1] ?? "aws";
  return `arn:${partition}:kms:${await kms.config.region()}:${caller.Account}:key/${keyId}`;
}

async function proofsFor(target: Target): Promise<DynamoProofs> {
  const config = sdkConfig(target);
  const endpoint = target.kind === "local" ? await localDynamoDbEndpoint(target) : undefined;
  if (target.kind === "local" && !endpoint) {
    throw new UsageError("the local account has no register: start it with `npm start`, which serves one");
  }
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...config, ...(endpoint ? { endpoint } : {}) }));
  return new DynamoProofs(db, `${SERVICE}-${target.stage}-orphans`);
}

/**
 * The HSM audit log's records of the deletion (CloudHSM User Guide, interpreting-audit-logs.html): evidence only, so
 * their absence is said, never held against the proof.
 */
export function renderAuditRecords(audit: AuditRecords | undefined): string[] {
  if (!audit) return ["  audit log: not read (the material is not known gone, or its cluster is not known)"];
  const where = `${audit.logGroup}, ${audit.from} to ${audit.to}, read ${audit.readAt}`;
  if (audit.status === "NO_LOG_GROUP") return [`  audit log: no log group ${where} (${audit.error ?? ""})`];
  if (audit.status === "ACCESS_DENIED") return [`  audit log: not readable ${where} (${audit.error ?? ""})`];
  if (audit.status === "UNAVAILABLE")
    return [`  audit log: not read ${where}, tried again at the next refresh (${audit.error ?? ""})`];
  const others = audit.leftOut > 0 ? `; ${audit.leftOut} other deletion record(s) not kept` : "";
  const more = audit.truncated ? "; the log held more than was read" : "";
  if (audit.status === "NONE") return [`  audit log: no deletion record of this key in ${where}${others}${more}`];
  const tie =
    audit.matchedBy === "key-reference"
      ? "the key handle is the cleanup's key reference"
      : "deletions near the material's, not tied to this key: the records name a key handle only";
  return [
    `  audit log: ${audit.records.length} deletion record(s) in ${where} (${tie}${others}${more}):`,
    table(
      ["HSM", "SEQUENCE", "TIME", "OPCODE", "KEY HANDLE", "RESPONSE"],
      audit.records.map((r) => [r.hsmId, r.sequenceNo, r.time, r.opcode, r.keyHandle ?? "-", r.response]),
    ),
  ];
}

/** The proof for a terminal: what KMS said, the material, each backup and its fate, the status and its history. */
export function renderProof(proof: Proof): string {
  const lines = [
    `Proof of destruction for ${proof.keyArn}`,
    `  status:    ${proof.status}${proof.closedAt ? ` since ${proof.closedAt}` : ""}: ${proof.reason}`,
    `  key store: ${proof.customKeyStoreId}${proof.clusterId ? `, cluster ${proof.clusterId}` : ""}${proof.backingKeyId ? `, backing key ${proof.backingKeyId}` : ""}`,
    `  created:   ${proof.keyCreatedAt ?? "unknown (every backup counts)"}`,
    `  KMS:       DeleteKey ${proof.deletion.deleteKeyEventAt ?? "not recorded"}, backingKeysDeletionStatus ${proof.deletion.backingKeysDeletionStatus ?? "none"}; KMS CMK Deletion ${proof.deletion.cmkDeletionAt ?? "not recorded"}`,
    `  material:  ${proof.material.state}${proof.material.at ? ` at ${proof.material.at}` : ""}${proof.material.by ? ` (${proof.material.by === "kms" ? "KMS's DeleteKey record" : `listed as kmsuser by ${proof.material.by}`})` : ""}${proof.material.hsmKeyReference ? `, key reference ${proof.material.hsmKeyReference}` : ""}`,
    ...renderAuditRecords(proof.auditRecords),
    "",
    proof.backups.length === 0
      ? "  No backup may hold the material."
      : `  Backups that may hold the material (${proof.backups.length}):\n${table(
          ["BACKUP", "REGION", "CREATED", "STATE", "FATE"],
          proof.backups.map((b) => [
            b.sourceBackupId ? `${b.backupId} (copy of ${b.sourceBackupId})` : b.backupId,
            b.region,
            b.createdAt,
            b.state,
            describeFate(b),
          ]),
        )}`,
    "",
    `  History (opened ${proof.openedAt} by ${proof.openedBy}, updated ${proof.updatedAt}):`,
    table(
      ["AT", "STATUS", "WHY"],
      proof.history.map((h) => [h.at, h.status, h.reason]),
    ),
  ];
  return `${lines.join("\n")}\n`;
}
