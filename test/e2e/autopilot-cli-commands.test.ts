import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateKeyCommand, type KMSClient, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { connect, createStore, patientKms, type SeededCluster, seedCluster } from "../../local/account/driver";
import { CREDENTIALS, LocalAccountProcess, ROOT } from "../../local/account/process";
import { runAutopilot } from "../support/autopilot-cli";

const UNKNOWN_STORE_EVENT = "test/events/describe-key-store.json";

/**
 * The `keystore-autopilot` bin as a user runs it (stdout and stderr are pipes here, so progress goes to stderr),
 * against `npm start` (the local account with serverless.yml deployed).
 */
describe("keystore-autopilot CLI on the local account", () => {
  let account: LocalAccountProcess;
  let sfn: SFNClient;
  let kms: KMSClient;
  const outputs: string[] = [];
  const secrets: string[] = [];

  const cli = async (args: string[], stdin?: string) => {
    const run = await runAutopilot(account, args, stdin);
    outputs.push(run.stdout, run.stderr);
    return run;
  };

  /** Executions of every deployed state machine: what "nothing started" is checked against. */
  const allExecutions = async () => {
    const machines = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
    const lists = await Promise.all(
      machines.map((m) =>
        sfn.send(new ListExecutionsCommand({ stateMachineArn: m.stateMachineArn })).then((r) => r.executions ?? []),
      ),
    );
    return lists.flat();
  };

  beforeAll(async () => {
    account = await LocalAccountProcess.start({ entry: "local/start.ts" });
    sfn = new SFNClient({
      endpoint: account.endpoint,
      region: account.region,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    kms = patientKms(account);
  });
  afterAll(() => account.stop());

  describe("bad input", () => {
    it.each([
      [
        ["start", "describe-everything", "--input", "{}"],
        "Unknown workflow 'describe-everything'. Known workflows: describe-key-store",
      ],
      [["start", "describe-key-store", "--input", '{"customKeyStoreId": cks-1}'], "--input is not valid JSON: "],
      [["start", "describe-key-store", "--input", "no-such-input.json"], "--input: no such file 'no-such-input.json'"],
      [
        ["start", "describe-key-store", "--input", '{"customKeyStoreId":"store-1"}'],
        "Input for describe-key-store is invalid: customKeyStoreId: customKeyStoreId must look like cks-1234567890abcdef0",
      ],
      [["start", "describe-key-store", "--input", "{}"], "Input for describe-key-store is invalid: customKeyStoreId: "],
      [["start", "describe-key-store", "--input", UNKNOWN_STORE_EVENT, "--name", "a:b"], `--name 'a:b' contains ":"`],
    ])("returns exit 2, names the problem and starts nothing when running %j", async (args, message) => {
      const before = await allExecutions();

      const run = await cli(args);

      expect(run).toMatchObject({ code: 2, stdout: "" });
      expect(run.stderr).toContain(`Error: ${message}`);
      expect(await allExecutions()).toEqual(before);
    });

    it("returns exit 2 listing serverless.yml's functions when invoke names an unknown function", async () => {
      const run = await cli(["invoke", "describeEverything", "--event", UNKNOWN_STORE_EVENT]);

      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /Error: Unknown function 'describeEverything'\. Functions in serverless\.yml: .*describeKeyStore/,
      );
    });

    it("returns exit 1 and the one command that starts the local account when nothing answers at the endpoint", async () => {
      const run = await cli([
        "--endpoint",
        "http://127.0.0.1:9",
        "start",
        "describe-key-store",
        "--input",
        UNKNOWN_STORE_EVENT,
      ]);

      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        "Error: The local account is not running at http://127.0.0.1:9. Start it with `npm start` (or use --aws for your AWS account).",
      );
    });
  });

  describe("start", () => {
    it("returns exit 1 with FAILED, the error and its cause when describe-key-store runs on an unknown store", async () => {
      const run = await cli([
        "start",
        "describe-key-store",
        "--input",
        UNKNOWN_STORE_EVENT,
        "--name",
        "cli-unknown-store",
      ]);

      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^✖ FAILED in \d+\.\ds · cli-unknown-store\n/);
      expect(run.stdout).toContain(
        "  Error: KeyStoreNotFound\n  Cause: KMS has no custom key store with this id in this account and Region\n",
      );
      expect(run.stderr).toContain("Started describe-key-store as cli-unknown-store on the local account at");
      expect(run.stderr).toContain("→ DescribeKeyStore\n✗ DescribeKeyStore: CustomKeyStoreNotFoundException — ");
      expect(run.stderr).toContain("↪ DescribeKeyStore: caught CustomKeyStoreNotFoundException");
      expect(run.stderr).toContain("→ KeyStoreNotFound\n");
      expect(run.stderr).not.toContain("\x1b[");
    });

    it("returns the same failure as JSON on stdout when run with --json", async () => {
      const run = await cli(
        ["start", "describe-key-store", "--input", "-", "--json"],
        '{"customKeyStoreId":"cks-0000000000000000"}',
      );

      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toEqual({
        workflow: "describe-key-store",
        name: expect.stringMatching(/^describe-key-store-\d{8}T\d{6}-[0-9a-f]{4}$/),
        executionArn: expect.stringContaining(":execution:keystore-autopilot-dev-describeKeyStore:describe-key-store-"),
        status: "FAILED",
        startDate: expect.any(String),
        stopDate: expect.any(String),
        error: "KeyStoreNotFound",
        cause: "KMS has no custom key store with this id in this account and Region",
      });
    });
  });

  describe("with a connected key store", () => {
    let cluster: SeededCluster;
    let storeId: string;
    let keyId: string;

    beforeAll(async () => {
      cluster = await seedCluster(account);
      secrets.push(...[cluster.adminPassword, cluster.kmsuserPassword].filter((p): p is string => Boolean(p)));
      storeId = await createStore(kms, cluster, "cli-store");
      expect((await connect(account, kms, storeId)).ConnectionState).toBe("CONNECTED");
      keyId = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId }))).KeyMetadata
        ?.KeyId as string;
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    });

    it("returns exit 0, SUCCEEDED and the output when describe-key-store runs on the connected store", async () => {
      const run = await cli([
        "start",
        "describe-key-store",
        "--input",
        JSON.stringify({ customKeyStoreId: storeId }),
        "--name",
        "cli-connected",
      ]);

      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^✔ SUCCEEDED in \d+\.\ds · cli-connected\n/);
      expect(JSON.parse(run.stdout.slice(run.stdout.indexOf("\n") + 1))).toEqual({
        customKeyStoreId: storeId,
        connected: true,
        keyStore: expect.objectContaining({ customKeyStoreId: storeId, connectionState: "CONNECTED" }),
      });
      expect(run.stderr).toContain("→ DescribeKeyStore\n✓ DescribeKeyStore (");
      expect(run.stderr).toContain("→ IsConnected\n→ Connected\n");
      const listed = await cli(["status", "--json"]);
      expect(JSON.parse(listed.stdout).executions).toContainEqual(
        expect.objectContaining({ workflow: "describe-key-store", name: "cli-connected", status: "SUCCEEDED" }),
      );
    });

    it("returns the execution ARN at once with --no-follow, exit 2 for a reused name, and the result from follow", async () => {
      const input = JSON.stringify({ customKeyStoreId: storeId });

      const first = await cli([
        "start",
        "describe-key-store",
        "--input",
        input,
        "--name",
        "cli-no-follow",
        "--no-follow",
      ]);
      const again = await cli([
        "start",
        "describe-key-store",
        "--input",
        UNKNOWN_STORE_EVENT,
        "--name",
        "cli-no-follow",
      ]);

      expect(first).toMatchObject({ code: 0, stderr: "" });
      expect(first.stdout).toBe(
        `arn:aws:states:us-east-1:111122223333:execution:keystore-autopilot-dev-describeKeyStore:cli-no-follow\n`,
      );
      expect(again.code).toBe(2);
      expect(again.stderr).toContain("An execution named 'cli-no-follow' already exists for describe-key-store");
      const followed = await cli(["follow", first.stdout.trim()]);
      expect(followed.code).toBe(0);
      expect(followed.stderr).toContain("Following describe-key-store execution cli-no-follow on the local account");
      expect(followed.stdout).toMatch(/^✔ SUCCEEDED in \d+\.\ds · cli-no-follow\n/);
    });

    it("returns key stores, pending deletions with due dates and recent executions from status --json", async () => {
      const run = await cli(["status", "--json"]);

      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout);
      expect(report.target).toEqual({
        kind: "local",
        endpoint: account.endpoint,
        region: "us-east-1",
        accountId: "111122223333",
        stage: "dev",
      });
      expect(Date.parse(report.now)).toBeGreaterThan(0);
      expect(report.keyStores).toContainEqual({
        customKeyStoreId: storeId,
        name: "cli-store",
        clusterId: cluster.clusterId,
        connectionState: "CONNECTED",
      });
      const pending = report.pendingDeletions.find((k: { keyId: string }) => k.keyId === keyId);
      expect(pending).toEqual({
        keyId,
        keyArn: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`,
        customKeyStoreId: storeId,
        deletionDate: expect.any(String),
      });
      const days = (Date.parse(pending.deletionDate) - Date.parse(report.now)) / 86_400_000;
      expect(days).toBeGreaterThan(6.9);
      expect(days).toBeLessThanOrEqual(7);
      expect(report.workflows).toContainEqual({
        workflow: "describe-key-store",
        stateMachine: "keystore-autopilot-dev-describeKeyStore",
        deployed: true,
      });
      expect(report.executions.length).toBeGreaterThan(0);
      for (const e of report.executions) {
        expect(Object.keys(e).sort()).toEqual(
          expect.arrayContaining(["executionArn", "name", "startDate", "status", "workflow"]),
        );
      }
    });

    it("returns tables of key stores, pending deletions and executions from status", async () => {
      const run = await cli(["status"]);

      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Status of the local account at ${account.endpoint} (us-east-1, 111122223333) at `);
      expect(run.stdout).toMatch(/Key stores \(\d+\)\n {2}ID +NAME +CLUSTER +CONNECTION +ERROR\n/);
      expect(run.stdout).toMatch(new RegExp(`  ${storeId} +cli-store +${cluster.clusterId} +CONNECTED`));
      expect(run.stdout).toMatch(new RegExp(`  ${keyId} +${storeId} +\\S+Z +in 6d 23h`));
      expect(run.stdout).toMatch(/ {2}describe-key-store +cli-connected +SUCCEEDED/);
      expect(run.stdout).toContain(`in a browser: ${account.endpoint}/_local/ui?token=${account.token}\n`);
    });

    it("returns the handler's result when invoke runs describeKeyStore on an event", async () => {
      const run = await cli(["invoke", "describeKeyStore", "--event", JSON.stringify({ customKeyStoreId: storeId })]);

      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({
        customKeyStoreId: storeId,
        name: "cli-store",
        type: "AWS_CLOUDHSM",
        clusterId: cluster.clusterId,
        connectionState: "CONNECTED",
      });
      expect(run.stderr).toContain(
        `✔ keystore-autopilot-dev-describeKeyStore returned · logs: ${account.dataDir}/logs/`,
      );
    });

    it("returns exit 1 and the handler's error when invoke runs describeKeyStore on test/events/describe-key-store.json", async () => {
      const run = await cli(["invoke", "describeKeyStore", "--event", UNKNOWN_STORE_EVENT, "--json"]);

      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toEqual({
        functionName: "keystore-autopilot-dev-describeKeyStore",
        ok: false,
        errorType: "CustomKeyStoreNotFoundException",
        errorMessage: expect.stringContaining("cannot find a custom key store"),
      });
    });

    it("returns the simulated time moved forward when clock advance runs", async () => {
      const before = await account.now();

      const run = await cli(["clock", "advance", "2d", "--json"]);

      expect(run.code).toBe(0);
      const moved = JSON.parse(run.stdout);
      expect(moved.advancedBy).toBe("2d");
      expect(Date.parse(moved.now) - before.getTime()).toBeGreaterThanOrEqual(2 * 86_400_000);
      expect((await account.now()).getTime()).toBeGreaterThanOrEqual(Date.parse(moved.now));
      const human = await cli(["clock", "advance", "1h30m"]);
      expect(human.stdout).toMatch(/^Simulated clock advanced by 1h30m: now \d{4}-\d{2}-\d{2}T/);
    });

    it("returns the progress display and the final line in a terminal when run under tmux", async () => {
      // Each three throttled DescribeCustomKeyStores calls exhaust the handler's SDK retries once, and the ASL retries
      // the task: six give two visible retries (one is enough for the assertions if a background step takes a few).
      await account.arm({ kind: "throttle", operation: "kms:DescribeCustomKeyStores", count: 6 });
      const socket = `autopilot-cli-${process.pid}`;
      const tmux = (...args: string[]) => spawnSync("tmux", ["-u", "-L", socket, ...args], { encoding: "utf8" });
      const input = JSON.stringify({ customKeyStoreId: storeId });
      const started = tmux(
        "new-session",
        "-d",
        "-s",
        "cli",
        "-x",
        "160",
        "-y",
        "50",
        "-e",
        `LOCAL_ACCOUNT_ENDPOINT=${account.endpoint}`,
        "-e",
        "LANG=C.UTF-8",
        "-e",
        "NO_COLOR=1",
      );
      expect(started.status).toBe(0);
      try {
        tmux(
          "send-keys",
          "-t",
          "cli",
          `cd ${ROOT} && bin/keystore-autopilot start describe-key-store --input '${input}' --name cli-tmux; echo "EX""IT=$?"`,
          "Enter",
        );
        const screens: string[] = [];
        for (let i = 0; i < 300 && !screens.at(-1)?.includes("EXIT="); i++) {
          await new Promise((r) => setTimeout(r, 100));
          screens.push(tmux("capture-pane", "-p", "-t", "cli").stdout);
        }
        const final = screens.at(-1) ?? "";

        expect(screens.some((s) => /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] DescribeKeyStore( \(retry \d\))? · \d+\.\ds/.test(s))).toBe(true);
        expect(final).toContain("→ DescribeKeyStore\n✗ DescribeKeyStore: ThrottlingException");
        expect(final).toContain("↻ DescribeKeyStore: retry 1 after ThrottlingException\n");
        expect(final).toMatch(/✔ SUCCEEDED in \d+\.\ds · cli-tmux\n/);
        expect(final).toContain('"connectionState": "CONNECTED"');
        expect(final).toContain("EXIT=0");
        expect(final).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /);
        outputs.push(...screens);
      } finally {
        tmux("kill-server");
        await account.control("DELETE", "/_local/faults");
      }
    });

    it("returns no password in any CLI output, function log or execution history", async () => {
      const logs = readdirSync(join(account.dataDir, "logs")).map((f) =>
        readFileSync(join(account.dataDir, "logs", f), "utf8"),
      );
      const histories: string[] = [];
      for (const e of await allExecutions()) {
        histories.push(
          JSON.stringify((await sfn.send(new GetExecutionHistoryCommand({ executionArn: e.executionArn }))).events),
        );
      }

      expect(secrets.length).toBe(2);
      for (const text of [...outputs, ...logs, ...histories]) {
        for (const secret of secrets) expect(text).not.toContain(secret);
      }
    });
  });
});
