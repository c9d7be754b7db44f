import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import type { AccountContext } from "../account";
import { ec2Id, freeIp, subnetIdInZone, ZONE_LETTERS } from "../cloudhsm/network";
import { newUser, passwordProblem } from "../cluster-users";
import { newClusterId, newHsmId } from "../ids";
import type { ClusterRecord, ClusterUser, HsmRecord } from "../model";
import { DAY } from "../timing";
import { issueCertificate, selfSignedTrustAnchor } from "./certificates";
import { getCluster, KMSUSER } from "./clusters";
import { KIND, type StoredKeyStore } from "./records";

const Password = z
  .string()
  .refine((p) => passwordProblem(p) === undefined, { message: "must be 8 to 32 characters without ':'" });

const SeedClusterInput = z.object({
  /** ACTIVE HSMs to create (0–28). */
  hsms: z.number().int().min(0).max(28).default(2),
  /** How many Availability Zones (a, b, c) the HSMs are spread over, round-robin (1 puts them all in one AZ). */
  availabilityZones: z.number().int().min(1).max(ZONE_LETTERS.length).default(ZONE_LETTERS.length),
  /** Create the kmsuser crypto user (false: connecting fails with USER_NOT_FOUND). */
  kmsuser: z.boolean().default(true),
  kmsuserPassword: Password.optional(),
  adminPassword: Password.optional(),
  hsmType: z.enum(["hsm1.medium", "hsm2m.medium"]).default("hsm2m.medium"),
  /** Model a cluster restored from a backup of this one: same backup history, certificates, users and keys. */
  restoredFrom: z.string().optional(),
});

/**
 * Control routes for a ready CloudHSM cluster without walking the whole CloudHSM flow (CreateCluster, CreateHsm,
 * InitializeCluster, `cluster activate`, `user create`), which takes many calls and simulated minutes. Used by the
 * KMS end-to-end tests and the demo; the records they write are exactly those the CloudHSM service keeps.
 *
 * - `POST /_local/actions/seed-active-cluster` — body (all optional) `{"hsms": 2, "availabilityZones": 3,
 *   "kmsuser": true, "kmsuserPassword": "...", "adminPassword": "...", "hsmType": "hsm2m.medium",
 *   "restoredFrom": "cluster-..."}`. Creates an ACTIVE cluster with `hsms` ACTIVE HSMs spread over distinct AZs,
 *   a real self-signed trust anchor and a cluster certificate it signs, an `admin` user, the `kmsuser` crypto user
 *   and its SoftHSM2 token. Returns `{clusterId, trustAnchor, clusterCertificate, adminPassword, kmsuserPassword,
 *   hsms}`; pass `trustAnchor` and `kmsuserPassword` to CreateCustomKeyStore.
 * - `GET /_local/inspect/token-keys?clusterId=…` — `{"keys": [{"label", "id"}]}`: the backing keys in the cluster's
 *   token, what `key list` run as kmsuser shows, without a login.
 * - `GET /_local/inspect/cluster-users?clusterId=…` — `{"users": [{"username", "role", "locked"}]}`: what `user list`
 *   shows (it needs no login: "user list", CloudHSM User Guide), for checks that nobody was locked out.
 * - `POST /_local/actions/set-key-label` — `{"clusterId", "id", "label"}`: rewrites a backing key's label, as someone
 *   with kmsuser's login can (`key set-attribute`); the case KMS's docs warn of ("unless you have changed the label").
 */
export function registerSeedRoutes(ctx: AccountContext): void {
  ctx.front.route("POST", "/_local/actions/seed-active-cluster", (body) => seedActiveCluster(ctx, body));
  ctx.front.route("POST", "/_local/actions/set-key-label", (body) => setKeyLabel(ctx, body));
  ctx.front.route("GET", "/_local/inspect/token-keys", (_body, query) => {
    const cluster = getCluster(ctx, query.get("clusterId") ?? "");
    if (!cluster) throw new Error(`No cluster ${query.get("clusterId")}`);
    return { keys: ctx.hsm.hasToken(cluster.tokenLabel) ? ctx.hsm.listKeys(cluster.tokenLabel) : [] };
  });
  ctx.front.route("GET", "/_local/inspect/cluster-users", (_body, query) => {
    const cluster = getCluster(ctx, query.get("clusterId") ?? "");
    if (!cluster) throw new Error(`No cluster ${query.get("clusterId")}`);
    return { users: cluster.users.map((u) => ({ username: u.username, role: u.role, locked: u.locked })) };
  });
  // When each connection state began, on the simulated clock: what a key's user saw, not what a poll noticed.
  ctx.front.route("GET", "/_local/inspect/key-store-states", (_body, query) => {
    const store = ctx.store.get<StoredKeyStore>(KIND.keyStore, query.get("customKeyStoreId") ?? "");
    if (!store) throw new Error(`No key store ${query.get("customKeyStoreId")}`);
    return {
      changes: (store.stateChanges ?? []).map((c) => ({ ...c, at: new Date(c.at).toISOString() })),
    };
  });
}

const SetLabelInput = z.object({ clusterId: z.string(), id: z.string().min(1), label: z.string().min(1).max(127) });

function setKeyLabel(ctx: AccountContext, body: unknown) {
  const input = parse(SetLabelInput, body);
  const cluster = getCluster(ctx, input.clusterId);
  if (!cluster) throw new Error(`clusterId: no cluster ${input.clusterId}`);
  if (!ctx.hsm.hasKey(cluster.tokenLabel, input.id))
    throw new Error(`id: cluster ${input.clusterId} has no key ${input.id}`);
  ctx.hsm.setLabel(cluster.tokenLabel, input.id, input.label);
  return { clusterId: input.clusterId, id: input.id, label: input.label };
}

function seedActiveCluster(ctx: AccountContext, body: unknown) {
  const input = parse(SeedClusterInput, body);
  const { region } = ctx.config;
  const source = input.restoredFrom ? getCluster(ctx, input.restoredFrom) : undefined;
  if (input.restoredFrom && !source) throw new Error(`restoredFrom: no cluster ${input.restoredFrom}`);

  const clusterId = newClusterId();
  const now = ctx.clock.now();
  // Real time, so tools that check validity against the wall clock accept the certificates.
  const notBefore = new Date(Date.now() - DAY);
  let trustAnchor = source?.trustAnchor;
  let clusterCertificate = source?.Certificates.ClusterCertificate;
  if (!source) {
    const anchor = selfSignedTrustAnchor(`Local account root CA for ${clusterId}`, notBefore);
    trustAnchor = anchor.pem;
    clusterCertificate = issueCertificate(anchor, clusterId, notBefore).pem;
  }

  // Subnet ids the CloudHSM service maps to the same zones, so its CreateHsm and DescribeClusters agree with the seed.
  const zones = ZONE_LETTERS.slice(0, input.availabilityZones);
  const subnets = Object.fromEntries(zones.map((zone) => [`${region}${zone}`, subnetIdInZone(zone)]));
  const hsms: HsmRecord[] = [];
  for (let i = 0; i < input.hsms; i++) {
    const az = `${region}${zones[i % zones.length]}`;
    const subnetId = subnets[az] as string;
    hsms.push({
      HsmId: newHsmId(),
      ClusterId: clusterId,
      AvailabilityZone: az,
      SubnetId: subnetId,
      EniId: ec2Id("eni"),
      EniIp: freeIp(subnetId, hsms),
      HsmType: input.hsmType,
      State: "ACTIVE",
      StateMessage: "HSM created.",
    });
  }

  const adminPassword = input.adminPassword ?? password();
  const kmsuserPassword = input.kmsuser ? (input.kmsuserPassword ?? password()) : undefined;
  let users: ClusterUser[];
  if (source) {
    // A restored cluster has the users of the backup; nobody is logged in to it yet.
    users = source.users.map((u) => {
      const copy: ClusterUser = { ...u, sessions: 0 };
      delete copy.kmsSession;
      return copy;
    });
  } else {
    users = [
      newUser("admin", "admin", adminPassword),
      newUser("app_user", "appliance", randomBytes(16).toString("hex")),
    ];
    if (kmsuserPassword) users.push(newUser(KMSUSER, "crypto-user", kmsuserPassword));
  }

  const cluster: ClusterRecord = {
    ClusterId: clusterId,
    State: "ACTIVE",
    HsmType: input.hsmType,
    Mode: "FIPS",
    NetworkType: "IPV4",
    VpcId: ec2Id("vpc"),
    SecurityGroup: ec2Id("sg"),
    SubnetMapping: subnets,
    BackupPolicy: "DEFAULT",
    BackupRetentionPolicy: { Type: "DAYS", Value: "90" },
    CreateTimestamp: now,
    TagList: [],
    Hsms: hsms,
    Certificates: clusterCertificate ? { ClusterCertificate: clusterCertificate } : {},
    ...(trustAnchor ? { trustAnchor } : {}),
    lineage: source?.lineage ?? randomUUID(),
    users,
    tokenLabel: clusterId,
  };
  ctx.hsm.ensureToken(cluster.tokenLabel);
  if (source && ctx.hsm.hasToken(source.tokenLabel)) {
    ctx.hsm.importKeys(cluster.tokenLabel, ctx.hsm.exportKeys(source.tokenLabel));
  }
  ctx.store.tx(() => ctx.store.put("cluster", clusterId, cluster));
  return {
    clusterId,
    trustAnchor,
    clusterCertificate,
    ...(source ? {} : { adminPassword }),
    ...(kmsuserPassword && !source ? { kmsuserPassword } : {}),
    hsms: hsms.map((h) => ({ HsmId: h.HsmId, AvailabilityZone: h.AvailabilityZone })),
  };
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(`${issue?.path.map(String).join(".") || "body"}: ${issue?.message ?? "invalid"}`);
}

/** 24 alphanumeric characters: a valid CloudHSM and KMS password. */
function password(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
  return [...randomBytes(24)].map((b) => alphabet[b % alphabet.length]).join("");
}
