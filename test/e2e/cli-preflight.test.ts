import { subnetIdInZone } from "../../local/account/cloudhsm/network";
import { LocalAccountProcess } from "../../local/account/process";
import { runAutopilot } from "../support/autopilot-cli";

/** `keystore-autopilot preflight` as a user runs it, against the local account (its EC2, KMS and CloudTrail). */
describe("keystore-autopilot preflight on the local account", () => {
  let account: LocalAccountProcess;

  const cli = (args: string[]) => runAutopilot(account, args);

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
  });
  afterAll(() => account.stop());

  it("passes with two subnets in different Availability Zones, a trail logging and room for a key store", async () => {
    // Prepare
    const subnets = [subnetIdInZone("a"), subnetIdInZone("b")];

    // Act
    const run = await cli(["preflight", "--subnets", subnets.join(",")]);

    // Assess
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/PASS {2}subnets: Availability Zones: 2 zones: us-east-1a, us-east-1b/);
    expect(run.stdout).toMatch(/PASS {2}custom key store quota: 0 of 10/);
    expect(run.stdout).toMatch(/PASS {2}CloudTrail trail: management-events logs management events in us-east-1/);
    expect(run.stdout).not.toMatch(/FAIL/);
  });

  it("fails naming the zone and the fix when both subnets share an Availability Zone", async () => {
    // Prepare
    const subnets = [subnetIdInZone("c"), subnetIdInZone("c")];

    // Act
    const run = await cli(["preflight", "--subnets", subnets.join(",")]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `FAIL  subnets: Availability Zones: ${subnets[0]} and ${subnets[1]} are both in us-east-1c`,
    );
    expect(run.stdout).toMatch(/fix: replace all but one of them with a private subnet in another Availability Zone/);
    expect(run.stdout).toMatch(/1 check failed/);
  });

  it("fails on a missing subnet, a subnet short of addresses and a trail that stopped logging, in --json", async () => {
    // Prepare
    const [gone, tight, fine] = [subnetIdInZone("a"), subnetIdInZone("b"), subnetIdInZone("c")];
    await account.control("POST", "/_local/ec2/subnets", { subnetId: gone, exists: false });
    await account.control("POST", "/_local/ec2/subnets", { subnetId: tight, availableIpAddressCount: 1 });
    await account.control("POST", "/_local/cloudtrail/trail", { logging: false });

    // Act
    const missing = await cli(["--json", "preflight", "--subnets", `${gone},${fine}`]);
    const short = await cli(["--json", "preflight", "--subnets", `${tight},${fine}`]);
    await account.control("POST", "/_local/cloudtrail/trail", { logging: true });

    // Assess
    expect(missing.code).toBe(1);
    const missingChecks = JSON.parse(missing.stdout).checks as { check: string; status: string; detail: string }[];
    expect(missingChecks[0]).toMatchObject({ check: "subnets", status: "FAIL" });
    expect(missingChecks[0]?.detail).toContain(`The subnet ID '${gone}' does not exist`);
    const shortReport = JSON.parse(short.stdout);
    expect(shortReport.passed).toBe(false);
    expect(shortReport.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ check: `subnets: free addresses in ${tight}`, status: "FAIL" }),
        expect.objectContaining({ check: `subnets: free addresses in ${fine}`, status: "PASS" }),
        expect.objectContaining({
          check: "CloudTrail trail",
          status: "FAIL",
          detail: "no trail logs management events in us-east-1: management-events is not logging",
        }),
      ]),
    );
  });

  it("refuses a malformed subnet list with exit 2, naming --subnets", async () => {
    const run = await cli(["preflight", "--subnets", "subnet-0123456789abcdef0"]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--subnets: give at least two subnets/);
    expect(run.stdout).toBe("");
  });
});
