import { CreateClusterCommand, CreateHsmCommand, DeleteHsmCommand } from "@aws-sdk/client-cloudhsm-v2";
import { CreateCustomKeyStoreCommand } from "@aws-sdk/client-kms";
import { DescribeExecutionCommand, ListExecutionsCommand } from "@aws-sdk/client-sfn";
import { adminSecretName, kmsuserSecretName } from "../connect/model";
import { generatePassword } from "../connect/password";
import type { HsmCredential } from "../ports/hsm";
import { SecretMalformedError } from "../ports/secrets";
import { tokenFor } from "../tokens";
import { InvalidInputError, parseOrThrow } from "../validation";
import {
  AdminPasswordUnknownError,
  AdoptedClusterIncompleteError,
  ClusterInUseError,
  ClusterUnusableError,
  HsmReplacementBudgetError,
  KeyStoreCreationRefusedError,
  KeyStoreNameInUseError,
  ProvisionAlreadyRunningError,
} from "./errors";
import {
  adminSecretFor,
  caSecretFor,
  initialKmsuserSecretFor,
  KEY_STORE_TAG,
  ProvisionInputSchema,
  type ProvisionPlan,
  trustAnchorSecretFor,
} from "./model";
import {
  allKeyStores,
  cluster,
  customerCa,
  GONE,
  generateOnce,
  MAX_HSM_REPLACEMENTS,
  type ProvisionDeps,
  parseJsonSecret,
  taggedCluster,
} from "./shared";

export { MAX_HSM_REPLACEMENTS, type ProvisionDeps } from "./shared";

/** Which execution is asking, so a second provisioning of the same name refuses instead of racing. */
export type ExecutionRef = { executionArn: string; stateMachineArn: string };

async function refuseIfAnotherRuns(deps: ProvisionDeps, keyStoreName: string, self: ExecutionRef) {
  let nextToken: string | undefined;
  do {
    const page = await deps.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: self.stateMachineArn,
        statusFilter: "RUNNING",
        maxResults: 100,
        nextToken,
      }),
    );
    for (const e of page.executions ?? []) {
      if (!e.executionArn || e.executionArn === self.executionArn) continue;
      const described = await deps.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      let name: unknown;
      try {
        name = (JSON.parse(described.input ?? "{}") as { keyStoreName?: unknown }).keyStoreName;
      } catch {
        name = undefined;
      }
      if (name === keyStoreName && described.status === "RUNNING") {
        throw new ProvisionAlreadyRunningError(keyStoreName, e.executionArn);
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
}

/**
 * First step: validates the input and checks, before anything is created, that the name and the cluster are free.
 * On a re-run it finds what the earlier run made (the tagged cluster, the key store on it) so the workflow resumes.
 */
export async function planProvisioning(
  deps: ProvisionDeps,
  input: unknown,
  self?: ExecutionRef,
): Promise<ProvisionPlan> {
  const req = parseOrThrow(ProvisionInputSchema, input);
  if (self) await refuseIfAnotherRuns(deps, req.keyStoreName, self);
  let clusterId = req.clusterId;
  const found = clusterId ? await cluster(deps, clusterId) : await taggedCluster(deps, req.keyStoreName);
  clusterId = found?.ClusterId;
  if (found && clusterId && found.State === "DELETE_IN_PROGRESS") {
    throw new ClusterUnusableError(clusterId, found.State);
  }
  const stores = await allKeyStores(deps);
  const named = stores.find((s) => s.name === req.keyStoreName);
  if (named && named.clusterId !== clusterId) throw new KeyStoreNameInUseError(req.keyStoreName, named.id);
  const sharing = clusterId ? stores.find((s) => s.clusterId === clusterId && s.name !== req.keyStoreName) : undefined;
  if (sharing && clusterId) {
    throw new ClusterInUseError(
      clusterId,
      `it already backs custom key store ${sharing.id} (${sharing.name}); give a cluster no key store uses, or subnetIds for a new one`,
    );
  }
  if (found && clusterId) await requireAdoptable(deps, clusterId, found.State ?? "");
  if (req.ca.mode === "secret") await customerCa(deps, req.ca.secretId);
  return {
    keyStoreName: req.keyStoreName,
    ...(clusterId ? { clusterId } : {}),
    ...(req.subnetIds ? { subnetIds: req.subnetIds } : {}),
    hsmType: req.hsmType,
    ...(req.backupRetentionDays !== undefined ? { backupRetentionDays: req.backupRetentionDays } : {}),
    hsmCount: req.hsmCount,
    caMode: req.ca.mode,
    caSecretId: req.ca.mode === "secret" ? req.ca.secretId : null,
    ...(named ? { customKeyStoreId: named.id } : {}),
  };
}

/** Past UNINITIALIZED, the steps ahead need the trust anchor (CreateCustomKeyStore) and, once activated, the admin. */
async function requireAdoptable(deps: ProvisionDeps, clusterId: string, state: string): Promise<void> {
  if (["CREATE_IN_PROGRESS", "UNINITIALIZED", "INITIALIZE_IN_PROGRESS"].includes(state)) return;
  if ((await deps.secrets.current(trustAnchorSecretFor(clusterId), { fresh: true })) === undefined) {
    throw new AdoptedClusterIncompleteError(
      clusterId,
      `store its trust anchor (the PEM it was initialized with) as the secret ${trustAnchorSecretFor(clusterId)}`,
    );
  }
  if (state === "INITIALIZED") return;
  if ((await deps.secrets.current(adminSecretFor(clusterId), { fresh: true })) === undefined) {
    throw new AdoptedClusterIncompleteError(
      clusterId,
      `store its admin credential {"username":"admin","password":"..."} as the secret ${adminSecretFor(clusterId)}`,
    );
  }
}

/**
 * Creates the cluster, tagged with the key store name, unless the plan adopts one or an earlier attempt made it.
 * CloudHSM refuses two subnets in one Availability Zone; that becomes an input error naming subnetIds.
 */
export async function ensureCluster(
  deps: ProvisionDeps,
  plan: Pick<ProvisionPlan, "keyStoreName" | "clusterId" | "subnetIds" | "hsmType" | "backupRetentionDays">,
): Promise<{ clusterId: string; created: boolean }> {
  if (plan.clusterId) return { clusterId: plan.clusterId, created: false };
  const earlier = await taggedCluster(deps, plan.keyStoreName);
  if (earlier?.ClusterId) return { clusterId: earlier.ClusterId, created: false };
  if (!plan.subnetIds)
    throw new InvalidInputError("Invalid input: subnetIds: required to create a cluster", "subnetIds");
  try {
    const out = await deps.cloudhsm.send(
      new CreateClusterCommand({
        HsmType: plan.hsmType,
        SubnetIds: plan.subnetIds,
        ...(plan.backupRetentionDays !== undefined
          ? { BackupRetentionPolicy: { Type: "DAYS", Value: String(plan.backupRetentionDays) } }
          : {}),
        TagList: [{ Key: KEY_STORE_TAG, Value: plan.keyStoreName }],
      }),
    );
    return { clusterId: out.Cluster?.ClusterId as string, created: true };
  } catch (error: unknown) {
    const e = error as Error;
    if (e.name === "CloudHsmInvalidRequestException" && /subnet|availability zone/i.test(e.message)) {
      throw new InvalidInputError(`Invalid input: subnetIds: ${e.message}`, "subnetIds");
    }
    throw error;
  }
}

/**
 * Brings the cluster to `target` HSMs, spread over its Availability Zones: deletes DEGRADED HSMs (bounded by
 * MAX_HSM_REPLACEMENTS over the run), creates missing ones in the zones with fewest. Idempotent: HSMs being created
 * count. `ready` when every HSM is ACTIVE and they cover min(2, target, zones) zones.
 */
export async function ensureHsms(
  deps: ProvisionDeps,
  ref: { clusterId: string; target: number; replaced: number },
): Promise<{
  ready: boolean;
  replaced: number;
  created: string[];
  hsms: { hsmId: string; az: string; state: string }[];
}> {
  const found = await cluster(deps, ref.clusterId);
  const hsms = (found.Hsms ?? []).filter((h) => !GONE.has(h.State ?? ""));
  const degraded = hsms.filter((h) => h.State === "DEGRADED");
  if (degraded.length > 0 && ref.replaced + degraded.length > MAX_HSM_REPLACEMENTS) {
    throw new HsmReplacementBudgetError(ref.clusterId, ref.replaced);
  }
  for (const h of degraded) {
    await deps.cloudhsm.send(new DeleteHsmCommand({ ClusterId: ref.clusterId, HsmId: h.HsmId }));
  }
  const live = hsms.filter((h) => h.State === "ACTIVE" || h.State === "CREATE_IN_PROGRESS");
  const zones = Object.keys(found.SubnetMapping ?? {}).sort();
  const perZone = new Map(zones.map((z) => [z, live.filter((h) => h.AvailabilityZone === z).length]));
  const created: string[] = [];
  while (live.length + created.length < ref.target && zones.length > 0) {
    const zone = zones.reduce((best, z) => ((perZone.get(z) ?? 0) < (perZone.get(best) ?? 0) ? z : best));
    const out = await deps.cloudhsm.send(new CreateHsmCommand({ ClusterId: ref.clusterId, AvailabilityZone: zone }));
    perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
    if (out.Hsm?.HsmId) created.push(out.Hsm.HsmId);
  }
  const covered = new Set(live.filter((h) => h.State === "ACTIVE").map((h) => h.AvailabilityZone)).size;
  const ready =
    created.length === 0 &&
    degraded.length === 0 &&
    live.length >= ref.target &&
    live.every((h) => h.State === "ACTIVE") &&
    covered >= Math.min(2, ref.target, zones.length);
  return {
    ready,
    replaced: degraded.length,
    created,
    hsms: hsms.map((h) => ({ hsmId: h.HsmId ?? "", az: h.AvailabilityZone ?? "", state: h.State ?? "" })),
  };
}

async function adminCredential(deps: ProvisionDeps, clusterId: string): Promise<HsmCredential> {
  const secretId = adminSecretFor(clusterId);
  const raw = await deps.secrets.current(secretId, { fresh: true });
  if (raw === undefined) throw new AdminPasswordUnknownError(clusterId, secretId);
  const value = parseJsonSecret(raw, secretId);
  if (typeof value.password !== "string") throw new SecretMalformedError(`Secret ${secretId} holds no password`);
  return {
    username: typeof value.username === "string" ? value.username : "admin",
    role: "admin",
    password: value.password,
  };
}

/**
 * `cluster activate` with an admin password generated into Secrets Manager first, so a retry after a lost answer
 * activates (or finds activated) with the same password. An already activated cluster needs its admin secret.
 */
export async function activateCluster(
  deps: ProvisionDeps,
  ref: { clusterId: string },
): Promise<{ adminSecretId: string }> {
  const found = await cluster(deps, ref.clusterId);
  const secretId = adminSecretFor(ref.clusterId);
  if (found.State === "ACTIVE" || found.State === "DEGRADED") {
    await adminCredential(deps, ref.clusterId);
    return { adminSecretId: await deps.secrets.ensure(secretId, "") };
  }
  if (found.State !== "INITIALIZED") throw new ClusterUnusableError(ref.clusterId, found.State ?? "unknown");
  const { secretArn, value } = await generateOnce(
    deps,
    secretId,
    `Admin of CloudHSM cluster ${ref.clusterId} (set by keystore-autopilot provision-key-store)`,
    async () => JSON.stringify({ username: "admin", password: generatePassword() }),
  );
  const password = String(parseJsonSecret(value, secretId).password);
  try {
    await deps.hsm.activateCluster(ref.clusterId, password);
  } catch (error: unknown) {
    // A previous attempt activated it and its answer was lost: the stored password is the one it set.
    if (!/already activated/i.test((error as Error).message)) throw error;
  }
  return { adminSecretId: secretArn };
}

/**
 * Creates kmsuser (crypto user, no MFA) with a password generated into Secrets Manager, or adopts an existing
 * kmsuser by setting that password as admin; then checks it is replicated to every HSM.
 */
export async function ensureKmsuser(
  deps: ProvisionDeps,
  ref: { clusterId: string },
): Promise<{ kmsuserSecretId: string; kmsuser: "created" | "adopted" }> {
  const admin = await adminCredential(deps, ref.clusterId);
  const secretId = initialKmsuserSecretFor(ref.clusterId);
  const { secretArn, value } = await generateOnce(
    deps,
    secretId,
    `Initial kmsuser password of CloudHSM cluster ${ref.clusterId}; connect-key-store rotates it`,
    async () => JSON.stringify({ username: "kmsuser", password: generatePassword() }),
  );
  const password = String(parseJsonSecret(value, secretId).password);
  const kmsuser = { username: "kmsuser", role: "crypto-user" as const };
  const users = await deps.hsm.listUsers(ref.clusterId, admin);
  const existing = users.find((u) => u.username.toLowerCase() === "kmsuser");
  if (existing && existing.role !== "crypto-user") {
    throw new ClusterInUseError(ref.clusterId, `its user kmsuser is a ${existing.role}, not a crypto-user`);
  }
  if (existing) await deps.hsm.changePassword(ref.clusterId, admin, kmsuser, password);
  else await deps.hsm.createUser(ref.clusterId, admin, kmsuser, password);
  const coverage = await deps.hsm.userCoverage(ref.clusterId, admin, "kmsuser");
  if (coverage !== "full") {
    throw new ClusterUnusableError(
      ref.clusterId,
      `ready, but kmsuser is not on every HSM (cluster-coverage ${coverage})`,
    );
  }
  return { kmsuserSecretId: secretArn, kmsuser: existing ? "adopted" : "created" };
}

const REFUSALS: Record<string, string> = {
  CloudHsmClusterInUseException:
    "the cluster backs another key store or shares its backup history with one; use a cluster of its own",
  IncorrectTrustAnchorException:
    "the trust anchor is not the certificate the cluster was initialized with; check the CA (ca mode) and start again",
  CloudHsmClusterNotActiveException: "the cluster is not ACTIVE; start provisioning again once it is",
  CloudHsmClusterInvalidConfigurationException:
    "the cluster needs ≥2 ACTIVE HSMs in different AZs, private subnets in ≥2 AZs, the default security group rules, and no mTLS (DOMAIN.md §1.1)",
  CloudHsmClusterNotFoundException: "the cluster no longer exists",
  LimitExceededException:
    "the account has 10 custom key stores in this Region, the quota; delete one or raise the quota",
};

/**
 * CreateCustomKeyStore (DOMAIN.md §1.1), idempotent: a store of this name on this cluster is adopted. Then the
 * cluster's admin secret is copied to the key store's default admin secret, which connect-key-store (and its
 * scheduled rotations) read. Passwords go from Secrets Manager to KMS and nowhere else.
 */
export async function createKeyStore(
  deps: ProvisionDeps,
  ref: {
    keyStoreName: string;
    clusterId: string;
    caMode?: "managed" | "secret" | "external";
    caSecretId?: string | null | undefined;
  },
): Promise<{ customKeyStoreId: string; adminSecretId: string; created: boolean; secrets: Record<string, string> }> {
  const stores = await allKeyStores(deps);
  const named = stores.find((s) => s.name === ref.keyStoreName);
  if (named && named.clusterId !== ref.clusterId) throw new KeyStoreNameInUseError(ref.keyStoreName, named.id);
  let customKeyStoreId = named?.id;
  if (!customKeyStoreId) {
    const trustAnchor = await deps.secrets.current(trustAnchorSecretFor(ref.clusterId), { fresh: true });
    if (trustAnchor === undefined)
      throw new ClusterUnusableError(ref.clusterId, "initialized without a recorded trust anchor");
    const raw = await deps.secrets.current(initialKmsuserSecretFor(ref.clusterId), { fresh: true });
    const password =
      raw === undefined ? undefined : parseJsonSecret(raw, initialKmsuserSecretFor(ref.clusterId)).password;
    if (typeof password !== "string") throw new SecretMalformedError("The kmsuser secret holds no password");
    try {
      const out = await deps.kms.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: ref.keyStoreName,
          CloudHsmClusterId: ref.clusterId,
          KeyStorePassword: password,
          TrustAnchorCertificate: trustAnchor,
        }),
      );
      customKeyStoreId = out.CustomKeyStoreId as string;
    } catch (error: unknown) {
      const name = (error as Error).name;
      if (name === "CustomKeyStoreNameInUseException") {
        throw new KeyStoreNameInUseError(ref.keyStoreName, "(another)");
      }
      if (name === "CloudHsmClusterInUseException")
        throw new ClusterInUseError(ref.clusterId, REFUSALS[name] as string);
      const action = REFUSALS[name];
      if (action) throw new KeyStoreCreationRefusedError(name, action);
      throw error;
    }
  }
  const admin = await deps.secrets.current(adminSecretFor(ref.clusterId), { fresh: true });
  if (admin === undefined) throw new AdminPasswordUnknownError(ref.clusterId, adminSecretFor(ref.clusterId));
  const storeAdmin = adminSecretName(customKeyStoreId);
  await deps.secrets.ensure(storeAdmin, `Admin of the cluster of custom key store ${customKeyStoreId}`);
  const versionId = tokenFor(`${storeAdmin}/from-cluster`);
  if ((await deps.secrets.version(storeAdmin, versionId)) === undefined) {
    await deps.secrets.put(storeAdmin, versionId, admin, ["AWSCURRENT"]);
  }
  const ca = ref.caMode === "managed" ? caSecretFor(ref.clusterId) : (ref.caSecretId ?? undefined);
  return {
    customKeyStoreId,
    adminSecretId: storeAdmin,
    created: !named,
    // References only: where each credential lives. kmsuser's is connect-key-store's (it rotates it on connect).
    secrets: {
      admin: storeAdmin,
      clusterAdmin: adminSecretFor(ref.clusterId),
      kmsuser: kmsuserSecretName(customKeyStoreId),
      trustAnchor: trustAnchorSecretFor(ref.clusterId),
      initialKmsuser: initialKmsuserSecretFor(ref.clusterId),
      ...(ca ? { ca } : {}),
    },
  };
}
