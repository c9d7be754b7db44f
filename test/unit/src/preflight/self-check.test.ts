import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudHSMV2Client, DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeEventBusCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DescribeCustomKeyStoresCommand, KMSClient } from "@aws-sdk/client-kms";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DescribeStateMachineCommand, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";

import { invokeSelfCheck, parseClusterId, toCheckResults } from "../../../../cli/preflight-in-aws";
import { CloudHsmClusters } from "../../../../src/adapters/clusters";
import { classifyCallError, SdkServiceProbes } from "../../../../src/adapters/service-probes";

import {
  checkCliBinary,
  checkCliConfigDir,
  checkHsmPath,
  checkHsms,
  runSelfCheck,
  type SelfCheckDeps,
  type SelfCheckSettings,
} from "../../../../src/preflight/self-check";
import { trustAnchorSecretFor } from "../../../../src/secret-names";

const secretsMock = mockClient(SecretsManagerClient);
const kmsMock = mockClient(KMSClient);
// CloudHSMV2Client is an older release whose types predate the mock library.
const cloudhsmMock = mockClient(CloudHSMV2Client as never) as unknown as ReturnType<typeof mockClient>;
const eventsMock = mockClient(EventBridgeClient);
const sfnMock = mockClient(SFNClient);
const dynamoMock = mockClient(DynamoDBClient);
const lambdaMock = mockClient(LambdaClient);

const CLUSTER = "cluster-jxhlf7644ne";
const MACHINE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-connectKeyStore";

/** An SDK service error as the SDK throws it: a name and the HTTP status of the answer. */
const answered = (name: string, status = 400) =>
  Object.assign(new Error(`${name} (test)`), { name, $metadata: { httpStatusCode: status } });
/** What the SDK throws when nothing answered: no HTTP status. */
const noAnswer = (name = "TimeoutError") => Object.assign(new Error("socket timed out"), { name, $metadata: {} });

let root: string;
let writable: string;

/** A layer laid out as scripts/build-cloudhsm-cli-layer.sh builds it, under a temporary /opt and /tmp. */
function layer(options: { etc?: "link" | "dir" | "outside" | "none"; cli?: string; template?: boolean } = {}): string {
  const opt = join(root, "opt", "cloudhsm");
  mkdirSync(join(opt, "bin"), { recursive: true });
  const script = options.cli ?? '#!/bin/sh\necho "CloudHSM CLI"\n';
  for (const name of ["cloudhsm-cli", "configure-cli"]) {
    writeFileSync(join(opt, "bin", name), script);
    chmodSync(join(opt, "bin", name), 0o755);
  }
  if (options.template !== false) {
    mkdirSync(join(opt, "etc.dist"), { recursive: true });
    writeFileSync(join(opt, "etc.dist", "cloudhsm-cli.cfg"), "{}");
  }
  const etc = options.etc ?? "link";
  if (etc === "link") symlinkSync(join(writable, "cloudhsm", "etc"), join(opt, "etc"));
  if (etc === "outside") symlinkSync(join(root, "elsewhere"), join(opt, "etc"));
  if (etc === "dir") mkdirSync(join(opt, "etc"));
  return join(opt, "bin", "cloudhsm-cli");
}

const runProgram: SelfCheckDeps["runProgram"] = (path, argv) =>
  new Promise((resolve) => {
    require("node:child_process").execFile(path, argv, (error: NodeJS.ErrnoException | null, stdout: string) =>
      resolve({
        stdout,
        exitCode: error ? (typeof error.code === "number" ? error.code : null) : 0,
        ...(error && typeof error.code === "string" ? { spawnError: error.code } : {}),
      }),
    );
  });

function deps(
  connect: SelfCheckDeps["connect"] = async () => {},
  listUsers: SelfCheckDeps["listUsers"] = async () => [
    { username: "admin", locked: false },
    { username: "kmsuser", locked: false },
  ],
): SelfCheckDeps {
  return {
    probes: new SdkServiceProbes({
      secretsManager: new SecretsManagerClient({ region: "us-east-1" }),
      kms: new KMSClient({ region: "us-east-1" }),
      cloudhsm: new CloudHSMV2Client({ region: "us-east-1" }),
      eventbridge: new EventBridgeClient({ region: "us-east-1" }),
      sfn: new SFNClient({ region: "us-east-1" }),
      dynamodb: new DynamoDBClient({ region: "us-east-1" }),
    }),
    clusters: new CloudHsmClusters(new CloudHSMV2Client({ region: "us-east-1" })),
    runProgram,
    connect,
    listUsers,
  };
}

const settings = (cliPath: string): SelfCheckSettings => ({
  region: "us-east-1",
  cliPath,
  writableRoot: writable,
  trustAnchorSecret: trustAnchorSecretFor,
  connectStateMachineArn: MACHINE,
  orphanTableName: "keystore-autopilot-dev-orphans",
  alertBusName: "default",
});

beforeEach(() => {
  for (const m of [secretsMock, kmsMock, cloudhsmMock, eventsMock, sfnMock, dynamoMock, lambdaMock]) m.reset();
  root = mkdtempSync(join(tmpdir(), "self-check-"));
  writable = join(root, "tmp");
  mkdirSync(writable);
  secretsMock.on(DescribeSecretCommand).rejects(answered("ResourceNotFoundException"));
  kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [] });
  cloudhsmMock.on(DescribeClustersCommand as never).resolves({ Clusters: [] } as never);
  eventsMock.on(DescribeEventBusCommand).resolves({ Name: "default" });
  sfnMock.on(DescribeStateMachineCommand).resolves({ stateMachineArn: MACHINE });
  dynamoMock.on(DescribeTableCommand).resolves({ Table: { TableName: "keystore-autopilot-dev-orphans" } });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("classifyCallError", () => {
  it.each([
    ["AccessDeniedException", "denied"],
    ["CloudHsmAccessDeniedException", "denied"],
    ["ResourceNotFoundException", "answered"],
    ["ThrottlingException", "answered"],
  ])("returns %s as %s when the service answered", (name, outcome) => {
    expect(classifyCallError(answered(name))).toBe(outcome);
  });

  it("returns unreachable when no HTTP answer came (timeout, refused, DNS)", () => {
    expect(classifyCallError(noAnswer("TimeoutError"))).toBe("unreachable");
    expect(classifyCallError(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }))).toBe(
      "unreachable",
    );
  });
});

describe("runSelfCheck", () => {
  it("returns every check ok when the layer is linked into /tmp and every service answers", async () => {
    const cliPath = layer();

    const results = await runSelfCheck(deps(), settings(cliPath), {});

    expect(results.map((r) => [r.check, r.ok])).toEqual([
      ["CLI layer: cloudhsm-cli", true],
      ["CLI layer: configuration directory", true],
      ["endpoint: Secrets Manager", true],
      ["endpoint: KMS", true],
      ["endpoint: CloudHSM", true],
      ["endpoint: EventBridge", true],
      ["endpoint: Step Functions", true],
      ["endpoint: DynamoDB", true],
    ]);
    expect(results[1]?.detail).toContain(`links to ${join(writable, "cloudhsm", "etc")}, writable`);
    expect(results[2]?.detail).toMatch(/ResourceNotFoundException: reachable and allowed/);
  });

  it("returns the missing permission when a call is denied, and the VPC endpoint when a service does not answer", async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(answered("AccessDeniedException"));
    cloudhsmMock.on(DescribeClustersCommand as never).rejects(answered("CloudHsmAccessDeniedException") as never);
    sfnMock.on(DescribeStateMachineCommand).rejects(noAnswer());
    dynamoMock.on(DescribeTableCommand).rejects(noAnswer());

    const results = await runSelfCheck(deps(), settings(layer()), {});
    const byCheck = Object.fromEntries(results.map((r) => [r.check, r]));

    expect(byCheck["endpoint: KMS"]).toMatchObject({
      ok: false,
      detail: "kms:DescribeCustomKeyStores on * was denied: AccessDeniedException",
    });
    expect(byCheck["endpoint: KMS"]?.fix).toMatch(/^allow kms:DescribeCustomKeyStores on \* to the function's role/);
    expect(byCheck["endpoint: CloudHSM"]?.fix).toMatch(/^allow cloudhsm:DescribeClusters/);
    expect(byCheck["endpoint: Step Functions"]?.detail).toMatch(
      /did not answer states:DescribeStateMachine within 5 s/,
    );
    expect(byCheck["endpoint: Step Functions"]?.fix).toMatch(
      /interface VPC endpoint com\.amazonaws\.us-east-1\.states with private DNS.*or a NAT gateway/,
    );
    expect(byCheck["endpoint: DynamoDB"]?.fix).toMatch(/gateway VPC endpoint com\.amazonaws\.us-east-1\.dynamodb/);
    expect(byCheck["endpoint: EventBridge"]?.ok).toBe(true);
  });

  it("returns a failure naming the trust anchor secret when a cluster is given and its secret does not exist", async () => {
    cloudhsmMock.on(DescribeClustersCommand as never).resolves({
      Clusters: [
        { ClusterId: CLUSTER, State: "ACTIVE", Hsms: [{ HsmId: "hsm-a", EniIp: "10.0.1.10", State: "ACTIVE" }] },
      ],
    } as never);

    const results = await runSelfCheck(deps(), settings(layer()), { clusterId: CLUSTER });
    const secret = results.find((r) => r.check === "endpoint: Secrets Manager");

    expect(secret?.ok).toBe(false);
    expect(secret?.detail).toContain(`keystore-autopilot/trust-anchor/${CLUSTER} does not exist`);
    expect(secret?.fix).toMatch(/store the PEM the cluster was initialized with/);
    expect(results.at(-2)).toMatchObject({ check: `HSMs of ${CLUSTER}`, ok: true });
    expect(results.at(-1)).toMatchObject({
      check: `HSM path: CloudHSM CLI user list on ${CLUSTER}`,
      ok: true,
      detail: "2 user(s); kmsuser present",
    });
  });

  it("does not run the CLI against the HSMs when the CLI layer failed, and says why", async () => {
    cloudhsmMock.on(DescribeClustersCommand as never).resolves({
      Clusters: [
        { ClusterId: CLUSTER, State: "ACTIVE", Hsms: [{ HsmId: "hsm-a", EniIp: "10.0.1.10", State: "ACTIVE" }] },
      ],
    } as never);
    const listed: string[] = [];

    const results = await runSelfCheck(
      deps(undefined, async (clusterId) => {
        listed.push(clusterId);
        return [];
      }),
      settings(layer({ cli: "#!/bin/sh\nexit 127\n" })),
      { clusterId: CLUSTER },
    );

    expect(listed).toEqual([]);
    expect(results.at(-1)).toMatchObject({ ok: false, detail: "not tried: the CLI layer failed above" });
  });

  it("returns a service's unexpected answer as a failure with its name", async () => {
    eventsMock.on(DescribeEventBusCommand).rejects(answered("ResourceNotFoundException"));

    const results = await runSelfCheck(deps(), settings(layer()), {});

    expect(results.find((r) => r.check === "endpoint: EventBridge")).toMatchObject({
      ok: false,
      detail: "events:DescribeEventBus answered ResourceNotFoundException: ResourceNotFoundException (test)",
    });
  });
});

describe("checkCliBinary", () => {
  it("returns a failure naming the layer when the CLI is not where the adapter runs it", async () => {
    const result = await checkCliBinary({ runProgram }, join(root, "opt", "cloudhsm", "bin", "cloudhsm-cli"));

    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^no executable at .*cloudhsm-cli/);
    expect(result.fix).toMatch(/scripts\/build-cloudhsm-cli-layer\.sh/);
  });

  it("returns a failure when the CLI does not run here (wrong architecture, missing libraries)", async () => {
    const cliPath = layer({ cli: "#!/bin/sh\nexit 127\n" });

    const result = await checkCliBinary({ runProgram }, cliPath);

    expect(result).toMatchObject({
      ok: false,
      detail: `${cliPath} --help exited 127: the binary does not run in this execution environment`,
    });
    expect(result.fix).toMatch(/Amazon Linux 2023 on arm64/);
  });
});

describe("checkCliConfigDir", () => {
  it("returns a failure telling to rebuild the layer when the configuration is a read-only directory of the layer", async () => {
    const cliPath = layer({ etc: "dir" });
    // /opt is read-only in Lambda: what writing there answers (this test runs as a user who may write anywhere).
    const readOnly = {
      writeFile: async () => {
        throw Object.assign(new Error("read-only file system"), { code: "EROFS" });
      },
      rm: async () => {},
    } as never;

    const result = await checkCliConfigDir(cliPath, writable, readOnly);

    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/is a directory of the layer and cannot be written \(EROFS\)/);
    expect(result.fix).toMatch(
      /rebuild the layer with scripts\/build-cloudhsm-cli-layer\.sh.*links \/opt\/cloudhsm\/etc and run into \/tmp\/cloudhsm/,
    );
  });

  it("returns a failure when the link points outside the writable directory", async () => {
    const result = await checkCliConfigDir(layer({ etc: "outside" }), writable);

    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/links to .*elsewhere, outside/);
  });

  it("returns a failure when the link is there but the layer has no configuration to seed it from", async () => {
    const result = await checkCliConfigDir(layer({ template: false }), writable);

    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/etc\.dist\/cloudhsm-cli\.cfg is missing: nothing to seed the configuration from$/);
  });

  it("returns a failure when the layer has no configuration directory", async () => {
    const result = await checkCliConfigDir(layer({ etc: "none" }), writable);

    expect(result).toMatchObject({ ok: false });
    expect(result.detail).toMatch(/etc: ENOENT$/);
  });

  it("returns ok for a writable directory (the local runtime's copy of the layer)", async () => {
    const result = await checkCliConfigDir(layer({ etc: "dir" }), writable);

    expect(result.ok).toBe(true);
  });
});

describe("checkHsms", () => {
  const cluster = {
    Clusters: [
      {
        ClusterId: CLUSTER,
        State: "ACTIVE",
        Hsms: [
          { HsmId: "hsm-a", EniIp: "10.0.1.10", State: "ACTIVE" },
          { HsmId: "hsm-b", EniIp: "10.0.2.10", State: "CREATE_IN_PROGRESS" },
        ],
      },
    ],
  };

  it("returns ok after a TCP connection to each ACTIVE HSM on 2223-2225", async () => {
    cloudhsmMock.on(DescribeClustersCommand as never).resolves(cluster as never);
    const tried: string[] = [];

    const result = await checkHsms(
      deps(async (host, port) => {
        tried.push(`${host}:${port}`);
      }),
      CLUSTER,
    );

    expect(result.ok).toBe(true);
    expect(tried).toEqual(["10.0.1.10:2223", "10.0.1.10:2224", "10.0.1.10:2225"]);
  });

  it("returns the addresses and ports that refused, with the security group fix", async () => {
    cloudhsmMock.on(DescribeClustersCommand as never).resolves(cluster as never);

    const result = await checkHsms(
      deps(async (_host, port) => {
        if (port === 2225) throw Object.assign(new Error("timeout"), { code: "ETIMEDOUT" });
      }),
      CLUSTER,
    );

    expect(result.ok).toBe(false);
    expect(result.detail).toBe("no TCP connection within 3 s to hsm-a 10.0.1.10:2225 (ETIMEDOUT)");
    expect(result.fix).toMatch(/admit CliSecurityGroup on TCP 2223-2225/);
  });

  it("returns a failure when the cluster does not exist or has no ACTIVE HSM", async () => {
    const missing = await checkHsms(deps(), CLUSTER);
    cloudhsmMock.on(DescribeClustersCommand as never).resolves({
      Clusters: [{ ClusterId: CLUSTER, State: "UNINITIALIZED", Hsms: [] }],
    } as never);
    const empty = await checkHsms(deps(), CLUSTER);

    expect(missing).toMatchObject({ ok: false, detail: `cluster ${CLUSTER} not found in this account and Region` });
    expect(empty).toMatchObject({ ok: false, detail: "no ACTIVE HSM: nothing for the CLI to connect to" });
  });
});

describe("checkHsmPath", () => {
  it("fails naming the error and the fix when the CLI cannot be configured or reach the HSMs", async () => {
    const result = await checkHsmPath(
      deps(undefined, async () => {
        throw Object.assign(new Error("configure-cli add-cluster exited 1"), { name: "HsmConfigurationError" });
      }),
      CLUSTER,
      true,
    );

    expect(result).toMatchObject({
      ok: false,
      detail: "HsmConfigurationError: configure-cli add-cluster exited 1",
    });
    expect(result.fix).toMatch(/scripts\/build-cloudhsm-cli-layer\.sh/);
  });

  it("fails when the CLI does not answer in time, as a CLI blocked on its way to the HSMs would not", async () => {
    const result = await checkHsmPath(
      deps(undefined, () => new Promise(() => {})),
      CLUSTER,
      true,
      50,
    );

    expect(result).toMatchObject({ ok: false, detail: "Timeout: no answer within 0.05 s" });
  });

  it("fails naming locked users: KMS cannot connect as a locked kmsuser", async () => {
    const result = await checkHsmPath(
      deps(undefined, async () => [
        { username: "admin", locked: false },
        { username: "kmsuser", locked: true },
      ]),
      CLUSTER,
      true,
    );

    expect(result).toMatchObject({ ok: false, detail: "2 user(s); kmsuser present; locked: kmsuser" });
    expect(result.fix).toMatch(/user change-password/);
  });
});

describe("preflight --in-aws (CLI side)", () => {
  const target = { kind: "aws", region: "us-east-1", stage: "prod" } as const;

  it("returns the function's checks as PASS and FAIL lines when it answers", async () => {
    const checks = [
      { check: "CLI layer: cloudhsm-cli", ok: true, detail: "runs" },
      { check: "endpoint: KMS", ok: false, detail: "denied", fix: "allow kms:DescribeCustomKeyStores" },
    ];
    lambdaMock.on(InvokeCommand).resolves({ Payload: new TextEncoder().encode(JSON.stringify({ checks })) as never });

    const { functionName, invocation } = await invokeSelfCheck(target, { clusterId: CLUSTER });

    expect(functionName).toBe("keystore-autopilot-prod-selfCheck");
    expect(lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input).toMatchObject({
      FunctionName: "keystore-autopilot-prod-selfCheck",
      InvocationType: "RequestResponse",
    });
    expect(toCheckResults(invocation, functionName)).toEqual([
      { check: "CLI layer: cloudhsm-cli", status: "PASS", detail: "runs" },
      { check: "endpoint: KMS", status: "FAIL", detail: "denied", fix: "allow kms:DescribeCustomKeyStores" },
    ]);
  });

  it("returns one failure with the function's error when the handler failed or the function is missing", async () => {
    lambdaMock
      .on(InvokeCommand)
      .resolvesOnce({
        FunctionError: "Unhandled",
        Payload: new TextEncoder().encode(
          JSON.stringify({ errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 60.00 seconds" }),
        ) as never,
      })
      .rejectsOnce(answered("ResourceNotFoundException", 404));

    const failed = await invokeSelfCheck(target, {});
    const missing = await invokeSelfCheck(target, {});

    expect(toCheckResults(failed.invocation, failed.functionName)).toEqual([
      expect.objectContaining({
        status: "FAIL",
        detail: "keystore-autopilot-prod-selfCheck failed: Sandbox.Timedout: Task timed out after 60.00 seconds",
      }),
    ]);
    expect(toCheckResults(missing.invocation, missing.functionName)[0]?.fix).toMatch(/^deploy the stack/);
  });

  it("refuses a malformed --cluster-id naming the option", () => {
    expect(() => parseClusterId("cluster-1")).toThrow(/^--cluster-id: 'cluster-1' is not a cluster id/);
  });
});
