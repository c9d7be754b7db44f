import { spawnSync } from "node:child_process";
import { CLI, LocalAccountProcess } from "../../local/account/process";
import {
  type ActiveCluster,
  addHsm,
  createCluster,
  describeCluster,
  initializeCluster,
  type Login,
  provisionActiveCluster,
} from "../support/cloudhsm";

describe("CloudHSM CLI (local/bin/cloudhsm-cli)", () => {
  let account: LocalAccountProcess;
  let active: ActiveCluster;
  let admin: Login;
  let kmsuser: Login;

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    active = await provisionActiveCluster(account);
    admin = active.admin;
    kmsuser = active.kmsuser as Login;
  });
  afterAll(() => account.stop());

  const cli = (args: string[], login?: Login, input?: string) =>
    account.cli(["--cluster-id", active.clusterId, ...args], login, input);
  /** What a user types at "Enter password:" and "Confirm password:". */
  const typed = (password: string, confirmation = password) => `${password}\n${confirmation}\n`;
  const userList = () => {
    const data = cli(["user", "list"], admin).json?.data as { users: { username: string; locked: string }[] };
    return data.users;
  };

  it("returns the documented activation message and an ACTIVE cluster when cluster activate reads the prompted password", async () => {
    const cluster = await createCluster(account, { zones: ["a", "c"] });
    const clusterId = cluster.ClusterId as string;
    await addHsm(account, clusterId, "a");
    await initializeCluster(account, clusterId);
    const before = account.cli(["--cluster-id", clusterId, "user", "list"]).json?.data as {
      users: { username: string; role: string }[];
    };

    const activate = (input: string) =>
      account.cli(["--cluster-id", clusterId, "cluster", "activate"], undefined, input);
    const mismatched = activate(typed("FirstAdmin1", "FirstAdmin2"));
    const unconfirmed = activate("FirstAdmin1\n");
    const stateAfterRefusals = (await describeCluster(account, clusterId)).State;
    const run = activate(typed("FirstAdmin1"));

    expect(before.users).toContainEqual(expect.objectContaining({ username: "admin", role: "unactivated-admin" }));
    expect(before.users).toContainEqual(
      expect.objectContaining({ username: "app_user", role: "internal(APPLIANCE_USER)" }),
    );
    // Two different entries, or no confirmation, are refused and change nothing.
    expect(mismatched).toMatchObject({ status: 1, json: { error_code: 1, data: "Passwords do not match" } });
    expect(unconfirmed.json).toEqual({
      error_code: 1,
      data: "No password confirmed: answer the 'Confirm password:' prompt",
    });
    expect(stateAfterRefusals).toBe("INITIALIZED");
    expect(run.status).toBe(0);
    expect(run.json).toEqual({ error_code: 0, data: "Cluster activation successful" });
    // The documented transcript: both prompts, never the answers, then the JSON (cloudhsm_cli-cluster-activate.html).
    expect(run.stdout).toBe(`Enter password:\nConfirm password:\n${JSON.stringify(run.json, null, 2)}\n`);
    expect((await describeCluster(account, clusterId)).State).toBe("ACTIVE");
    const again = account.cli(["--cluster-id", clusterId, "cluster", "activate", "--password", "FirstAdmin1"]);
    expect(again.json).toEqual({ error_code: 1, data: `Cluster ${clusterId} is already activated` });
    expect(
      account.cli(["--cluster-id", clusterId, "user", "list"], {
        role: "admin",
        username: "admin",
        password: "FirstAdmin1",
      }).json?.error_code,
    ).toBe(0);
  });

  it("returns the documented user list entries when user list is run", () => {
    const run = cli(["user", "list"], admin);

    expect(run.status).toBe(0);
    expect(run.json?.data).toEqual({
      users: expect.arrayContaining([
        { username: "admin", role: "admin", locked: "false", mfa: [], quorum: [], "cluster-coverage": "full" },
        { username: "kmsuser", role: "crypto-user", locked: "false", mfa: [], quorum: [], "cluster-coverage": "full" },
      ]),
    });
  });

  it("returns the username and role when user create is run by an admin, and refuses a crypto user", () => {
    const mismatched = cli(
      ["user", "create", "--username", "Alice_1", "--role", "crypto-user"],
      admin,
      typed("AlicePass1", "AlicePass2"),
    );
    const noneTyped = cli(["user", "create", "--username", "Alice_1", "--role", "crypto-user"], admin, "");
    const namesAfterRefusals = userList().map((u) => u.username);
    const created = cli(
      ["user", "create", "--username", "Alice_1", "--role", "crypto-user"],
      admin,
      typed("AlicePass1"),
    );
    const byCu = cli(
      ["user", "create", "--username", "bob", "--role", "crypto-user", "--password", "BobPassw0rd"],
      kmsuser,
    );
    const duplicate = cli(
      ["user", "create", "--username", "alice_1", "--role", "admin", "--password", "AlicePass1"],
      admin,
    );
    const badName = cli(
      ["user", "create", "--username", "bad-name", "--role", "crypto-user", "--password", "Passw0rd1"],
      admin,
    );

    expect(mismatched.json).toEqual({ error_code: 1, data: "Passwords do not match" });
    expect(noneTyped.json).toEqual({
      error_code: 1,
      data: "No password entered: pass --password or answer the 'Enter password:' prompt",
    });
    expect(namesAfterRefusals).not.toContain("alice_1");
    expect(created.json).toEqual({ error_code: 0, data: { username: "alice_1", role: "crypto-user" } });
    expect(byCu).toMatchObject({ status: 1, json: { error_code: 1, data: "Only an admin can create users" } });
    expect(duplicate.json).toEqual({ error_code: 1, data: "User alice_1 already exists" });
    expect(badName.json?.error_code).toBe(1);
  });

  it("returns the login data and keeps the session open until logout when login is run", () => {
    const login = cli(["login", "--username", "alice_1", "--role", "crypto-user"], {
      role: "crypto-user",
      username: "alice_1",
      password: "AlicePass1",
    });
    const change = cli(
      ["user", "change-password", "--username", "alice_1", "--role", "crypto-user", "--password", "NewAlice1"],
      admin,
    );
    const logout = cli(["logout"], { role: "crypto-user", username: "alice_1", password: "AlicePass1" });
    const changeAfter = cli(
      ["user", "change-password", "--username", "alice_1", "--role", "crypto-user"],
      admin,
      typed("NewAlice1"),
    );

    expect(login.json).toEqual({ error_code: 0, data: { username: "alice_1", role: "crypto-user" } });
    expect(change.json).toEqual({
      error_code: 1,
      data: "Cannot change the password of alice_1: the user is logged in (1 open session(s)); log it out first",
    });
    expect(logout.json).toEqual({ error_code: 0, data: "Logout successful" });
    expect(changeAfter.json).toEqual({ error_code: 0, data: { username: "alice_1", role: "crypto-user" } });
  });

  it("returns a crypto user's own password change, and refuses one for another user", () => {
    const alice = { role: "crypto-user", username: "alice_1", password: "NewAlice1" } as const;

    const mismatched = cli(
      ["user", "change-password", "--username", "alice_1", "--role", "crypto-user"],
      alice,
      typed("Alice2nd1", "Alice2nd2"),
    );
    const oldStillOpens = cli(["user", "list"], alice);
    const own = cli(
      ["user", "change-password", "--username", "alice_1", "--role", "crypto-user"],
      alice,
      typed("Alice2nd1"),
    );
    const other = cli(
      ["user", "change-password", "--username", "kmsuser", "--role", "crypto-user", "--password", "Hijack123"],
      { ...alice, password: "Alice2nd1" },
    );

    expect(mismatched.json).toEqual({ error_code: 1, data: "Passwords do not match" });
    // The refused change left the password as it was: alice still logs in with it.
    expect(oldStillOpens.json?.error_code).toBe(0);
    expect(own.json?.error_code).toBe(0);
    expect(other.json).toEqual({
      error_code: 1,
      data: "A crypto user can only change its own password; an admin can change any user's",
    });
  });

  it("returns a lock-out after five bad logins, a clear error for the right password, and unlocks on change-password", () => {
    const wrong = { role: "crypto-user", username: "alice_1", password: "WrongPass1" } as const;
    const results = Array.from({ length: 5 }, () => cli(["key", "list"], wrong).json?.data);
    const rightButLocked = cli(["key", "list"], { ...wrong, password: "Alice2nd1" });
    const locked = userList().find((u) => u.username === "alice_1")?.locked;
    const reset = cli(
      ["user", "change-password", "--username", "alice_1", "--role", "crypto-user", "--password", "Alice3rd1"],
      admin,
    );
    const afterReset = cli(["key", "list"], { ...wrong, password: "Alice3rd1" });

    expect(results[0]).toBe("Login failed: incorrect password for alice_1 (1 of 5 failed attempts before lock-out)");
    expect(results[4]).toBe(
      "Login failed: incorrect password for alice_1. The user is now locked out after 5 failed login attempts",
    );
    expect(rightButLocked.json).toEqual({
      error_code: 1,
      data: "Login failed: user alice_1 is locked out after 5 failed login attempts; an admin must reset its password with 'user change-password'",
    });
    expect(locked).toBe("true");
    expect(reset.json?.error_code).toBe(0);
    expect(afterReset.json?.error_code).toBe(0);
    expect(userList().find((u) => u.username === "alice_1")?.locked).toBe("false");
  });

  it("returns an empty key list for kmsuser and for an admin, and refuses filtering for an admin", () => {
    const asKmsuser = cli(["key", "list"], kmsuser);
    const asAdmin = cli(["key", "list", "--verbose"], admin);
    const adminFilter = cli(["key", "list", "--filter", "attr.label=x"], admin);
    const badFilter = cli(["key", "list", "--filter", "label"], kmsuser);
    const noMatch = cli(["key", "delete", "--filter", "attr.label=missing"], kmsuser);
    const adminDelete = cli(["key", "delete", "--filter", "attr.label=missing"], admin);

    expect(asKmsuser.json).toEqual({
      error_code: 0,
      data: { matched_keys: [], total_key_count: 0, returned_key_count: 0 },
    });
    expect(asAdmin.json?.data).toEqual({ matched_keys: [], total_key_count: 0, returned_key_count: 0 });
    expect(adminFilter.json).toEqual({ error_code: 1, data: "To filter keys, you must be logged in as a crypto user" });
    expect(badFilter.json?.error_code).toBe(1);
    expect(noMatch.json).toEqual({
      error_code: 1,
      data: "No key you own matches the filter; only a key's owner can delete it",
    });
    expect(adminDelete.json).toEqual({ error_code: 1, data: "Only a crypto user who owns a key can delete it" });
  });

  it("returns the user deleted when an admin runs user delete, and refuses to delete a logged-in user or itself", () => {
    const carol = { role: "crypto-user", username: "carol", password: "CarolPass1" } as const;
    cli(["user", "create", "--username", "carol", "--role", "crypto-user", "--password", carol.password], admin);
    cli(["login", "--username", "carol", "--role", "crypto-user"], carol);

    const whileLoggedIn = cli(["user", "delete", "--username", "carol", "--role", "crypto-user"], admin);
    cli(["logout"], carol);
    const deleted = cli(["user", "delete", "--username", "carol", "--role", "crypto-user"], admin);
    const self = cli(["user", "delete", "--username", "admin", "--role", "admin"], admin);
    const byCu = cli(["user", "delete", "--username", "alice_1", "--role", "crypto-user"], kmsuser);

    expect(whileLoggedIn.json).toEqual({ error_code: 1, data: "Cannot delete carol: the user is logged in" });
    expect(deleted.json).toEqual({ error_code: 0, data: { username: "carol", role: "crypto-user" } });
    expect(self.json?.error_code).toBe(1);
    expect(byCu.json).toEqual({ error_code: 1, data: "Only an admin can delete users" });
    expect(userList().map((u) => u.username)).not.toContain("carol");
  });

  it("returns the injected error once, with no effect, when a cli-error fault is armed", async () => {
    await account.arm({
      kind: "cli-error",
      command: "user create",
      message: "Specified user is inconsistent across the cluster",
    });

    const failed = cli(
      ["user", "create", "--username", "dave", "--role", "crypto-user", "--password", "DavePass1"],
      admin,
    );
    const listed = cli(["user", "list"], admin);
    const retried = cli(
      ["user", "create", "--username", "dave", "--role", "crypto-user", "--password", "DavePass1"],
      admin,
    );

    expect(failed).toMatchObject({
      status: 1,
      json: { error_code: 1, data: "Specified user is inconsistent across the cluster" },
    });
    expect(listed.json?.error_code).toBe(0);
    expect(retried.json?.error_code).toBe(0);
  });

  it("returns clear errors and never prints the password when credentials or arguments are wrong", () => {
    const secret = "S3cretNeverShown";
    const runs = [
      cli(["key", "list"]),
      cli(["key", "list"], { role: "auditor" as "admin", username: "admin", password: secret }),
      cli(["key", "list"], { role: "admin", username: "nobody", password: secret }),
      cli(["user", "create", "--username", "eve", "--role", "crypto-user", "--pasword", secret], admin),
      cli(["user", "create", "--username", "eve", "--role", "crypto-user", secret], admin),
      cli(["user", "change-password", "--username", "eve", "--role", "crypto-user", "--password", secret], admin),
      cli(["user", "change-password", "--username", "alice_1", "--role", "crypto-user"], admin, typed(secret, "x")),
      cli(["frobnicate", secret], admin),
      cli(["user", "list"], { role: "admin", username: "admin", password: secret }),
    ];

    expect(runs[0]?.json?.data).toBe("Not logged in: set CLOUDHSM_ROLE and CLOUDHSM_PIN=<username>:<password>");
    expect(runs[2]?.json?.data).toBe("Login failed: there is no admin user named nobody");
    for (const run of runs) {
      expect(run.status).toBe(1);
      expect(run.json?.error_code).toBe(1);
      expect(`${run.stdout}${run.stderr}`).not.toContain(secret);
    }
    // The wrong admin password above counted as one failed attempt; a good login clears it.
    expect(cli(["user", "list"], admin).json?.error_code).toBe(0);
  });

  it("returns the supported commands when run with --help, and an error when the cluster is ambiguous", () => {
    const help = spawnSync(CLI, ["--help"], { encoding: "utf8" });
    const ambiguous = account.cli(["user", "list"], admin);

    expect(help.status).toBe(0);
    expect(help.stdout).toContain("key list [--filter <FILTER>...]");
    expect(help.stdout).toContain("CLOUDHSM_PIN=<username>:<password>");
    expect(help.stdout).toContain("user change-password --username <USERNAME> --role <admin|crypto-user> [--password");
    expect(ambiguous.json).toEqual({
      error_code: 1,
      data: "The configuration names several clusters: choose one with --cluster-id",
    });
  });

  it("returns an error and runs nothing when --cluster-id comes before the command words or no configuration exists", () => {
    // The shipped local/bin has no etc/ beside it: like a fresh install of the real CLI, it is not configured.
    const early = spawnSync(CLI, ["--cluster-id", "cluster-abcdefghijk", "user", "list"], { encoding: "utf8" });
    const unconfigured = spawnSync(CLI, ["user", "list", "--cluster-id", "cluster-abcdefghijk"], { encoding: "utf8" });

    expect(JSON.parse(early.stdout)).toEqual({ error_code: 1, data: "unexpected argument '--cluster-id' found" });
    expect(early.status).toBe(1);
    expect(JSON.parse(unconfigured.stdout)).toEqual({
      error_code: 1,
      data: expect.stringMatching(/^No configuration at .*cloudhsm-cli\.cfg: run configure-cli add-cluster/),
    });
  });

  it("returns an error naming the cluster when it has no ACTIVE HSM, so it could not be configured", async () => {
    const cluster = await createCluster(account, { zones: ["b"] });

    const run = account.cli(["--cluster-id", cluster.ClusterId as string, "key", "list"], admin);

    expect(run.json).toEqual({
      error_code: 1,
      data: `Cluster ${cluster.ClusterId} is not in the configuration`,
    });
  });

  it("returns the same users and lock state when the account is killed and restarted", async () => {
    cli(["login", "--username", "kmsuser", "--role", "crypto-user"], kmsuser);
    const before = userList();

    await account.crashAndRestart();

    expect(userList()).toEqual(before);
    expect(
      cli(
        ["user", "change-password", "--username", "kmsuser", "--role", "crypto-user", "--password", "Another12"],
        admin,
      ).json?.error_code,
    ).toBe(1);
    expect(cli(["logout"], kmsuser).json).toEqual({ error_code: 0, data: "Logout successful" });
  });

  it("returns keys shared with the user and every public key, and lets only the owner delete one", async () => {
    const label = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const plant = (body: Record<string, unknown>) =>
      account.control("POST", "/_local/actions/plant-hsm-key", { clusterId: active.clusterId, label, ...body });
    await plant({ owner: "alice", sharedWith: ["kmsuser"] });
    await plant({ owner: "alice", class: "public-key" });
    await plant({ owner: "alice" });

    const listed = cli(["key", "list", "--verbose"], kmsuser).json?.data as {
      matched_keys: {
        "key-reference": string;
        "key-info": { "key-owners": { username: string }[] };
        attributes: { class: string };
      }[];
      total_key_count: number;
    };
    const shared = listed.matched_keys.find((k) => k.attributes.class === "secret-key");
    const refused = cli(["key", "delete", "--filter", `key-reference=${shared?.["key-reference"]}`], kmsuser);

    // "The output includes keys that the user owns and shares, as well as all public keys" (cloudhsm_cli-key-list).
    expect(listed.total_key_count).toBe(2);
    expect(
      listed.matched_keys.map((k) => [k["key-info"]["key-owners"][0]?.username, k.attributes.class]).sort(),
    ).toEqual([
      ["alice", "public-key"],
      ["alice", "secret-key"],
    ]);
    expect(refused.json).toEqual({ error_code: 1, data: "Only a key's owner can delete it" });
  });
});
