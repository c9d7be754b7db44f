import { spawnSync } from "node:child_process";
import { DeleteHsmCommand } from "@aws-sdk/client-cloudhsm-v2";
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  type CustomKeyStoresListEntry,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
} from "@aws-sdk/client-kms";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { trustAnchorSecretFor } from "../../src/secret-names";
import { CREDENTIALS, LocalAccountProcess } from "./process";

export type SeededCluster = {
  clusterId: string;
  trustAnchor: string;
  clusterCertificate: string;
  adminPassword?: string;
  kmsuserPassword?: string;
  hsms: { HsmId: string; AvailabilityZone: string }[];
};

export type SeedOptions = {
  hsms?: number;
  availabilityZones?: number;
  kmsuser?: boolean;
  kmsuserPassword?: string;
  restoredFrom?: string;
};

/**
 * An ACTIVE cluster with ACTIVE HSMs in distinct AZs, an admin and a kmsuser: the control route, not the CloudHSM flow.
 * Its trust anchor is stored where the CLI steps read it to configure the CloudHSM CLI, as the README asks of anyone
 * bringing a cluster provisioning did not create.
 */
export async function seedCluster(account: LocalAccountProcess, options: SeedOptions = {}): Promise<SeededCluster> {
  const cluster = await account.control<SeededCluster>("POST", "/_local/actions/seed-active-cluster", options);
  const sm = new SecretsManagerClient({ endpoint: account.endpoint, region: account.region, credentials: CREDENTIALS });
  await sm.send(
    new CreateSecretCommand({
      Name: trustAnchorSecretFor(cluster.clusterId),
      SecretString: cluster.trustAnchor,
    }),
  );
  return cluster;
}

/** Marks an HSM DEGRADED (no longer active) or ACTIVE again: the CloudHSM service's fault-injection routes. */
export function setHsmHealth(account: LocalAccountProcess, hsmId: string, health: "degrade" | "restore") {
  return account.control("POST", `/_local/actions/${health}-hsm`, { hsmId });
}

/** DeleteHsm on every HSM of the cluster through the CloudHSM API, then lets the deletions finish. */
export async function deleteAllHsms(account: LocalAccountProcess, cluster: SeededCluster): Promise<void> {
  const cloudhsm = account.cloudhsm();
  for (const hsm of cluster.hsms) {
    await cloudhsm.send(new DeleteHsmCommand({ ClusterId: cluster.clusterId, HsmId: hsm.HsmId }));
  }
  await account.advance("10m");
}

export async function tokenKeys(
  account: LocalAccountProcess,
  clusterId: string,
): Promise<{ label: string; id: string }[]> {
  return (
    await account.control<{ keys: { label: string; id: string }[] }>(
      "GET",
      `/_local/inspect/token-keys?clusterId=${clusterId}`,
    )
  ).keys;
}

/**
 * A KMS client that retries throttling as production callers do: the local account enforces AWS's request quotas
 * (5 per second for most key store calls), which a test issuing calls back to back can exceed.
 */
export function patientKms(account: LocalAccountProcess): KMSClient {
  return new KMSClient({
    endpoint: account.endpoint,
    region: account.region,
    credentials: CREDENTIALS,
    maxAttempts: 10,
  });
}

export async function createStore(kms: KMSClient, cluster: SeededCluster, name: string, password?: string) {
  const out = await kms.send(
    new CreateCustomKeyStoreCommand({
      CustomKeyStoreName: name,
      CloudHsmClusterId: cluster.clusterId,
      TrustAnchorCertificate: cluster.trustAnchor,
      KeyStorePassword: password ?? cluster.kmsuserPassword,
    }),
  );
  return out.CustomKeyStoreId as string;
}

export async function describeStore(kms: KMSClient, id: string): Promise<CustomKeyStoresListEntry> {
  const out = await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }));
  const entry = out.CustomKeyStores?.[0];
  if (!entry) throw new Error(`no entry for ${id}`);
  return entry;
}

/** Connects and lets the simulated connect time pass; returns the settled entry (CONNECTED or FAILED). */
export async function connect(account: LocalAccountProcess, kms: KMSClient, id: string) {
  await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  await account.advance("21m");
  return describeStore(kms, id);
}

/** Disconnects and lets the simulated disconnect time pass. */
export async function disconnect(account: LocalAccountProcess, kms: KMSClient, id: string) {
  await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  await account.advance("1m");
  return describeStore(kms, id);
}

/** The CloudTrail records and other events appended after `after`, with their detail. */
export async function eventsAfter(account: LocalAccountProcess, after: number) {
  return (await account.events(after)).map((e) => e.event);
}

export async function lastSeq(account: LocalAccountProcess): Promise<number> {
  return (await account.events()).at(-1)?.seq ?? 0;
}

/** What an AWS SDK call rejected with: exception name, HTTP status and message. */
export async function failure(promise: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await promise;
  } catch (error: unknown) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** A raw AWS JSON 1.1 call, for bodies the SDK would refuse to send. */
export async function rawKms(account: LocalAccountProcess, operation: string, body: string) {
  const res = await fetch(account.endpoint, {
    method: "POST",
    headers: { "x-amz-target": `TrentService.${operation}`, "content-type": "application/x-amz-json-1.1" },
    body,
  });
  return { status: res.status, json: (await res.json()) as { __type?: string; message?: string } };
}

/**
 * Disconnects and deletes every custom key store that can be deleted, so a test file stays under the account's quota
 * of 10 stores. Stores that still hold keys are left as they are.
 */
export async function removeAllStores(account: LocalAccountProcess, kms: KMSClient): Promise<void> {
  const stores = (await kms.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores ?? [];
  const busy = stores.filter((s) => s.ConnectionState !== "DISCONNECTED" && s.ConnectionState !== "DISCONNECTING");
  for (const store of busy)
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: store.CustomKeyStoreId }));
  if (stores.some((s) => s.ConnectionState !== "DISCONNECTED")) await account.advance("1m");
  for (const store of stores) {
    await kms
      .send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: store.CustomKeyStoreId }))
      .catch((error: unknown) => {
        if ((error as Error).name !== "CustomKeyStoreHasCMKsException") throw error;
      });
  }
}

/** Runs the real AWS CLI v2 (`/usr/bin/aws`, botocore's own parsers) against the local account. */
export function awsCli(account: LocalAccountProcess, args: string[]) {
  const run = spawnSync("/usr/bin/aws", ["--endpoint-url", account.endpoint, "--output", "json", ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: account.region,
      AWS_PAGER: "",
    },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export type ConnectedStore = {
  account: LocalAccountProcess;
  kms: KMSClient;
  cluster: SeededCluster;
  storeId: string;
};

/**
 * A fresh local account with a seeded cluster and one CONNECTED key store named `name`: most KMS suites start so.
 * `entry` runs another script (`local/start.ts`: the account plus the runtime).
 */
export async function startWithConnectedStore(name: string, options: { entry?: string } = {}): Promise<ConnectedStore> {
  const account = await LocalAccountProcess.start(options);
  const kms = patientKms(account);
  const cluster = await seedCluster(account);
  const storeId = await createStore(kms, cluster, name);
  await connect(account, kms, storeId);
  return { account, kms, cluster, storeId };
}
