import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudHSMV2Client, CreateClusterCommand, DescribeBackupsCommand } from "@aws-sdk/client-cloudhsm-v2";
import { LocalAccount } from "../../../../../local/account/account";
import { idAttribute, keyReference, runCliCommand } from "../../../../../local/account/cloudhsm/cli-commands";
import { activeHsms, CLUSTER } from "../../../../../local/account/cloudhsm/records";
import { LocalAccountConfigSchema } from "../../../../../local/account/config";
import type { ClusterRecord } from "../../../../../local/account/model";
import { CREDENTIALS } from "../../../../../local/account/process";
import { CONTROL_TOKEN_HEADER } from "../../../../../local/account/server";
import {
  type AccountDriver,
  type ActiveCluster,
  addHsm,
  type Login,
  provisionActiveCluster,
  subnetIdInZone,
} from "../../../../support/cloudhsm";

/**
 * The CLI's key commands need key material in the cluster token, which only KMS creates. This suite runs the local
 * account in-process so it can put backing keys in the token through ctx.hsm, as KMS does, and runs CLI commands
 * through the same function the /_local/cloudhsm-cli route calls.
 */
describe("CloudHSM CLI key commands and backups of key material", () => {
  let account: LocalAccount;
  let driver: AccountDriver;
  let active: ActiveCluster;
  let kmsuser: Login;
  const keys = Array.from({ length: 12 }, (_, i) => ({
    label: `arn:aws:kms:us-east-1:111122223333:key/${String(i).padStart(2, "0")}`,
    id: `${String(i).padStart(2, "0")}${"ab".repeat(31)}`,
  }));

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cli-unit-"));
    const config = LocalAccountConfigSchema.parse({ port: 0, dataDir });
    account = new LocalAccount(config);
    await account.start();
    driver = inProcessDriver(account);
    active = await provisionActiveCluster(driver);
    kmsuser = active.kmsuser as Login;
    for (const key of keys) account.ctx.hsm.generateKey(active.clusterId, key);
  });
  afterAll(() => account.stop());

  const cli = (args: string[], login?: Login) => driver.cli(["--cluster-id", active.clusterId, ...args], login).json;

  it("returns the first 10 keys with a next_token, then the rest, when key list pages with the default size", () => {
    const first = cli(["key", "list"], kmsuser)?.data as KeyList;
    const second = cli(["key", "list", "--starting-token", first.next_token as string], kmsuser)?.data as KeyList;

    expect(first).toMatchObject({ total_key_count: 12, returned_key_count: 10, next_token: "10" });
    expect(first.matched_keys[0]).toEqual({
      "key-reference": expect.stringMatching(/^0x[0-9a-f]{16}$/),
      attributes: { label: expect.stringContaining("arn:aws:kms:") },
    });
    expect(second).toMatchObject({ total_key_count: 12, returned_key_count: 2 });
    expect(second.next_token).toBeUndefined();
    const labels = [...first.matched_keys, ...second.matched_keys].map((k) => k.attributes.label);
    expect(new Set(labels)).toEqual(new Set(keys.map((k) => k.label)));
  });

  it("returns pages of --max-items keys when key list is given --max-items and --starting-token", () => {
    const page = cli(["key", "list", "--max-items", "5", "--starting-token", "5"], kmsuser)?.data as KeyList;

    expect(page).toMatchObject({ total_key_count: 12, returned_key_count: 5, next_token: "10" });
  });

  it("returns the one key with its id as hex of ASCII and kmsuser as owner when filtered by label with --verbose", () => {
    const key = keys[3] as { label: string; id: string };

    const out = cli(["key", "list", "--filter", `attr.label=${key.label}`, "--verbose"], kmsuser)?.data as KeyList;

    expect(out.total_key_count).toBe(1);
    expect(out.matched_keys[0]).toMatchObject({
      "key-reference": keyReference(active.clusterId, key.id),
      "key-info": { "key-owners": [{ username: "kmsuser", "key-coverage": "full" }], "shared-users": [] },
      attributes: {
        label: key.label,
        id: `0x${Buffer.from(key.id).toString("hex")}`,
        "key-type": "aes",
        "key-length-bytes": 32,
        extractable: false,
        token: true,
      },
    });
  });

  it("returns the same key when filtered by attr.id or key-reference, and none for the plain 0x+id form", () => {
    const key = keys[4] as { label: string; id: string };

    const byId = cli(["key", "list", "--filter", `attr.id=${idAttribute(key.id)}`], kmsuser)?.data as KeyList;
    const byReference = cli(
      ["key", "list", "--filter", `key-reference=${keyReference(active.clusterId, key.id)}`],
      kmsuser,
    )?.data as KeyList;
    const plain = cli(["key", "list", "--filter", `attr.id=0x${key.id}`], kmsuser)?.data as KeyList;

    expect(byId.matched_keys.map((k) => k.attributes.label)).toEqual([key.label]);
    expect(byReference.matched_keys.map((k) => k.attributes.label)).toEqual([key.label]);
    expect(plain.total_key_count).toBe(0);
  });

  it("returns nothing for an admin and another crypto user, who own no keys", () => {
    cli(["user", "create", "--username", "other", "--role", "crypto-user", "--password", "OtherPass1"], active.admin);
    const other: Login = { role: "crypto-user", username: "other", password: "OtherPass1" };

    expect(cli(["key", "list"], active.admin)?.data).toMatchObject({ total_key_count: 0 });
    expect(cli(["key", "list"], other)?.data).toMatchObject({ total_key_count: 0 });
    expect(cli(["key", "delete", "--filter", `attr.label=${keys[0]?.label}`], other)).toEqual({
      error_code: 1,
      data: "No key you own matches the filter; only a key's owner can delete it",
    });
  });

  it("returns an error when kmsuser owns keys and an admin tries to delete it", () => {
    expect(cli(["user", "delete", "--username", "kmsuser", "--role", "crypto-user"], active.admin)).toEqual({
      error_code: 1,
      data: "Cannot delete kmsuser: the user owns 12 key(s)",
    });
  });

  it("returns an error when a key delete filter matches more than one key", () => {
    expect(cli(["key", "delete", "--filter", "attr.key-type=aes"], kmsuser)).toEqual({
      error_code: 1,
      data: "The filter matches 12 keys; key delete deletes one key at a time",
    });
  });

  it("returns the documented message and removes the key when its owner deletes it, while a backup keeps it", async () => {
    const key = keys[0] as { label: string; id: string };
    await driver.advance("25h");
    const backupsBefore = await backups(active.clusterId);

    const out = cli(["key", "delete", "--filter", `attr.id=${idAttribute(key.id)}`], kmsuser);

    expect(out).toEqual({ error_code: 0, data: { message: "Key deleted successfully" } });
    expect(account.ctx.hsm.hasKey(active.clusterId, key.id)).toBe(false);
    expect(cli(["key", "list"], kmsuser)?.data).toMatchObject({ total_key_count: 11 });
    const newest = backupsBefore[0] as { BackupId: string };
    const record = account.ctx.store.get<{ keys: { id: string; owner: string }[] }>("backup", newest.BackupId);
    expect(record?.keys.map((k) => k.id)).toContain(key.id);
    expect(record?.keys.every((k) => k.owner === "kmsuser")).toBe(true);
  });

  it("returns the deleted key material, usable for decryption, in a cluster created from an earlier backup", async () => {
    const key = keys[0] as { label: string; id: string };
    const [newest] = await backups(active.clusterId);
    const out = await driver.cloudhsm().send(
      new CreateClusterCommand({
        HsmType: "hsm2m.medium",
        SubnetIds: [subnetIdInZone("a"), subnetIdInZone("b")],
        SourceBackupId: newest?.BackupId,
      }),
    );
    const clusterId = out.Cluster?.ClusterId as string;
    await driver.advance("5m");
    await addHsm(driver, clusterId, "a");

    const listed = driver.cli(
      ["--cluster-id", clusterId, "key", "list", "--filter", `attr.label=${key.label}`],
      kmsuser,
    ).json?.data as KeyList;

    expect(listed.total_key_count).toBe(1);
    expect(account.ctx.hsm.listKeys(clusterId)).toHaveLength(12);
    const blob = account.ctx.hsm.encrypt(clusterId, key.id, Buffer.from("recovered"), Buffer.alloc(0));
    expect(account.ctx.hsm.decrypt(clusterId, key.id, blob, Buffer.alloc(0)).toString()).toBe("recovered");
  });

  async function backups(clusterId: string) {
    const out = await driver.cloudhsm().send(new DescribeBackupsCommand({ Filters: { clusterIds: [clusterId] } }));
    return out.Backups ?? [];
  }

  it("returns an error naming the address, and answers once the addresses are right, when the configuration lists one that is not an ACTIVE HSM of the cluster", () => {
    const cluster = account.ctx.store.get<ClusterRecord>(CLUSTER, active.clusterId) as ClusterRecord;
    const addresses = activeHsms(cluster).map((hsm) => hsm.EniIp);
    const listUsers = (servers: string[]) =>
      account.ctx.store.tx(() =>
        runCliCommand(account.ctx, { clusterId: active.clusterId, servers, argv: ["user", "list"] }),
      );

    const stale = listUsers([...addresses, "10.0.250.250"]);
    const current = listUsers(addresses);

    expect(stale).toEqual({
      error_code: 1,
      data: `Cannot connect to HSM 10.0.250.250: it is not an active HSM of ${active.clusterId}`,
    });
    expect(current.error_code).toBe(0);
  });
});

type KeyList = {
  matched_keys: { "key-reference": string; attributes: { label: string } }[];
  total_key_count: number;
  returned_key_count: number;
  next_token?: string;
};

/** The fixture's view of an account, served in-process; CLI commands go through the route's function directly. */
function inProcessDriver(account: LocalAccount): AccountDriver {
  const { ctx } = account;
  return {
    region: ctx.config.region,
    cloudhsm: () =>
      new CloudHSMV2Client({
        endpoint: account.endpoint,
        region: ctx.config.region,
        credentials: CREDENTIALS,
        maxAttempts: 1,
      }),
    advance: async (by: string) => {
      const res = await fetch(`${account.endpoint}/_local/clock/advance`, {
        method: "POST",
        headers: { "content-type": "application/json", [CONTROL_TOKEN_HEADER]: account.controlToken },
        body: JSON.stringify({ by }),
      });
      return (await res.json()) as { now: string };
    },
    cli: (args: string[], login?: { role: string; username: string; password: string }) => {
      const at = args.indexOf("--cluster-id");
      const clusterId = at === -1 ? undefined : args[at + 1];
      const argv = at === -1 ? args : [...args.slice(0, at), ...args.slice(at + 2)];
      const json = ctx.store.tx(() =>
        runCliCommand(ctx, {
          argv,
          ...(clusterId ? { clusterId } : {}),
          ...(login ? { role: login.role, pin: `${login.username}:${login.password}` } : {}),
        }),
      );
      ctx.bus.flush();
      const stdout = `${JSON.stringify(json, null, 2)}\n`;
      return { status: json.error_code, stdout, stderr: "", json: json as { error_code: number; data: unknown } };
    },
  };
}
