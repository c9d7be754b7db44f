import { randomBytes } from "node:crypto";
import type { HsmRecord } from "../model";

/** The Availability Zone letters the local account spreads subnets over. */
export const ZONE_LETTERS = ["a", "b", "c"] as const;
export type ZoneLetter = (typeof ZONE_LETTERS)[number];

/**
 * The local account has no EC2, so a subnet's Availability Zone is derived from its id: the value of the **last hex
 * digit** of `subnet-…`, modulo 3, picks the zone letter `a`, `b` or `c` after the Region name.
 *
 * In us-east-1: `subnet-…0`, `…3`, `…6`, `…9`, `…c`, `…f` are in us-east-1a; `…1`, `…4`, `…7`, `…a`, `…d` in
 * us-east-1b; `…2`, `…5`, `…8`, `…b`, `…e` in us-east-1c. Use {@link subnetIdInZone} to make one for a given zone.
 */
export function availabilityZoneOfSubnet(subnetId: string, region: string): string {
  const digit = Number.parseInt(subnetId.slice(-1), 16);
  return `${region}${ZONE_LETTERS[digit % 3]}`;
}

/** A fresh, valid subnet id (17 hex digits) that {@link availabilityZoneOfSubnet} places in zone `letter`. */
export function subnetIdInZone(letter: ZoneLetter): string {
  const index = ZONE_LETTERS.indexOf(letter);
  const body = randomBytes(8).toString("hex");
  return `subnet-${body}${(index + 3 * ((randomBytes(1)[0] as number) % 5)).toString(16)}`;
}

/**
 * Each subnet has the CIDR `10.0.X.0/24`, X being the value of its id's last two hex digits. As in a VPC, the first
 * four addresses and the last one are reserved, so HSMs get hosts .4 to .254.
 */
export function subnetPrefix(subnetId: string): string {
  return `10.0.${Number.parseInt(subnetId.slice(-2), 16)}`;
}

/** Returns why `ip` cannot be an HSM's address in `subnetId`, or undefined when it can. */
export function ipProblem(ip: string, subnetId: string, hsms: HsmRecord[]): string | undefined {
  const prefix = subnetPrefix(subnetId);
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!match) return `IpAddress ${ip} is not an IPv4 address`;
  const host = Number(match[4]);
  if (`${match[1]}.${match[2]}.${match[3]}` !== prefix || host < 4 || host > 254) {
    return `IpAddress ${ip} is not a free address of subnet ${subnetId} (${prefix}.0/24, hosts .4 to .254)`;
  }
  if (hsms.some((hsm) => hsm.EniIp === ip)) return `IpAddress ${ip} is already in use by another HSM of the cluster`;
  return undefined;
}

/** A free address in the subnet, chosen at random. */
export function freeIp(subnetId: string, hsms: HsmRecord[]): string {
  const used = new Set(hsms.map((hsm) => hsm.EniIp));
  const prefix = subnetPrefix(subnetId);
  const start = 4 + ((randomBytes(1)[0] as number) % 251);
  for (let i = 0; i < 251; i++) {
    const ip = `${prefix}.${4 + ((start - 4 + i) % 251)}`;
    if (!used.has(ip)) return ip;
  }
  throw new Error(`Subnet ${subnetId} has no free address`);
}

/** `vpc-`, `sg-`, `eni-` ids: 17 hex digits, as EC2 makes them. */
export const ec2Id = (prefix: "vpc" | "sg" | "eni") => `${prefix}-${randomBytes(9).toString("hex").slice(0, 17)}`;
