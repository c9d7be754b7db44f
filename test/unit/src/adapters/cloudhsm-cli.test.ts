import {
  type CliRun,
  CloudHsmCli,
  classify,
  cliPathFor,
  DEFAULT_CLI_PATH,
  parseCliOutput,
  processRunner,
} from "../../../../src/adapters/cloudhsm-cli";
import { cliFailed, cliOk } from "../../../support/fakes";

const admin = { username: "admin", role: "admin" as const, password: "AdminPassw0rd" };

describe("CloudHSM CLI adapter", () => {
  it("returns users with their lock state when `user list` prints the documented JSON", async () => {
    const calls: { argv: string[]; env: Record<string, string> }[] = [];
    const cli = new CloudHsmCli(async (argv, env) => {
      calls.push({ argv, env });
      return cliOk({
        users: [
          { username: "admin", role: "admin", locked: "false", mfa: [], quorum: [], "cluster-coverage": "full" },
          { username: "kmsuser", role: "crypto-user", locked: "true", mfa: [], quorum: [], "cluster-coverage": "full" },
        ],
      });
    });

    const users = await cli.listUsers("cluster-abcdefghijk", admin);

    expect(users).toEqual([
      { username: "admin", role: "admin", locked: false },
      { username: "kmsuser", role: "crypto-user", locked: true },
    ]);
    expect(calls[0]).toEqual({
      argv: ["user", "list", "--cluster-id", "cluster-abcdefghijk"],
      env: { CLOUDHSM_ROLE: "admin", CLOUDHSM_PIN: "admin:AdminPassw0rd" },
    });
  });

  it("returns the new password on standard input, never in argv, when change-password and user create run", async () => {
    const calls: { argv: string[]; env: Record<string, string>; stdin?: string }[] = [];
    const cli = new CloudHsmCli(async (argv, env, stdin) => {
      calls.push({ argv, env, stdin });
      return cliOk(argv.includes("logout") ? "Logout successful" : { username: "kmsuser", role: "crypto-user" });
    });

    await cli.changePassword(
      "cluster-abcdefghijk",
      admin,
      { username: "kmsuser", role: "crypto-user" },
      "NewPassw0rd1",
    );
    await cli.createUser("cluster-abcdefghijk", admin, { username: "alice", role: "crypto-user" }, "AlicePassw0rd");
    await cli.logout("cluster-abcdefghijk", { username: "kmsuser", role: "crypto-user", password: "NewPassw0rd1" });

    expect(calls).toEqual([
      {
        argv: [
          "user",
          "change-password",
          "--username",
          "kmsuser",
          "--role",
          "crypto-user",
          "--cluster-id",
          "cluster-abcdefghijk",
        ],
        env: { CLOUDHSM_ROLE: "admin", CLOUDHSM_PIN: "admin:AdminPassw0rd" },
        stdin: "NewPassw0rd1\nNewPassw0rd1\n",
      },
      {
        argv: ["user", "create", "--username", "alice", "--role", "crypto-user", "--cluster-id", "cluster-abcdefghijk"],
        env: { CLOUDHSM_ROLE: "admin", CLOUDHSM_PIN: "admin:AdminPassw0rd" },
        stdin: "AlicePassw0rd\nAlicePassw0rd\n",
      },
      {
        argv: ["logout", "--cluster-id", "cluster-abcdefghijk"],
        env: { CLOUDHSM_ROLE: "crypto-user", CLOUDHSM_PIN: "kmsuser:NewPassw0rd1" },
        stdin: undefined,
      },
    ]);
  });

  it("returns HsmCommandError without running the CLI when a new password holds a line break", async () => {
    let runs = 0;
    const cli = new CloudHsmCli(async () => {
      runs++;
      return cliOk({});
    });

    await expect(
      cli.changePassword("cluster-abcdefghijk", admin, { username: "kmsuser", role: "crypto-user" }, "Passw0rd\nx"),
    ).rejects.toMatchObject({ name: "HsmCommandError", message: "A new password cannot contain a line break" });
    expect(runs).toBe(0);
  });

  it("returns the JSON answer when the CLI printed its password prompts before it", () => {
    const run: CliRun = {
      stdout: `Enter password:\nConfirm password:\n${JSON.stringify({ error_code: 0, data: "Cluster activation successful" }, null, 2)}\n`,
      exitCode: 0,
    };

    expect(parseCliOutput(run)).toBe("Cluster activation successful");
  });

  it.each([
    ["Login failed: user kmsuser is locked out after 5 failed login attempts", "HsmUserLockedOutError"],
    [
      "Cannot change the password of kmsuser: the user is logged in (1 open session(s)); log it out first",
      "HsmUserLoggedInError",
    ],
    ["Login failed: incorrect password for kmsuser (1 of 5 failed attempts before lock-out)", "HsmLoginFailedError"],
    ["Not logged in: set CLOUDHSM_ROLE and CLOUDHSM_PIN=<username>:<password>", "HsmLoginFailedError"],
    ["There is no crypto-user user named kmsuser", "HsmUserNotFoundError"],
    ["User kmsuser already exists", "HsmUserExistsError"],
    ["Cluster cluster-abcdefghijk has no ACTIVE HSM; the CloudHSM CLI cannot connect to it", "HsmUnavailableError"],
    ["Cluster cluster-abcdefghijk not found", "HsmClusterNotFoundError"],
    ["Cannot reach the local account at http://127.0.0.1:4599: ECONNREFUSED", "HsmPathUnavailableError"],
    ["Connection to 10.0.1.5:2223 timed out", "HsmPathUnavailableError"],
    ["TLS handshake failed: certificate verify failed", "HsmPathUnavailableError"],
    ["Specified user is inconsistent across the cluster", "HsmCommandError"],
  ])("returns a named error when the CLI answers %j", (message, name) => {
    expect(classify(message).name).toBe(name);
  });

  it("returns errors without the password when the CLI echoes it", () => {
    expect(() => parseCliOutput(cliFailed("bad value NewPassw0rd1 for --password"), ["NewPassw0rd1"])).toThrow(
      "bad value *** for --password",
    );
  });

  it("returns HsmCommandError when the CLI prints no JSON", () => {
    expect(() => parseCliOutput({ stdout: "Segmentation fault", exitCode: 139 })).toThrow(
      expect.objectContaining({ name: "HsmCommandError" }),
    );
  });

  it.each(["ENOENT", "EACCES", "TIMEOUT"])(
    "returns HsmPathUnavailableError, never HsmUnavailableError, when the CLI process fails with %s",
    (spawnError) => {
      expect(() => parseCliOutput({ stdout: "", exitCode: null, spawnError })).toThrow(
        expect.objectContaining({ name: "HsmPathUnavailableError" }),
      );
    },
  );

  it("returns HsmPathUnavailableError when the binary does not exist", async () => {
    const cli = new CloudHsmCli(processRunner({ cliPath: "/nonexistent/cloudhsm-cli" }));

    await expect(
      cli.listUsers("cluster-abcdefghijk", { username: "admin", role: "admin", password: "Passw0rd1" }),
    ).rejects.toMatchObject({ name: "HsmPathUnavailableError" });
  });

  it("returns the configured path, else the layer path, whatever local-account variables say", () => {
    expect(cliPathFor(undefined)).toBe(DEFAULT_CLI_PATH);
    expect(cliPathFor("/custom/cli")).toBe("/custom/cli");
    expect(cliPathFor(DEFAULT_CLI_PATH)).toBe(DEFAULT_CLI_PATH);
  });
});
