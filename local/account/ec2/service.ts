import { createHash, randomUUID } from "node:crypto";
import { z } from "zod";
import type { AccountContext } from "../account";
import { availabilityZoneOfSubnet, subnetPrefix } from "../cloudhsm/network";
import { CLUSTER } from "../cloudhsm/records";
import type { ClusterRecord } from "../model";

/** Store kind of a subnet's overrides (set by the control route); a subnet without one has its derived defaults. */
const SUBNET = "ec2-subnet";

/** What a test may change about a subnet: gone, in another VPC, or short of free addresses. */
const SubnetOverride = z
  .object({
    subnetId: z.string().regex(/^subnet-[0-9a-f]{17}$/, "subnetId must be subnet- and 17 hex digits"),
    exists: z.boolean().optional(),
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]{17}$/, "vpcId must be vpc- and 17 hex digits")
      .optional(),
    availableIpAddressCount: z.number().int().min(0).max(251).optional(),
  })
  .strict();
type SubnetOverride = z.infer<typeof SubnetOverride>;

/**
 * A /24 has 256 addresses, of which AWS reserves five (the first four and the last): 251 usable. Source: Amazon VPC
 * User Guide, "Subnet CIDR blocks" (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
 */
const USABLE_IN_SLASH_24 = 251;

/**
 * ec2:DescribeSubnets, the one EC2 call the CLI makes (preflight). EC2 speaks the EC2 Query protocol: a form-encoded
 * POST with Action, Version and `SubnetId.N`, answered in XML whose members are lowerCamel and whose lists are
 * `<…Set><item>` (Amazon EC2 API Reference, "DescribeSubnets" and "Query requests for Amazon EC2",
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSubnets.html). The local account has no VPCs to
 * create: as its CloudHSM accepts any well-formed subnet id (zone from the id, cloudhsm/network.ts), every such subnet
 * exists, in the account's one VPC, with 10.0.X.0/24 and 251 free addresses less one per HSM of a local cluster in it.
 * `POST /_local/ec2/subnets` makes one missing, moves it to another VPC, or sets its free addresses.
 */
export function registerEc2(ctx: AccountContext): void {
  const { accountId, region } = ctx.config;
  const defaultVpc = `vpc-${createHash("sha256").update(accountId).digest("hex").slice(0, 17)}`;

  const hsmsIn = (subnetId: string) =>
    ctx.store
      .list<ClusterRecord>(CLUSTER)
      .flatMap((c) => c.Hsms)
      .filter((h) => h.SubnetId === subnetId && h.State !== "DELETED").length;

  const describe = (subnetId: string) => {
    const override = ctx.store.get<SubnetOverride>(SUBNET, subnetId);
    if (!/^subnet-[0-9a-f]{17}$/.test(subnetId) || override?.exists === false) return undefined;
    const free = override?.availableIpAddressCount ?? Math.max(0, USABLE_IN_SLASH_24 - hsmsIn(subnetId));
    return {
      subnetId,
      subnetArn: `arn:aws:ec2:${region}:${accountId}:subnet/${subnetId}`,
      state: "available",
      vpcId: override?.vpcId ?? defaultVpc,
      ownerId: accountId,
      cidrBlock: `${subnetPrefix(subnetId)}.0/24`,
      availableIpAddressCount: free,
      availabilityZone: availabilityZoneOfSubnet(subnetId, region),
      defaultForAz: false,
      mapPublicIpOnLaunch: false,
    };
  };

  ctx.front.query("ec2", (params) => {
    if (params.get("Action") !== "DescribeSubnets") {
      return errorXml(400, "InvalidAction", `The action ${params.get("Action")} is not valid for this web service.`);
    }
    const ids: string[] = [];
    for (let n = 1; params.has(`SubnetId.${n}`); n++) ids.push(params.get(`SubnetId.${n}`) as string);
    if (ids.length === 0) {
      // Without ids EC2 lists every subnet; the local account has no list of them, so it says so rather than lie.
      return errorXml(400, "InvalidParameterCombination", "The local account describes subnets by SubnetId only");
    }
    const items = [];
    for (const id of ids) {
      const subnet = describe(id);
      // One unknown id fails the whole call (Amazon EC2 API Reference, "Error codes": InvalidSubnetID.NotFound).
      if (!subnet) return errorXml(400, "InvalidSubnetID.NotFound", `The subnet ID '${id}' does not exist`);
      items.push(subnet);
    }
    const xmlItems = items
      .map(
        (s) =>
          `    <item>\n${Object.entries(s)
            .map(([k, v]) => `      <${k}>${escapeXml(String(v))}</${k}>`)
            .join("\n")}\n    </item>`,
      )
      .join("\n");
    return {
      status: 200,
      xml: `<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>${randomUUID()}</requestId>
  <subnetSet>
${xmlItems}
  </subnetSet>
</DescribeSubnetsResponse>`,
    };
  });

  ctx.front.route("POST", "/_local/ec2/subnets", (body) => {
    const parsed = SubnetOverride.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${issue?.path.join(".") || "body"}: ${issue?.message}`);
    }
    const merged = { ...ctx.store.get<SubnetOverride>(SUBNET, parsed.data.subnetId), ...parsed.data };
    ctx.store.put(SUBNET, merged.subnetId, merged);
    return { subnet: describe(merged.subnetId) ?? null };
  });
}

function escapeXml(text: string): string {
  return text.replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c] ?? c);
}

/** EC2's error body: `<Response><Errors><Error>` (Amazon EC2 API Reference, "Error responses"). */
function errorXml(status: number, code: string, message: string): { status: number; xml: string } {
  return {
    status,
    xml: `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`,
  };
}
