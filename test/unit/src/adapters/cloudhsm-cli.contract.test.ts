import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CliRun,
  CloudHsmCli,
  type ListedKey,
  listedKey,
  parseCliOutput,
} from "../../../../src/adapters/cloudhsm-cli";
import { HsmCommandError, type HsmCredential, HsmListingInconsistentError } from "../../../../src/ports/hsm";

/**
 * The contract with the CloudHSM CLI outputs AWS documents (test/events/aws/cloudhsm-cli-*.json, SOURCES.md names each
 * page and block): each documented stdout goes through the adapter's own parsing into the Hsm port's result, which
 * must carry the documented values. A field renamed, `data` unwrapped wrongly or "locked" read as the wrong type
 * fails here.
 */
const DIR = join(__dirname, "../../../events/aws");
const stdoutOf = (name: string) => readFileSync(join(DIR, `cloudhsm-cli-${name}.json`), "utf8");
const documented = (name: string) => JSON.parse(stdoutOf(name)) as { error_code: number; data: unknown };

const CLUSTER = "cluster-1234567";
const ADMIN: HsmCredential = { username: "admin", role: "admin", password: "Admin0Password" };
const CU: HsmCredential = { username: "cu1", role: "crypto-user", password: "Cu0Password" };

/** A CLI that prints the given documented outputs in turn and records how it was called. */
function documentedCli(...outputs: string[]) {
  const calls: { argv: string[]; env: Record<string, string>; stdin?: string }[] = [];
  const cli = new CloudHsmCli(async (argv, env, stdin) => {
    calls.push({ argv, env, ...(stdin !== undefined ? { stdin } : {}) });
    const stdout = outputs.shift();
    if (stdout === undefined) throw new Error(`no documented output left for ${argv.join(" ")}`);
    return { stdout, exitCode: 0 };
  });
  return { cli, calls };
}
const run = (stdout: string): CliRun => ({ stdout, exitCode: 0 });

describe("the CloudHSM CLI adapter against AWS's documented outputs", () => {
  it("returns each user with its role, a boolean lock state and full coverage when user list prints the documented users", async () => {
    const { cli, calls } = documentedCli(stdoutOf("user-list"), stdoutOf("user-list"));
    const users = documented("user-list").data as { users: { username: string; role: string; locked: string }[] };

    const listed = await cli.listUsers(CLUSTER, ADMIN);
    const coverage = await cli.userCoverage(CLUSTER, ADMIN, "TEST_USER");

    // The page prints "locked" as the string "false" (cloudhsm_cli-user-list); the port's `locked` is a boolean.
    expect(listed).toEqual(
      users.users.map((u) => ({ username: u.username, role: u.role, locked: u.locked === "true" })),
    );
    expect(listed.map((u) => u.locked)).toEqual([false, false, false]);
    expect(coverage).toBe("full");
    expect(calls[0]?.argv).toEqual(["user", "list", "--cluster-id", CLUSTER]);
  });

  it("returns every attribute the port reads when key list --verbose prints the documented keys", () => {
    const pages = ["key-list-verbose-page-1", "key-list-verbose-page-2"].map(
      (name) => documented(name).data as { matched_keys: ListedKey[] },
    );

    const keys = pages.flatMap((page) => page.matched_keys.map(listedKey));

    expect(keys[0]).toEqual({
      reference: "0x0000000000000030",
      label: "98a6688d1d964ed7b45b9cec5c4b1909",
      id: "",
      owners: ["cu1"],
      sharedWith: [],
      keyClass: "secret-key",
      keyType: "aes",
      token: true,
      extractable: true,
      lengthBytes: 32,
    });
    expect(keys.map((k) => [k.reference, k.label, k.lengthBytes])).toEqual([
      ["0x0000000000000030", "98a6688d1d964ed7b45b9cec5c4b1909", 32],
      ["0x0000000000000042", "4ad6cdcbc02044e09fa954143efde233", 16],
      ["0x0000000000000081", "6793b8439d044046982e5b895791e47f", 32],
      ["0x0000000000000089", "56b30fa05c6741faab8f606d3b7fe105", 32],
    ]);
  });

  it("asks for the next page with the documented next_token and rejects pages that fall short of total_key_count", async () => {
    // The documented pages hold 4 of 1,580 keys: a listing that ends there must not pass for complete.
    const last = JSON.stringify({
      error_code: 0,
      data: { matched_keys: [], total_key_count: 1580, returned_key_count: 0 },
    });
    const { cli, calls } = documentedCli(
      stdoutOf("key-list-verbose-page-1"),
      stdoutOf("key-list-verbose-page-2"),
      last,
    );

    await expect(cli.listKeys(CLUSTER, CU)).rejects.toBeInstanceOf(HsmListingInconsistentError);
    expect(
      calls.map((c) => c.argv.slice(c.argv.indexOf("--starting-token"), c.argv.indexOf("--starting-token") + 2)),
    ).toEqual([[], ["--starting-token", "2"], ["--starting-token", "4"]]);
  });

  it("returns without error when key delete, logout, user create, change-password and activate print the documented answers", async () => {
    const { cli, calls } = documentedCli(
      stdoutOf("key-delete"),
      stdoutOf("logout"),
      stdoutOf("user-create"),
      stdoutOf("user-change-password"),
      // The page's transcript prints the prompts before the JSON; whether they reach stdout is not documented.
      `Enter password:\nConfirm password:\n${stdoutOf("cluster-activate")}`,
    );

    await cli.deleteKey(CLUSTER, CU, "0x000000000012000d");
    await cli.logout(CLUSTER, CU);
    await cli.createUser(CLUSTER, ADMIN, { username: "alice", role: "crypto-user" }, "Alice0Password");
    await cli.changePassword(CLUSTER, ADMIN, { username: "bob", role: "crypto-user" }, "Bob0Password");
    await cli.activateCluster(CLUSTER, "Admin0Password");

    expect(calls.map((c) => c.argv.slice(0, 2))).toEqual([
      ["key", "delete"],
      ["logout", "--cluster-id"],
      ["user", "create"],
      ["user", "change-password"],
      ["cluster", "activate"],
    ]);
    const argv = calls.flatMap((c) => c.argv).join(" ");
    for (const password of ["Alice0Password", "Bob0Password", "Admin0Password"]) expect(argv).not.toContain(password);
  });

  it("returns the documented data of login, logout, user create, change-password, activate and key delete", () => {
    for (const name of ["login", "logout", "user-create", "user-change-password", "cluster-activate", "key-delete"]) {
      expect(parseCliOutput(run(stdoutOf(name)))).toEqual(documented(name).data);
    }
    expect(parseCliOutput(run(stdoutOf("login")))).toEqual({ username: "admin1", role: "admin" });
    expect(parseCliOutput(run(stdoutOf("cluster-activate")))).toBe("Cluster activation successful");
  });

  it("throws HsmCommandError with the CLI's message when a command prints the documented error_code 1", () => {
    const attempt = () => parseCliOutput(run(stdoutOf("error-quorum")));

    expect(attempt).toThrow(HsmCommandError);
    expect(attempt).toThrow("Quorum approval is required for this operation");
  });
});
