import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  type DescribeTrailsCommandOutput,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from "@aws-sdk/client-cloudtrail";
import { DescribeSubnetsCommand, EC2Client, type Subnet } from "@aws-sdk/client-ec2";
import { DescribeCustomKeyStoresCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import {
  checkKeyStoreQuota,
  checkSubnets,
  checkTrail,
  parseSubnets,
  renderPreflight,
  runPreflight,
} from "../../../cli/preflight";

const ec2Mock = mockClient(EC2Client);
const kmsMock = mockClient(KMSClient);
const trailMock = mockClient(CloudTrailClient);
const ec2 = new EC2Client({ region: "us-east-1" });
const kms = new KMSClient({ region: "us-east-1" });
const cloudtrail = new CloudTrailClient({ region: "us-east-1" });

/** The DescribeTrails example of the AWS SDK Code Examples (SOURCES.md): two single-Region trails in us-east-1. */
const DESCRIBE_TRAILS = JSON.parse(
  readFileSync(join(__dirname, "../../events/aws/cloudtrail-describe-trails.json"), "utf8"),
) as DescribeTrailsCommandOutput;

const subnet = (id: string, zone: string, free = 251, vpc = "vpc-0a1b2c3d4e5f60718"): Subnet => ({
  SubnetId: id,
  AvailabilityZone: zone,
  AvailableIpAddressCount: free,
  VpcId: vpc,
  State: "available",
});
const A = "subnet-0123456789abcdef0";
const B = "subnet-0fedcba9876543210";

beforeEach(() => {
  ec2Mock.reset();
  kmsMock.reset();
  trailMock.reset();
});

describe("parseSubnets", () => {
  it("returns the ids when two or more distinct subnet ids are given", () => {
    expect(parseSubnets(` ${A}, ${B} `)).toEqual([A, B]);
  });

  it.each([
    [A, /at least two subnets/],
    [`${A},${A}`, /listed twice/],
    [`${A},sg-0123456789abcdef0`, /'sg-0123456789abcdef0' is not a subnet id/],
  ])("throws a UsageError naming --subnets for %s", (value, message) => {
    expect(() => parseSubnets(value)).toThrow(expect.objectContaining({ name: "UsageError", exitCode: 2 }));
    expect(() => parseSubnets(value)).toThrow(message);
    expect(() => parseSubnets(value)).toThrow(/^--subnets: /);
  });
});

describe("checkSubnets", () => {
  it("returns only PASS when the subnets are in one VPC, two zones, with free addresses", async () => {
    ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [subnet(A, "us-east-1a"), subnet(B, "us-east-1b")] });

    const results = await checkSubnets(ec2, [A, B]);

    expect(results.map((r) => r.status)).toEqual(["PASS", "PASS", "PASS", "PASS"]);
    expect(ec2Mock.commandCalls(DescribeSubnetsCommand)[0]?.args[0].input).toEqual({ SubnetIds: [A, B] });
  });

  it("returns FAIL naming both subnets, the zone and the fix when they share an Availability Zone", async () => {
    ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [subnet(A, "us-east-1a"), subnet(B, "us-east-1a")] });

    const results = await checkSubnets(ec2, [A, B]);

    const zones = results.find((r) => r.check === "subnets: Availability Zones");
    expect(zones).toEqual({
      check: "subnets: Availability Zones",
      status: "FAIL",
      detail: `${A} and ${B} are both in us-east-1a`,
      fix: expect.stringMatching(/^replace all but one of them with a private subnet in another Availability Zone/),
    });
  });

  it("returns FAIL when the subnets are in two VPCs", async () => {
    ec2Mock.on(DescribeSubnetsCommand).resolves({
      Subnets: [subnet(A, "us-east-1a"), subnet(B, "us-east-1b", 251, "vpc-0999999999999999a")],
    });

    const [vpc] = await checkSubnets(ec2, [A, B]);

    expect(vpc).toMatchObject({ check: "subnets: one VPC", status: "FAIL", fix: expect.stringMatching(/one VPC/) });
  });

  it.each([
    [1, "FAIL"],
    [2, "WARN"],
    [3, "PASS"],
  ])(
    "returns %s free addresses as %s (an HSM and KMS's interface need two, KMS prefers three)",
    async (free, status) => {
      ec2Mock
        .on(DescribeSubnetsCommand)
        .resolves({ Subnets: [subnet(A, "us-east-1a", free), subnet(B, "us-east-1b")] });

      const results = await checkSubnets(ec2, [A, B]);

      expect(results.find((r) => r.check === `subnets: free addresses in ${A}`)?.status).toBe(status);
    },
  );

  it("returns one FAIL with EC2's message when a subnet does not exist", async () => {
    ec2Mock
      .on(DescribeSubnetsCommand)
      .rejects(Object.assign(new Error(`The subnet ID '${B}' does not exist`), { name: "InvalidSubnetID.NotFound" }));

    const results = await checkSubnets(ec2, [A, B]);

    expect(results).toEqual([
      expect.objectContaining({ check: "subnets", status: "FAIL", detail: `The subnet ID '${B}' does not exist` }),
    ]);
  });
});

describe("checkKeyStoreQuota", () => {
  const stores = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ CustomKeyStoreId: `cks-${String(i).padStart(17, "0")}` }));

  it("returns PASS with the count when below the quota, reading every page", async () => {
    kmsMock
      .on(DescribeCustomKeyStoresCommand)
      .resolvesOnce({ CustomKeyStores: stores(4), Truncated: true, NextMarker: "m1" })
      .resolvesOnce({ CustomKeyStores: stores(5), Truncated: false });

    const result = await checkKeyStoreQuota(kms);

    expect(result).toEqual({
      check: "custom key store quota",
      status: "PASS",
      detail: "9 of 10 custom key stores used",
    });
    expect(kmsMock.commandCalls(DescribeCustomKeyStoresCommand)[1]?.args[0].input).toMatchObject({ Marker: "m1" });
  });

  it("returns WARN with the fix when at the quota", async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: stores(10), Truncated: false });

    const result = await checkKeyStoreQuota(kms);

    expect(result.status).toBe("WARN");
    expect(result.fix).toMatch(/Service Quotas/);
  });

  it("returns FAIL naming the permission when DescribeCustomKeyStores is denied", async () => {
    kmsMock
      .on(DescribeCustomKeyStoresCommand)
      .rejects(Object.assign(new Error("not authorized"), { name: "AccessDeniedException" }));

    const result = await checkKeyStoreQuota(kms);

    expect(result).toMatchObject({ status: "FAIL", fix: expect.stringMatching(/kms:DescribeCustomKeyStores/) });
  });
});

describe("checkTrail", () => {
  it("returns PASS when a trail of the Region is logging with the default event selector", async () => {
    trailMock.on(DescribeTrailsCommand).resolves(DESCRIBE_TRAILS);
    trailMock.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    trailMock
      .on(GetEventSelectorsCommand)
      .resolves({ EventSelectors: [{ ReadWriteType: "All", IncludeManagementEvents: true }] });

    const result = await checkTrail(cloudtrail, "us-east-1");

    expect(result).toMatchObject({ status: "PASS", detail: "Trail1 logs management events in us-east-1" });
  });

  it("returns FAIL when the only trails are single-Region trails of another Region", async () => {
    trailMock.on(DescribeTrailsCommand).resolves(DESCRIBE_TRAILS);

    const result = await checkTrail(cloudtrail, "eu-west-1");

    expect(result).toMatchObject({ status: "FAIL", detail: "no trail covers eu-west-1" });
    expect(result.fix).toMatch(/create-trail .* --is-multi-region-trail/);
    expect(trailMock.commandCalls(GetTrailStatusCommand)).toHaveLength(0);
  });

  it("returns FAIL naming each trail that is not logging or logs no write management events", async () => {
    trailMock.on(DescribeTrailsCommand).resolves(DESCRIBE_TRAILS);
    trailMock
      .on(GetTrailStatusCommand, { Name: "arn:aws:cloudtrail:us-east-1:123456789012:trail/Trail1" })
      .resolves({ IsLogging: false })
      .on(GetTrailStatusCommand, { Name: "arn:aws:cloudtrail:us-east-1:123456789012:trail/Trail2" })
      .resolves({ IsLogging: true });
    // Trail1 would log write management events were it logging; Trail2 logs, but read-only events only.
    trailMock
      .on(GetEventSelectorsCommand, { TrailName: "arn:aws:cloudtrail:us-east-1:123456789012:trail/Trail1" })
      .resolves({ EventSelectors: [{ ReadWriteType: "All", IncludeManagementEvents: true }] })
      .on(GetEventSelectorsCommand, { TrailName: "arn:aws:cloudtrail:us-east-1:123456789012:trail/Trail2" })
      .resolves({ EventSelectors: [{ ReadWriteType: "ReadOnly", IncludeManagementEvents: true }] });

    const result = await checkTrail(cloudtrail, "us-east-1");

    expect(result).toMatchObject({
      status: "FAIL",
      detail:
        "no trail logs management events in us-east-1: Trail1 is not logging; Trail2 does not log write management events",
    });
  });

  it.each([
    ["write-only management events", { ReadWriteType: "WriteOnly" as const, IncludeManagementEvents: true }],
    [
      "KMS excluded",
      {
        ReadWriteType: "All" as const,
        IncludeManagementEvents: true,
        ExcludeManagementEventSources: ["kms.amazonaws.com"],
      },
    ],
  ])("returns WARN naming KeyPendingDeletionInUse when the logging trail has %s", async (_what, selector) => {
    trailMock.on(DescribeTrailsCommand).resolves(DESCRIBE_TRAILS);
    trailMock.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    trailMock.on(GetEventSelectorsCommand).resolves({ EventSelectors: [selector] });

    const result = await checkTrail(cloudtrail, "us-east-1");

    expect(result).toMatchObject({ status: "WARN", fix: expect.stringContaining("kms.amazonaws.com") });
    expect(result.detail).toContain("no trail logs KMS's read events");
    expect(result.detail).toContain("KeyPendingDeletionInUse");
  });

  it.each([
    ["write events only", [{ Field: "readOnly", Equals: ["false"] }]],
    ["KMS left out", [{ Field: "eventSource", NotEquals: ["kms.amazonaws.com"] }]],
  ])("returns WARN for advanced selectors on management events with %s", async (_what, more) => {
    trailMock.on(DescribeTrailsCommand).resolves(DESCRIBE_TRAILS);
    trailMock.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    trailMock.on(GetEventSelectorsCommand).resolves({
      AdvancedEventSelectors: [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }, ...more] }],
    });

    expect(await checkTrail(cloudtrail, "us-east-1")).toMatchObject({ status: "WARN" });
  });

  it("returns PASS when one trail logs the writes and another KMS's reads", async () => {
    trailMock.on(DescribeTrailsCommand).resolves(DESCRIBE_TRAILS);
    trailMock.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    trailMock
      .on(GetEventSelectorsCommand, { TrailName: "arn:aws:cloudtrail:us-east-1:123456789012:trail/Trail1" })
      .resolves({ EventSelectors: [{ ReadWriteType: "WriteOnly", IncludeManagementEvents: true }] })
      .on(GetEventSelectorsCommand, { TrailName: "arn:aws:cloudtrail:us-east-1:123456789012:trail/Trail2" })
      .resolves({ EventSelectors: [{ ReadWriteType: "ReadOnly", IncludeManagementEvents: true }] });

    expect(await checkTrail(cloudtrail, "us-east-1")).toMatchObject({ status: "PASS" });
  });

  it("returns PASS for advanced selectors on management events that are not read-only", async () => {
    trailMock
      .on(DescribeTrailsCommand)
      .resolves({ trailList: [{ Name: "org", IsMultiRegionTrail: true, HomeRegion: "eu-west-1" }] });
    trailMock.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    trailMock.on(GetEventSelectorsCommand).resolves({
      AdvancedEventSelectors: [{ FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }] }],
    });

    expect((await checkTrail(cloudtrail, "us-east-1")).status).toBe("PASS");
  });
});

describe("runPreflight and renderPreflight", () => {
  it("prints each check with its fix and says how many failed", async () => {
    ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [subnet(A, "us-east-1a"), subnet(B, "us-east-1a")] });
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [] });
    trailMock.on(DescribeTrailsCommand).resolves({ trailList: [] });

    const results = await runPreflight({ ec2, kms, cloudtrail }, { subnetIds: [A, B], region: "us-east-1" });
    const text = renderPreflight(results, "AWS (region us-east-1)");

    expect(text).toContain(
      `FAIL  subnets: Availability Zones: ${A} and ${B} are both in us-east-1a\n      fix: replace`,
    );
    expect(text).toContain("PASS  custom key store quota: 0 of 10 custom key stores used\n");
    expect(text).toContain("FAIL  CloudTrail trail: no trail covers us-east-1\n      fix: aws cloudtrail create-trail");
    expect(text.trimEnd().split("\n").at(-1)).toBe("2 checks failed: fix them before creating a cluster");
  });
});
