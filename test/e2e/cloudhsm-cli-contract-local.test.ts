import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LocalAccountProcess } from "../../local/account/process";
import { shapeDifferences } from "../support/aws-fixtures";
import { addHsm, createCluster, initializeCluster, type Login } from "../support/cloudhsm";

/**
 * The local CloudHSM CLI (local/bin/cloudhsm-cli, configured with configure-cli add-cluster as the adapter does)
 * against the outputs AWS documents (test/events/aws/cloudhsm-cli-*.json, SOURCES.md): for each command the product
 * runs, the same keys, recursively, with the same JSON types. Each allowed difference names why.
 */
const documented = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, "../events/aws", `cloudhsm-cli-${name}.json`), "utf8"));

/**
 * `quorum` on each user: the user list of "Quorum authentication for admins" (quorum-auth-chsm-cli-admin, block 5)
 * prints it after `mfa`; the user list page's older example leaves it out.
 */
const USER_LIST_OPTIONAL = new Set(["data.users[].quorum"]);

const differences = shapeDifferences;

describe("the local CloudHSM CLI's outputs against AWS's documented ones", () => {
  let account: LocalAccountProcess;
  let clusterId: string;
  const outputs: Record<string, unknown> = {};
  const admin: Login = { role: "admin", username: "admin", password: "AdminPassw0rd" };
  const kmsuser: Login = { role: "crypto-user", username: "kmsuser", password: "KmsuserPassw0rd" };
  const typed = (password: string) => `${password}\n${password}\n`;

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    const cli = (args: string[], login?: Login, input?: string) =>
      account.cli(["--cluster-id", clusterId, ...args], login, input).json;
    clusterId = (await createCluster(account, { zones: ["a", "b"] })).ClusterId as string;
    await addHsm(account, clusterId, "a");
    await initializeCluster(account, clusterId);
    outputs["cluster-activate"] = cli(["cluster", "activate"], undefined, typed(admin.password));
    await addHsm(account, clusterId, "b");
    outputs["user-create"] = cli(
      ["user", "create", "--username", "kmsuser", "--role", "crypto-user"],
      admin,
      typed(kmsuser.password),
    );
    cli(["user", "create", "--username", "alice", "--role", "crypto-user"], admin, typed("AlicePassw0rd"));
    outputs["user-change-password"] = cli(
      ["user", "change-password", "--username", "alice", "--role", "crypto-user"],
      admin,
      typed("AlicePassw0rd2"),
    );
    outputs["user-list"] = cli(["user", "list"], admin);
    for (const label of ["first", "second", "third"]) {
      await account.control("POST", "/_local/actions/plant-hsm-key", { clusterId, label, owner: "kmsuser" });
    }
    outputs["key-list-verbose-page-1"] = cli(["key", "list", "--verbose", "--max-items", "2"], kmsuser);
    const token = (outputs["key-list-verbose-page-1"] as { data: { next_token: string } }).data.next_token;
    const last = cli(["key", "list", "--verbose", "--max-items", "2", "--starting-token", token], kmsuser);
    outputs["key-list-last-page"] = last;
    const reference = (last as { data: { matched_keys: { "key-reference": string }[] } }).data.matched_keys[0]?.[
      "key-reference"
    ];
    outputs["key-delete"] = cli(["key", "delete", "--filter", `key-reference=${reference}`], kmsuser);
    outputs.login = cli(["login", "--username", "kmsuser", "--role", "crypto-user"], kmsuser);
    outputs.logout = cli(["logout"], kmsuser);
    outputs.error = cli(["user", "list"], { ...admin, password: "NotThePassw0rd" });
  });
  afterAll(() => account.stop());

  it.each(["login", "logout", "user-create", "user-change-password", "cluster-activate", "key-delete"])(
    "returns the documented shape when %s succeeds",
    (name) => {
      expect(differences(outputs[name], documented(name))).toEqual([]);
      expect(outputs[name]).toMatchObject({ error_code: 0 });
    },
  );

  it("returns each user with the documented fields and a string lock state when user list is run", () => {
    expect(differences(outputs["user-list"], documented("user-list"), USER_LIST_OPTIONAL)).toEqual([]);
    const users = (outputs["user-list"] as { data: { users: { username: string; locked: unknown }[] } }).data.users;
    expect(users.map((u) => typeof u.locked)).toEqual(users.map(() => "string"));
  });

  it("returns the documented verbose entries, counts and next_token when key list is paged", () => {
    expect(differences(outputs["key-list-verbose-page-1"], documented("key-list-verbose-page-1"))).toEqual([]);
    // The last page has no next_token: the documented pages both have one, so the last page may leave it out.
    expect(
      differences(outputs["key-list-last-page"], documented("key-list-verbose-page-2"), new Set(["data.next_token"])),
    ).toEqual([]);
    expect(outputs["key-list-last-page"]).toMatchObject({ data: { total_key_count: 3, returned_key_count: 1 } });
  });

  it("returns error_code 1 and the message as a string, the documented failure shape, when a command fails", () => {
    expect(differences(outputs.error, documented("error-quorum"))).toEqual([]);
    expect(outputs.error).toMatchObject({ error_code: 1 });
  });
});
