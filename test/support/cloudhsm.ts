import "reflect-metadata";
import { webcrypto } from "node:crypto";
import {
  type Cluster,
  CreateClusterCommand,
  CreateHsmCommand,
  DescribeClustersCommand,
  type Hsm,
  InitializeClusterCommand,
} from "@aws-sdk/client-cloudhsm-v2";
import * as x509 from "@peculiar/x509";
import { subnetIdInZone, type ZoneLetter } from "../../local/account/cloudhsm/network";
import type { LocalAccountProcess } from "../../local/account/process";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { subnetIdInZone } from "../../local/account/cloudhsm/network";
/** @peculiar/x509, loaded after its reflect-metadata polyfill: import it from here. */
export { x509 };

/** What the fixtures need from a local account: the SDK client, the shipped CLI and the clock. */
export type AccountDriver = Pick<LocalAccountProcess, "cloudhsm" | "cli" | "advance" | "region">;

export type Login = { role: "admin" | "crypto-user"; username: string; password: string };

/** A test certificate authority: its certificate (the trust anchor when self-signed) and its key pair. */
export type TestCa = { certificate: x509.X509Certificate; pem: string; keys: webcrypto.CryptoKeyPair };

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

export async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

/**
 * A self-signed root CA made with @peculiar/x509. `basicConstraints: false` leaves out Basic Constraints (but keeps
 * another extension), which CloudHSM rejects for a trust anchor.
 */
export async function createTestCa(
  options: { name?: string; basicConstraints?: boolean; ca?: boolean } = {},
): Promise<TestCa> {
  const keys = await generateKeys();
  const extensions: x509.Extension[] = [await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)];
  if (options.basicConstraints !== false) {
    extensions.push(new x509.BasicConstraintsExtension(options.ca ?? true, undefined, true));
  }
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: options.name ?? "CN=keystore-autopilot test root CA",
    keys,
    signingAlgorithm: EC,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 20 * 365 * 86_400_000),
    extensions,
  });
  return { certificate, pem: certificate.toString("pem"), keys };
}

/** An intermediate CA issued by `issuer`. */
export async function createIntermediateCa(issuer: TestCa, name = "CN=keystore-autopilot test ICA"): Promise<TestCa> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.create({
    subject: name,
    issuer: issuer.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: EC,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 10 * 365 * 86_400_000),
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { certificate, pem: certificate.toString("pem"), keys };
}

/** Signs the cluster's CSR with `ca`; `publicKey` replaces the CSR's key to make a certificate that must be refused. */
export async function signClusterCsr(csrPem: string, ca: TestCa, publicKey?: webcrypto.CryptoKey): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  const certificate = await x509.X509CertificateGenerator.create({
    subject: csr.subject,
    issuer: ca.certificate.subject,
    publicKey: publicKey ?? csr.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 10 * 365 * 86_400_000),
  });
  return certificate.toString("pem");
}

export async function describeCluster(account: AccountDriver, clusterId: string): Promise<Cluster> {
  const out = await account.cloudhsm().send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
  const cluster = out.Clusters?.[0];
  if (!cluster) throw new Error(`Cluster ${clusterId} not found`);
  return cluster;
}

/** CreateCluster with one subnet in each of `zones`, then waits (on the simulated clock) until it is UNINITIALIZED. */
export async function createCluster(
  account: AccountDriver,
  options: { zones?: ZoneLetter[]; hsmType?: string; backupRetentionDays?: number; sourceBackupId?: string } = {},
): Promise<Cluster> {
  const client = account.cloudhsm();
  const subnetIds = (options.zones ?? ["a", "b"]).map((zone) => subnetIdInZone(zone));
  const out = await client.send(
    new CreateClusterCommand({
      HsmType: options.hsmType ?? "hsm2m.medium",
      SubnetIds: subnetIds,
      ...(options.backupRetentionDays
        ? { BackupRetentionPolicy: { Type: "DAYS", Value: String(options.backupRetentionDays) } }
        : {}),
      ...(options.sourceBackupId ? { SourceBackupId: options.sourceBackupId } : {}),
    }),
  );
  const clusterId = out.Cluster?.ClusterId as string;
  await account.advance("5m");
  return describeCluster(account, clusterId);
}

/** CreateHsm in `zone` (a letter of the cluster's Region), then waits until it is ACTIVE. */
export async function addHsm(account: AccountDriver, clusterId: string, zone: ZoneLetter): Promise<Hsm> {
  const out = await account
    .cloudhsm()
    .send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: `${account.region}${zone}` }));
  await account.advance("6m");
  const hsm = (await describeCluster(account, clusterId)).Hsms?.find((h) => h.HsmId === out.Hsm?.HsmId);
  if (hsm?.State !== "ACTIVE") throw new Error(`HSM ${out.Hsm?.HsmId} did not become ACTIVE`);
  return hsm;
}

/** Signs the cluster's CSR with a fresh test root CA, calls InitializeCluster and waits until it is INITIALIZED. */
export async function initializeCluster(
  account: AccountDriver,
  clusterId: string,
  ca?: TestCa,
): Promise<{ ca: TestCa; signedCert: string; trustAnchor: string }> {
  const authority = ca ?? (await createTestCa());
  const csr = (await describeCluster(account, clusterId)).Certificates?.ClusterCsr;
  if (!csr) throw new Error(`Cluster ${clusterId} has no CSR`);
  const signedCert = await signClusterCsr(csr, authority);
  await account
    .cloudhsm()
    .send(new InitializeClusterCommand({ ClusterId: clusterId, SignedCert: signedCert, TrustAnchor: authority.pem }));
  await account.advance("3m");
  return { ca: authority, signedCert, trustAnchor: authority.pem };
}

/** Runs one CloudHSM CLI command against the cluster and throws with the CLI's message when it fails. */
export function cliOk(account: AccountDriver, clusterId: string, args: string[], login?: Login): unknown {
  const run = account.cli(["--cluster-id", clusterId, ...args], login);
  if (run.json?.error_code !== 0) {
    throw new Error(`cloudhsm-cli ${args.slice(0, 2).join(" ")} failed: ${run.stdout}${run.stderr}`);
  }
  return run.json.data;
}

export type ActiveCluster = {
  clusterId: string;
  /** The trust anchor to give CreateCustomKeyStore (customerCA.crt). */
  trustAnchor: string;
  signedCert: string;
  ca: TestCa;
  /** The Availability Zones of the two ACTIVE HSMs, e.g. ["us-east-1a", "us-east-1b"]. */
  zones: [string, string];
  hsms: Hsm[];
  admin: Login;
  /** Undefined when `createKmsuser` was false. */
  kmsuser?: Login;
};

/**
 * Takes a cluster from nothing to what a CloudHSM key store needs (DOMAIN.md §1.1), through the real API and CLI:
 * CreateCluster (subnets in zones a and b) → first HSM → sign the CSR with a test CA → InitializeCluster →
 * `cluster activate` → second HSM in the other zone → `user create` kmsuser (crypto-user, no MFA).
 */
export async function provisionActiveCluster(
  account: AccountDriver,
  options: { adminPassword?: string; kmsuserPassword?: string; createKmsuser?: boolean; hsmType?: string } = {},
): Promise<ActiveCluster> {
  const adminPassword = options.adminPassword ?? "AdminPassw0rd";
  const kmsuserPassword = options.kmsuserPassword ?? "KmsuserPassw0rd";
  const cluster = await createCluster(account, { zones: ["a", "b"], hsmType: options.hsmType });
  const clusterId = cluster.ClusterId as string;
  const first = await addHsm(account, clusterId, "a");
  const { ca, signedCert, trustAnchor } = await initializeCluster(account, clusterId);
  cliOk(account, clusterId, ["cluster", "activate", "--password", adminPassword]);
  const second = await addHsm(account, clusterId, "b");
  const admin: Login = { role: "admin", username: "admin", password: adminPassword };
  let kmsuser: Login | undefined;
  if (options.createKmsuser !== false) {
    cliOk(
      account,
      clusterId,
      ["user", "create", "--username", "kmsuser", "--role", "crypto-user", "--password", kmsuserPassword],
      admin,
    );
    kmsuser = { role: "crypto-user", username: "kmsuser", password: kmsuserPassword };
  }
  return {
    clusterId,
    trustAnchor,
    signedCert,
    ca,
    zones: [first.AvailabilityZone as string, second.AvailabilityZone as string],
    hsms: [first, second],
    admin,
    ...(kmsuser ? { kmsuser } : {}),
  };
}
