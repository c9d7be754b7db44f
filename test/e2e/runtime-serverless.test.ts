import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { CREDENTIALS, LocalAccountProcess, ROOT } from "../../local/account/process";
import { eventually } from "../support/eventually";

const CHECK = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-describeKeyStore";
const connectEvent = JSON.parse(readFileSync(join(ROOT, "test/events/connect-custom-key-store.json"), "utf8"));

/** `npm start`: the local account with serverless.yml deployed by the local runtime, driven through the real SDK. */
describe("local runtime deployed from serverless.yml", () => {
  let account: LocalAccountProcess;
  let sfn: SFNClient;
  const executions = async () =>
    (await sfn.send(new ListExecutionsCommand({ stateMachineArn: CHECK }))).executions ?? [];

  beforeAll(async () => {
    account = await LocalAccountProcess.start({ entry: "local/start.ts" });
    sfn = new SFNClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS, maxAttempts: 1 });
  });
  afterAll(() => account.stop());

  it("returns a describe-key-store execution and a describeKeyStore invocation when a ConnectCustomKeyStore CloudTrail event matches the serverless.yml rule", async () => {
    const { source, "detail-type": detailType, detail, resources } = connectEvent;
    // A call the rule must ignore, put first: events are matched in order, so it is decided before the one that matches.
    await account.control("POST", "/_local/events", {
      source,
      "detail-type": detailType,
      resources,
      detail: { ...detail, eventName: "DisconnectCustomKeyStore" },
    });

    await account.control("POST", "/_local/events", { source, "detail-type": detailType, resources, detail });

    const [execution] = await eventually(
      executions,
      (list) => list.some((e) => e.status !== "RUNNING"),
      "the check to run",
    );
    expect(await executions()).toHaveLength(1);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: execution?.executionArn }));
    expect(described).toMatchObject({ status: "FAILED", error: "KeyStoreNotFound" });
    expect(JSON.parse(described.input ?? "{}")).toEqual({ customKeyStoreId: "cks-1234567890abcdef0" });
    const { invocations } = await account.control<{
      invocations: { event: unknown; functionName: string; status: string }[];
    }>("GET", "/_local/invocations?function=keystore-autopilot-dev-describeKeyStore");
    expect(invocations).toEqual([
      expect.objectContaining({ event: { customKeyStoreId: "cks-1234567890abcdef0" }, status: "failed" }),
    ]);
    const history =
      (await sfn.send(new GetExecutionHistoryCommand({ executionArn: execution?.executionArn }))).events ?? [];
    expect(history.find((e) => e.type === "LambdaFunctionFailed")?.lambdaFunctionFailedEventDetails?.error).toBe(
      "CustomKeyStoreNotFoundException",
    );
  });

  it("returns StateMachineDoesNotExist and starts nothing when StartExecution names an unknown state machine", async () => {
    const before = (await executions()).length;

    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${CHECK}-missing`, input: "{}" })),
    ).rejects.toMatchObject({
      name: "StateMachineDoesNotExist",
      message: `State Machine Does Not Exist: '${CHECK}-missing'`,
    });

    expect(await executions()).toHaveLength(before);
  });

  it("returns InvalidExecutionInput and starts nothing when the input is not JSON", async () => {
    const before = (await executions()).length;

    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: CHECK, name: "bad-input", input: "{customKeyStoreId:" })),
    ).rejects.toMatchObject({
      name: "InvalidExecutionInput",
      message: expect.stringMatching(/^Invalid State Machine Execution Input: /),
    });

    expect(await executions()).toHaveLength(before);
  });

  it("returns InvalidName and starts nothing when the execution name has a forbidden character", async () => {
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: CHECK, name: "check/1", input: "{}" })),
    ).rejects.toMatchObject({ name: "InvalidName" });
  });

  it("returns ExecutionAlreadyExists and keeps one execution when a finished execution's name is used again", async () => {
    const request = {
      stateMachineArn: CHECK,
      name: "check-once",
      input: '{"customKeyStoreId":"cks-0000000000000000b"}',
    };
    const { executionArn } = await sfn.send(new StartExecutionCommand(request));
    await eventually(
      () => sfn.send(new DescribeExecutionCommand({ executionArn })),
      (d) => d.status !== "RUNNING",
      "the check to finish",
    );

    await expect(sfn.send(new StartExecutionCommand(request))).rejects.toMatchObject({
      name: "ExecutionAlreadyExists",
    });

    expect((await executions()).filter((e) => e.name === "check-once")).toHaveLength(1);
  });
});
