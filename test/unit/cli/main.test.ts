import { DescribeCustomKeyStoresCommand, DescribeKeyCommand, KMSClient, ListKeysCommand } from "@aws-sdk/client-kms";
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { run } from "../../../cli/main";
import { WORKFLOWS } from "../../../src/workflows";

const sfnMock = mockClient(SFNClient);
const kmsMock = mockClient(KMSClient);
const SM = "arn:aws:states:eu-west-1:123456789012:stateMachine:keystore-autopilot-dev-describeKeyStore";
const STORE = "cks-1234567890abcdef0";
const INPUT = JSON.stringify({ customKeyStoreId: STORE });
const AWS = ["--aws", "--region", "eu-west-1"];

async function cli(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await run(args, {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
  });
  return { code, stdout, stderr };
}

function deployed() {
  sfnMock.on(ListStateMachinesCommand).resolves({
    stateMachines: [
      {
        name: "keystore-autopilot-dev-describeKeyStore",
        stateMachineArn: SM,
        type: "STANDARD",
        creationDate: new Date(),
      },
    ],
  });
  sfnMock.on(DescribeStateMachineCommand).resolves({ definition: '{"StartAt":"A","States":{}}' });
}

function finishes(status: "SUCCEEDED" | "FAILED", details: { output?: string; error?: string; cause?: string }) {
  sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: `${SM.replace(":stateMachine:", ":execution:")}:${input.name}`,
    startDate: new Date(0),
  }));
  sfnMock.on(DescribeExecutionCommand).resolves({
    stateMachineArn: SM,
    status,
    startDate: new Date(0),
    stopDate: new Date(1200),
    ...details,
  });
  sfnMock.on(GetExecutionHistoryCommand).resolves({
    events: [
      {
        id: 1,
        type: "TaskStateEntered",
        timestamp: new Date(0),
        stateEnteredEventDetails: { name: "DescribeKeyStore" },
      },
      {
        id: 2,
        type: "TaskStateExited",
        timestamp: new Date(900),
        stateExitedEventDetails: { name: "DescribeKeyStore" },
      },
    ],
  });
}

describe("keystore-autopilot (in process)", () => {
  beforeEach(() => {
    sfnMock.reset();
    kmsMock.reset();
  });

  it("returns exit 0 and help naming every command and exit code when run with --help", async () => {
    const { code, stdout } = await cli(["--help"]);

    expect(code).toBe(0);
    for (const command of ["start", "status", "invoke", "clock"]) expect(stdout).toContain(`  ${command}`);
    expect(stdout).toContain("Exit codes: 0 success, 1 the workflow or a call failed, 2 bad input or usage");
  });

  it.each([
    [["start", "--help"], "Workflows (src/workflows/index.ts):"],
    [["status", "--help"], "pending deletions"],
    [["invoke", "--help"], "--event <file|json>"],
    [["clock", "--help"], "clock advance 31d"],
    [["clock", "advance", "--help"], "<duration>"],
    [["clock", "now", "--help"], "simulated time"],
  ])("returns exit 0 and help with examples when running %j", async (args, expected) => {
    const { code, stdout } = await cli(args);

    expect(code).toBe(0);
    expect(stdout).toContain(expected);
    expect(stdout).toContain("--json");
  });

  it("returns every registered workflow in the help of start", async () => {
    const { stdout } = await cli(["start", "--help"]);

    for (const name of Object.keys(WORKFLOWS)) expect(stdout).toContain(`  ${name} `);
  });

  it("returns exit 2 and calls nothing when the command or an option is unknown", async () => {
    const unknownCommand = await cli(["launch"]);
    const unknownOption = await cli(["status", "--colour"]);

    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'launch'");
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("unknown option '--colour'");
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it.each([
    [["start", "describe-everything", "--input", INPUT], "Unknown workflow 'describe-everything'. Known workflows: "],
    [["start", "describe-key-store", "--input", "{oops"], "--input is not valid JSON: "],
    [
      ["start", "describe-key-store", "--input", '{"customKeyStoreId":"store-1"}'],
      "Input for describe-key-store is invalid: customKeyStoreId: customKeyStoreId must look like cks-",
    ],
    [["start", "describe-key-store", "--input", INPUT, "--name", "two words"], "--name 'two words' contains"],
  ])("returns exit 2, names the problem and starts nothing when running %j", async (args, message) => {
    deployed();

    const { code, stderr, stdout } = await cli([...AWS, ...args]);

    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stdout).toBe("");
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it("returns exit 0 and the redacted output as JSON when the execution succeeds in AWS", async () => {
    deployed();
    finishes("SUCCEEDED", {
      output: JSON.stringify({ customKeyStoreId: STORE, connected: true, kmsuserPassword: "Pw1!" }),
    });

    const { code, stdout, stderr } = await cli([
      ...AWS,
      "start",
      "describe-key-store",
      "--input",
      INPUT,
      "--name",
      "run-1",
      "--json",
    ]);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      workflow: "describe-key-store",
      name: "run-1",
      executionArn: expect.stringMatching(/:execution:keystore-autopilot-dev-describeKeyStore:run-1$/),
      status: "SUCCEEDED",
      startDate: "1970-01-01T00:00:00.000Z",
      stopDate: "1970-01-01T00:00:01.200Z",
      output: { customKeyStoreId: STORE, connected: true, kmsuserPassword: "[redacted]" },
    });
    expect(stderr).toContain("→ DescribeKeyStore\n✓ DescribeKeyStore (0.9s)\n");
    expect(stdout + stderr).not.toContain("Pw1!");
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: SM,
      name: "run-1",
      input: INPUT,
    });
  });

  it("returns exit 1 with the error and cause when the execution fails", async () => {
    deployed();
    finishes("FAILED", { error: "KeyStoreNotFound", cause: "KMS has no custom key store with this id" });

    const { code, stdout } = await cli([...AWS, "start", "describe-key-store", "--input", INPUT]);

    expect(code).toBe(1);
    expect(stdout).toMatch(/^✖ FAILED in 1\.2s · describe-key-store-\d{8}T\d{6}-[0-9a-f]{4}\n/);
    expect(stdout).toContain("  Error: KeyStoreNotFound\n  Cause: KMS has no custom key store with this id\n");
  });

  it("returns the execution ARN at once when started with --no-follow", async () => {
    deployed();
    finishes("SUCCEEDED", {});

    const { code, stdout } = await cli([
      ...AWS,
      "start",
      "describe-key-store",
      "--input",
      INPUT,
      "--name",
      "n1",
      "--no-follow",
    ]);

    expect(code).toBe(0);
    expect(stdout).toBe("arn:aws:states:eu-west-1:123456789012:execution:keystore-autopilot-dev-describeKeyStore:n1\n");
    expect(sfnMock).not.toHaveReceivedCommand(GetExecutionHistoryCommand);
  });

  it("returns exit 0 and starts orphan-cleanup with dryRun set when started with --dry-run", async () => {
    const cleanup = SM.replace("describeKeyStore", "orphanCleanup");
    sfnMock.on(ListStateMachinesCommand).resolves({
      stateMachines: [
        {
          name: "keystore-autopilot-dev-orphanCleanup",
          stateMachineArn: cleanup,
          type: "STANDARD",
          creationDate: new Date(),
        },
      ],
    });
    sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
      executionArn: `${cleanup.replace(":stateMachine:", ":execution:")}:${input.name}`,
      startDate: new Date(0),
    }));

    const { code } = await cli([
      ...AWS,
      "start",
      "orphan-cleanup",
      "--input",
      INPUT,
      "--name",
      "d1",
      "--dry-run",
      "--no-follow",
    ]);

    expect(code).toBe(0);
    const sent = sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(JSON.parse(sent?.input ?? "{}")).toMatchObject({ customKeyStoreId: STORE, dryRun: true });
  });

  it("returns exit 2 and starts nothing when --dry-run is given to a workflow without a dry run", async () => {
    deployed();

    const { code, stderr } = await cli([...AWS, "start", "describe-key-store", "--input", INPUT, "--dry-run"]);

    expect(code).toBe(2);
    expect(stderr).toContain("describe-key-store has no dry run");
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it("returns exit 2 when an execution with that name already exists", async () => {
    deployed();
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: "Execution Already Exists", $metadata: {} }));

    const { code, stderr } = await cli([...AWS, "start", "describe-key-store", "--input", INPUT, "--name", "n1"]);

    expect(code).toBe(2);
    expect(stderr).toContain("An execution named 'n1' already exists for describe-key-store");
  });

  it("returns exit 1 naming the state machine when the workflow is not deployed", async () => {
    sfnMock.on(ListStateMachinesCommand).resolves({ stateMachines: [] });

    const { code, stderr } = await cli([...AWS, "--stage", "prod", "start", "describe-key-store", "--input", INPUT]);

    expect(code).toBe(1);
    expect(stderr).toContain(
      "Workflow describe-key-store is not deployed in AWS (region eu-west-1): no state machine named keystore-autopilot-prod-describeKeyStore",
    );
  });

  it("returns exit 1 and how to start the local account when it is not running", async () => {
    const { code, stderr } = await cli(["--endpoint", "http://127.0.0.1:9", "status"]);

    expect(code).toBe(1);
    expect(stderr).toContain("The local account is not running at http://127.0.0.1:9. Start it with `npm start`");
  });

  it.each([
    [["--aws", "clock", "advance", "1d"], "clock advance works only on the local account"],
    [["--profile", "prod", "invoke", "describeKeyStore", "--event", "{}"], "invoke works only on the local account"],
    [["--endpoint", "http://127.0.0.1:9", "clock", "advance", "3 days"], "Invalid duration '3 days'"],
    [["follow", "describe-key-store-1"], "'describe-key-store-1' is not an execution ARN"],
    [["--aws", "--endpoint", "http://127.0.0.1:4599", "status"], "--endpoint is the local account's address"],
  ])("returns exit 2 when running %j", async (args, message) => {
    const { code, stderr } = await cli(args);

    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it("returns key stores, pending deletions of CloudHSM keys and recent executions as JSON from status", async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [
        {
          CustomKeyStoreId: STORE,
          CustomKeyStoreName: "payments",
          CloudHsmClusterId: "cluster-1",
          ConnectionState: "FAILED",
          ConnectionErrorCode: "USER_LOCKED_OUT",
        },
      ],
    });
    kmsMock.on(ListKeysCommand).resolves({ Keys: [{ KeyId: "k-hsm" }, { KeyId: "k-default" }, { KeyId: "k-live" }] });
    kmsMock
      .on(DescribeKeyCommand, { KeyId: "k-hsm" })
      .resolves({
        KeyMetadata: {
          KeyId: "k-hsm",
          Arn: "arn:k-hsm",
          CustomKeyStoreId: STORE,
          KeyState: "PendingDeletion",
          DeletionDate: new Date("2026-02-14T10:00:00Z"),
        },
      })
      .on(DescribeKeyCommand, { KeyId: "k-default" })
      .resolves({
        KeyMetadata: {
          KeyId: "k-default",
          KeyState: "PendingDeletion",
          DeletionDate: new Date("2026-02-01T00:00:00Z"),
        },
      })
      .on(DescribeKeyCommand, { KeyId: "k-live" })
      .resolves({ KeyMetadata: { KeyId: "k-live", CustomKeyStoreId: STORE, KeyState: "Enabled" } });
    deployed();
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: "arn:e1",
          stateMachineArn: SM,
          name: "e1",
          status: "FAILED",
          startDate: new Date("2026-01-15T10:00:00Z"),
          stopDate: new Date("2026-01-15T10:00:01Z"),
        },
      ],
    });

    const { code, stdout } = await cli([...AWS, "status", "--json"]);

    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.target).toEqual({ kind: "aws", region: "eu-west-1", profile: null, stage: "dev" });
    expect(report.keyStores).toEqual([
      {
        customKeyStoreId: STORE,
        name: "payments",
        clusterId: "cluster-1",
        connectionState: "FAILED",
        connectionErrorCode: "USER_LOCKED_OUT",
      },
    ]);
    expect(report.pendingDeletions).toEqual([
      { keyId: "k-hsm", keyArn: "arn:k-hsm", customKeyStoreId: STORE, deletionDate: "2026-02-14T10:00:00.000Z" },
    ]);
    expect(report.executions).toEqual([
      {
        workflow: "describe-key-store",
        name: "e1",
        status: "FAILED",
        startDate: "2026-01-15T10:00:00.000Z",
        stopDate: "2026-01-15T10:00:01.000Z",
        executionArn: "arn:e1",
      },
    ]);
    expect(report.workflows).toContainEqual({
      workflow: "describe-key-store",
      stateMachine: "keystore-autopilot-dev-describeKeyStore",
      deployed: true,
    });
    expect(sfnMock).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: SM, maxResults: 10 });
  });
});
