import { seedCluster } from "../../local/account/driver";
import { LocalAccountProcess } from "../../local/account/process";
import { runAutopilot } from "../support/autopilot-cli";

/**
 * `keystore-autopilot preflight --in-aws` as a user runs it after deploying: on the local account the runtime has
 * deployed serverless.yml, and the CLI runs its selfCheck function there (the local CLI layer, the SDK pointed at the
 * account), which checks the CLI and every service the CLI functions call.
 */
describe("keystore-autopilot preflight --in-aws on the local account", () => {
  let account: LocalAccountProcess;

  const cli = (args: string[]) => runAutopilot(account, args);

  beforeAll(async () => {
    account = await LocalAccountProcess.start({ entry: "local/start.ts" });
  });
  afterAll(() => account.stop());
  afterEach(() => account.control("DELETE", "/_local/faults"));

  it("passes every check when the deployed selfCheck runs the CLI and reaches every service", async () => {
    const run = await cli(["preflight", "--in-aws"]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain("and from inside keystore-autopilot-dev-selfCheck");
    for (const check of [
      "CLI layer: cloudhsm-cli",
      "CLI layer: configuration directory",
      "endpoint: Secrets Manager",
      "endpoint: KMS",
      "endpoint: CloudHSM",
      "endpoint: EventBridge",
      "endpoint: Step Functions",
      "endpoint: DynamoDB",
    ]) {
      expect(run.stdout).toMatch(new RegExp(`PASS {2}${check}: `));
    }
    expect(run.stdout).not.toMatch(/FAIL/);
    expect(run.stdout).toMatch(/All checks passed/);
  });

  it("fails naming the permission to add when the function's role is denied a call, in --json", async () => {
    // Prepare: the account answers as IAM does for a role without kms:DescribeCustomKeyStores.
    await account.control("POST", "/_local/faults", {
      kind: "access-denied",
      operation: "kms:DescribeCustomKeyStores",
    });

    // Act
    const run = await cli(["--json", "preflight", "--in-aws"]);

    // Assess
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      passed: boolean;
      functionName: string;
      checks: { check: string; status: string; detail: string; fix?: string }[];
    };
    expect(report.passed).toBe(false);
    expect(report.functionName).toBe("keystore-autopilot-dev-selfCheck");
    expect(report.checks.find((c) => c.check === "endpoint: KMS")).toEqual({
      check: "endpoint: KMS",
      status: "FAIL",
      detail: "kms:DescribeCustomKeyStores on * was denied: AccessDeniedException",
      fix: expect.stringMatching(/^allow kms:DescribeCustomKeyStores on \* to the function's role/),
    });
    expect(report.checks.filter((c) => c.status === "FAIL")).toHaveLength(1);
  });

  it("fails telling to attach the layer when the CloudHSM CLI is not where the functions run it", async () => {
    // Prepare: the runtime's test mode gives every CLI function this path (local/start.ts), as a stack deployed
    // without the layer would have nothing at /opt/cloudhsm/bin.
    const missing = "/opt/cloudhsm-missing/bin/cloudhsm-cli";
    process.env.LOCAL_RUNTIME_CLOUDHSM_CLI_PATH = missing;

    // Act
    const run = await cli(["preflight", "--in-aws"]).finally(() => {
      delete process.env.LOCAL_RUNTIME_CLOUDHSM_CLI_PATH;
    });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`FAIL  CLI layer: cloudhsm-cli: no executable at ${missing}`);
    expect(run.stdout).toMatch(/fix: attach the layer: rebuild the layer with scripts\/build-cloudhsm-cli-layer\.sh/);
    expect(run.stdout).toContain("FAIL  CLI layer: configuration directory: /opt/cloudhsm-missing/etc: ENOENT");
    expect(run.stdout).toMatch(/PASS {2}endpoint: KMS/);
  });

  it("fails with the fix when the cluster given does not exist: no trust anchor secret, no HSMs", async () => {
    const clusterId = "cluster-abcdefghijk";

    const run = await cli(["preflight", "--in-aws", "--cluster-id", clusterId]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `FAIL  endpoint: Secrets Manager: reachable and allowed, but keystore-autopilot/trust-anchor/${clusterId} does not exist`,
    );
    expect(run.stdout).toContain(
      `FAIL  HSMs of ${clusterId}: cluster ${clusterId} not found in this account and Region`,
    );
    expect(run.stdout).toMatch(/fix: pass the id of a cluster of this account and Region/);
    expect(run.stdout).toContain(`FAIL  HSM path: CloudHSM CLI user list on ${clusterId}: `);
    expect(run.stdout).toMatch(/3 checks failed: fix them before running a workflow/);
  });

  it("runs the HSM path the workflows take on a real cluster: the CLI configured at run time answers user list", async () => {
    // Prepare: an ACTIVE cluster with kmsuser and its trust anchor secret, as provision-key-store leaves them.
    const cluster = await seedCluster(account);

    // Act
    const run = await cli(["preflight", "--in-aws", "--cluster-id", cluster.clusterId]);

    // Assess: the CLI was configured for the cluster (no address or CA baked in) and listed its users without a
    // login. Whether the HSMs' addresses take TCP depends on this machine's network (they exist only in the local
    // account's records), so that line is not asserted here; checkHsms has its unit tests.
    expect(run.stdout).toMatch(
      new RegExp(`PASS {2}HSM path: CloudHSM CLI user list on ${cluster.clusterId}: \\d+ user\\(s\\); kmsuser present`),
    );
    expect(run.stdout).toMatch(/PASS {2}endpoint: Secrets Manager: /);
    expect(run.stdout).not.toMatch(/FAIL {2}(CLI layer|endpoint|HSM path)/);
  });

  it("refuses --cluster-id without --in-aws and a malformed cluster id with exit 2, naming the option", async () => {
    const alone = await cli(["preflight", "--cluster-id", "cluster-abcdefghijk"]);
    const malformed = await cli(["preflight", "--in-aws", "--cluster-id", "cluster-1"]);
    const neither = await cli(["preflight"]);

    expect([alone.code, malformed.code, neither.code]).toEqual([2, 2, 2]);
    expect(alone.stderr).toMatch(/--cluster-id needs --in-aws/);
    expect(malformed.stderr).toMatch(/--cluster-id: 'cluster-1' is not a cluster id/);
    expect(neither.stderr).toMatch(/give --subnets .*, --in-aws .*, or both/);
  });
});
