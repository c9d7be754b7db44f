import {
  type CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  type GetEventSelectorsCommandOutput,
  GetTrailStatusCommand,
} from "@aws-sdk/client-cloudtrail";
import { DescribeSubnetsCommand, type EC2Client, type Subnet } from "@aws-sdk/client-ec2";
import { DescribeCustomKeyStoresCommand, type KMSClient } from "@aws-sdk/client-kms";
import { UsageError } from "./errors";

export type CheckStatus = "PASS" | "WARN" | "FAIL";
/** One finding: what was checked, its verdict, what is wrong (or fine), and the fix when it is not PASS. */
export type CheckResult = { check: string; status: CheckStatus; detail: string; fix?: string };
export type PreflightClients = { ec2: EC2Client; kms: KMSClient; cloudtrail: CloudTrailClient };

/**
 * Custom key stores per account and Region: 10, adjustable. Source: AWS KMS Developer Guide, "Resource quotas",
 * "Custom key store resource quota" (https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html).
 */
export const CUSTOM_KEY_STORE_QUOTA = 10;

/**
 * Free addresses each subnet needs: one for the HSM's elastic network interface (AWS CloudHSM API Reference,
 * "CreateHsm": IpAddress is "an available address from the subnet"), and one for the network interface KMS creates in
 * each of the cluster's subnets when it connects, where two are preferable (AWS KMS API Reference,
 * "CustomKeyStoresListEntry", INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET: "one free IP address in each of the associated
 * private subnets, although two are preferable").
 */
export const MIN_FREE_ADDRESSES = 2;
export const PREFERRED_FREE_ADDRESSES = 3;

const SUBNET_ID = /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** The --subnets list: two or more distinct subnet ids, or UsageError naming --subnets. */
export function parseSubnets(value: string): string[] {
  const ids = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = ids.find((id) => !SUBNET_ID.test(id));
  if (bad !== undefined)
    throw new UsageError(`--subnets: '${bad}' is not a subnet id (subnet- and 8 or 17 hex digits)`);
  if (new Set(ids).size !== ids.length) throw new UsageError("--subnets: a subnet is listed twice");
  if (ids.length < 2) {
    throw new UsageError("--subnets: give at least two subnets, in different Availability Zones (comma-separated)");
  }
  return ids;
}

const errorText = (error: unknown) => {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${e.message ?? String(error)}`;
};

/**
 * Subnets for the cluster: all exist, are in one VPC and in distinct Availability Zones, at least two of them, each
 * with free addresses. Source for one VPC and one subnet per Availability Zone: AWS CloudHSM API Reference,
 * "CreateCluster", SubnetIds ("All subnets must be in the same virtual private cloud (VPC). You can specify only one
 * subnet per Availability Zone."); for two zones: AWS KMS Developer Guide, "Create an AWS CloudHSM key store"
 * (the cluster needs private subnets in at least two Availability Zones and active HSMs in two of them).
 */
export async function checkSubnets(ec2: EC2Client, subnetIds: string[]): Promise<CheckResult[]> {
  let subnets: Subnet[];
  try {
    subnets = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }))).Subnets ?? [];
  } catch (error: unknown) {
    const name = (error as Error).name;
    if (name === "InvalidSubnetID.NotFound" || name === "InvalidSubnetID.Malformed") {
      return [
        {
          check: "subnets",
          status: "FAIL",
          detail: (error as Error).message,
          fix: "pass subnets of this account and Region (aws ec2 describe-subnets lists them)",
        },
      ];
    }
    return [
      {
        check: "subnets",
        status: "FAIL",
        detail: `DescribeSubnets failed: ${errorText(error)}`,
        fix: "allow ec2:DescribeSubnets to the credentials you run preflight with",
      },
    ];
  }
  const results: CheckResult[] = [];
  const vpcs = [...new Set(subnets.map((s) => s.VpcId))];
  results.push(
    vpcs.length === 1
      ? { check: "subnets: one VPC", status: "PASS", detail: `all in ${vpcs[0]}` }
      : {
          check: "subnets: one VPC",
          status: "FAIL",
          detail: `the subnets are in ${vpcs.length} VPCs: ${subnets.map((s) => `${s.SubnetId} in ${s.VpcId}`).join(", ")}`,
          fix: "choose subnets of one VPC: CloudHSM's CreateCluster takes subnets of a single VPC",
        },
  );
  const byZone = new Map<string, string[]>();
  for (const s of subnets) {
    const zone = s.AvailabilityZone ?? "?";
    byZone.set(zone, [...(byZone.get(zone) ?? []), s.SubnetId ?? "?"]);
  }
  const shared = [...byZone].filter(([, ids]) => ids.length > 1);
  if (shared.length > 0) {
    const [zone, ids] = shared[0] as [string, string[]];
    results.push({
      check: "subnets: Availability Zones",
      status: "FAIL",
      detail: `${ids.join(" and ")} are both in ${zone}`,
      fix: `replace all but one of them with a private subnet in another Availability Zone of ${vpcs[0]}: CloudHSM takes one subnet per zone, and KMS needs HSMs in two zones`,
    });
  } else if (byZone.size < 2) {
    results.push({
      check: "subnets: Availability Zones",
      status: "FAIL",
      detail: `only one Availability Zone (${[...byZone.keys()].join("")})`,
      fix: "add a private subnet in a second Availability Zone",
    });
  } else {
    results.push({
      check: "subnets: Availability Zones",
      status: "PASS",
      detail: `${byZone.size} zones: ${[...byZone.keys()].sort().join(", ")}`,
    });
  }
  for (const s of subnets) {
    const free = s.AvailableIpAddressCount ?? 0;
    const check = `subnets: free addresses in ${s.SubnetId}`;
    if (free < MIN_FREE_ADDRESSES) {
      results.push({
        check,
        status: "FAIL",
        detail: `${free} free address${free === 1 ? "" : "es"}; an HSM and KMS's connection need ${MIN_FREE_ADDRESSES}`,
        fix: "free addresses in the subnet (unused instances, network interfaces) or choose a roomier subnet; a subnet's CIDR cannot grow",
      });
    } else if (free < PREFERRED_FREE_ADDRESSES) {
      results.push({
        check,
        status: "WARN",
        detail: `${free} free addresses: enough for one HSM and one KMS interface, KMS prefers two`,
        fix: "free one more address in the subnet, or choose a roomier subnet",
      });
    } else {
      results.push({ check, status: "PASS", detail: `${free} free addresses` });
    }
  }
  return results;
}

/** The number of custom key stores against the quota (every type and connection state counts). */
export async function checkKeyStoreQuota(kms: KMSClient): Promise<CheckResult> {
  const check = "custom key store quota";
  let count = 0;
  try {
    let marker: string | undefined;
    do {
      const page = await kms.send(
        new DescribeCustomKeyStoresCommand({ Limit: 1000, ...(marker ? { Marker: marker } : {}) }),
      );
      count += page.CustomKeyStores?.length ?? 0;
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
  } catch (error: unknown) {
    return {
      check,
      status: "FAIL",
      detail: `DescribeCustomKeyStores failed: ${errorText(error)}`,
      fix: "allow kms:DescribeCustomKeyStores to the credentials you run preflight with",
    };
  }
  if (count >= CUSTOM_KEY_STORE_QUOTA) {
    return {
      check,
      status: "WARN",
      detail: `${count} custom key stores, at the default quota of ${CUSTOM_KEY_STORE_QUOTA} per account and Region: CreateCustomKeyStore fails with LimitExceededException unless it was raised`,
      fix: "delete an unused custom key store, or request an increase in Service Quotas (AWS KMS, custom key stores)",
    };
  }
  return { check, status: "PASS", detail: `${count} of ${CUSTOM_KEY_STORE_QUOTA} custom key stores used` };
}

/** Whether a trail's selectors log write management events (what the product reacts to). */
function logsManagementWrites(selectors: GetEventSelectorsCommandOutput): boolean {
  // Basic selectors: IncludeManagementEvents defaults to true and ReadWriteType to All (AWS CloudTrail API Reference,
  // "EventSelector"). Advanced selectors: a selector with eventCategory = Management, not limited to readOnly = true
  // (AWS CloudTrail API Reference, "AdvancedFieldSelector").
  const basic = (selectors.EventSelectors ?? []).some(
    (s) => s.IncludeManagementEvents !== false && s.ReadWriteType !== "ReadOnly",
  );
  const advanced = (selectors.AdvancedEventSelectors ?? []).some((s) => {
    const category = s.FieldSelectors?.find((f) => f.Field === "eventCategory");
    const readOnly = s.FieldSelectors?.find((f) => f.Field === "readOnly");
    return category?.Equals?.includes("Management") === true && !readOnly?.Equals?.every((v) => v === "true");
  });
  return basic || advanced;
}

/**
 * Whether a trail's selectors log KMS's read management events: uses of a key pending deletion are read-only calls
 * (Decrypt, Encrypt, GenerateDataKey: KMS Developer Guide, ct-decrypt). Basic selectors drop them with ReadWriteType
 * WriteOnly or ExcludeManagementEventSources ["kms.amazonaws.com"] (AWS CloudTrail API Reference, "EventSelector");
 * advanced ones with readOnly = false or an eventSource selector that leaves KMS out ("AdvancedFieldSelector").
 */
function logsKmsReads(selectors: GetEventSelectorsCommandOutput): boolean {
  const basic = (selectors.EventSelectors ?? []).some(
    (s) =>
      s.IncludeManagementEvents !== false &&
      s.ReadWriteType !== "WriteOnly" &&
      !(s.ExcludeManagementEventSources ?? []).includes("kms.amazonaws.com"),
  );
  const advanced = (selectors.AdvancedEventSelectors ?? []).some((s) => {
    const field = (name: string) => s.FieldSelectors?.find((f) => f.Field === name);
    const source = field("eventSource");
    return (
      field("eventCategory")?.Equals?.includes("Management") === true &&
      !field("readOnly")?.Equals?.every((v) => v === "false") &&
      !source?.NotEquals?.includes("kms.amazonaws.com") &&
      (source?.Equals === undefined || source.Equals.includes("kms.amazonaws.com"))
    );
  });
  return basic || advanced;
}

/**
 * A trail that logs management events in this Region and is logging: without one, CloudTrail sends EventBridge no
 * API calls and the follow-up, connect and orphan workflows never start. Sources: Amazon EventBridge User Guide,
 * "Events from AWS services delivered via AWS CloudTrail" (a trail with logging on is needed); AWS CloudTrail API
 * Reference, DescribeTrails (trails of the current Region, shadow trails of multi-Region trails included),
 * GetTrailStatus (IsLogging) and GetEventSelectors.
 */
export async function checkTrail(cloudtrail: CloudTrailClient, region: string): Promise<CheckResult> {
  const check = "CloudTrail trail";
  const fix = `aws cloudtrail create-trail --name management-events --s3-bucket-name <bucket> --is-multi-region-trail && aws cloudtrail start-logging --name management-events (management events are logged by default)`;
  try {
    const trails = (await cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }))).trailList ?? [];
    const here = trails.filter((t) => t.IsMultiRegionTrail || t.HomeRegion === region);
    const problems: string[] = [];
    let writer: string | undefined;
    let reader: string | undefined;
    for (const trail of here) {
      const name = trail.TrailARN ?? trail.Name ?? "?";
      const status = await cloudtrail.send(new GetTrailStatusCommand({ Name: name }));
      const selectors = await cloudtrail.send(new GetEventSelectorsCommand({ TrailName: name }));
      if (status.IsLogging && logsManagementWrites(selectors)) writer ??= trail.Name;
      if (status.IsLogging && logsKmsReads(selectors)) reader ??= trail.Name;
      if (writer && reader) break;
      if (!status.IsLogging || !logsManagementWrites(selectors)) {
        problems.push(`${trail.Name} ${status.IsLogging ? "does not log write management events" : "is not logging"}`);
      }
    }
    if (writer && reader) {
      return { check, status: "PASS", detail: `${writer} logs management events in ${region}` };
    }
    if (writer) {
      return {
        check,
        status: "WARN",
        detail: `${writer} logs write management events in ${region}, but no trail logs KMS's read events: a use of a key pending deletion (Decrypt, Encrypt, GenerateDataKey) raises no KeyPendingDeletionInUse alert`,
        fix: `log read management events on ${writer} (ReadWriteType All) and do not exclude kms.amazonaws.com from its management events`,
      };
    }
    return {
      check,
      status: "FAIL",
      detail:
        problems.length > 0
          ? `no trail logs management events in ${region}: ${problems.join("; ")}`
          : `no trail covers ${region}`,
      fix:
        problems.length > 0
          ? "aws cloudtrail start-logging --name <trail>, and include write management events in its event selectors"
          : fix,
    };
  } catch (error: unknown) {
    return {
      check,
      status: "FAIL",
      detail: `CloudTrail could not be read: ${errorText(error)}`,
      fix: "allow cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors to the credentials you run preflight with",
    };
  }
}

/** Every check, in order; nothing is created or changed. */
export async function runPreflight(
  clients: PreflightClients,
  options: { subnetIds: string[]; region: string },
): Promise<CheckResult[]> {
  return [
    ...(await checkSubnets(clients.ec2, options.subnetIds)),
    await checkKeyStoreQuota(clients.kms),
    await checkTrail(clients.cloudtrail, options.region),
  ];
}

/** One line per check, then its fix indented on the next line; a closing verdict. */
export function renderPreflight(results: CheckResult[], where: string, before = "creating a cluster"): string {
  const lines = [`Preflight on ${where}`];
  for (const r of results) {
    lines.push(`${r.status.padEnd(4)}  ${r.check}: ${r.detail}`);
    if (r.fix && r.status !== "PASS") lines.push(`      fix: ${r.fix}`);
  }
  const failed = results.filter((r) => r.status === "FAIL").length;
  const warned = results.filter((r) => r.status === "WARN").length;
  lines.push(
    failed > 0
      ? `${failed} check${failed === 1 ? "" : "s"} failed: fix ${failed === 1 ? "it" : "them"} before ${before}`
      : `All checks passed${warned > 0 ? ` (${warned} warning${warned === 1 ? "" : "s"})` : ""}`,
  );
  return `${lines.join("\n")}\n`;
}
