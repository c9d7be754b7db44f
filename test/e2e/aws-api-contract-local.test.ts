import { CreateKeyCommand, type KeyMetadata, type KMSClient } from "@aws-sdk/client-kms";
import { connect, createStore, patientKms, seedCluster } from "../../local/account/driver";
import { LocalAccountProcess } from "../../local/account/process";
import { awsFixture, rawJsonCall, shapeDifferences } from "../support/aws-fixtures";
import { createCluster, createTestCa, signClusterCsr } from "../support/cloudhsm";

/**
 * The local account's API answers against AWS's documented ones (test/events/aws, SOURCES.md): the same fields,
 * recursively, with the same JSON types, read from the wire as a client receives them. Each allowed difference names
 * why; anything else is a bug in the local account.
 */

/**
 * Fields the API reference documents that the (older) examples leave out, or that appear only in some states; the
 * local account may send them or not. Each from the type's page of the API reference:
 * - DescribeCustomKeyStores: `Truncated` (API_DescribeCustomKeyStores, Response Syntax).
 * - Cluster (API_Cluster, API_Certificates): `Mode`, `NetworkType`, `TagList`; `SourceBackupId` "only when the cluster
 *   was created from a backup"; `Certificates.ClusterCsr` while UNINITIALIZED, `ClusterCertificate` once initialized.
 * - Hsm (API_Hsm): `HsmType`, `StateMessage`.
 * - Backup (API_Backup): `BackupArn`, `HsmType`, `Mode`, `NeverExpires`, `TagList`.
 */
const OPTIONAL: Record<string, Set<string>> = {
  DescribeCustomKeyStores: new Set(["Truncated"]),
  Cluster: new Set([
    "Mode",
    "NetworkType",
    "TagList",
    "TagList[]",
    "TagList[].Key",
    "TagList[].Value",
    "SourceBackupId",
    "Certificates.ClusterCsr",
    "Certificates.ClusterCertificate",
  ]),
  Hsm: new Set(["HsmType", "StateMessage"]),
  CreateHsm: new Set(["Hsm.HsmType", "Hsm.StateMessage"]),
  Backup: new Set([
    "BackupArn",
    "HsmType",
    "Mode",
    "NeverExpires",
    "TagList",
    "TagList[]",
    "TagList[].Key",
    "TagList[].Value",
  ]),
};

/** SubnetMapping's keys are Availability Zones (data, not fields): compared as one entry. */
function oneZone(cluster: Record<string, unknown>): Record<string, unknown> {
  const subnets = Object.values((cluster.SubnetMapping ?? {}) as Record<string, unknown>);
  return { ...cluster, SubnetMapping: subnets.length > 0 ? { zone: subnets[0] } : {} };
}

/**
 * Paths whose JSON type the examples print differently from the wire, each against the API reference's Response
 * Syntax (which wins): the AWS CLI prints timestamps in its own format, and the CloudHSM User Guide prints the
 * retention policy's Value as a number where API_BackupRetentionPolicy says String.
 */
const PRINTED_TYPES = new Set(["CustomKeyStores[].CreationDate", "BackupRetentionPolicy.Value"]);

/** Paths present on one side only, or whose JSON type differs, except the allowed ones and the printed types. */
const differences = (local: unknown, documented: unknown, allowed: Set<string> = new Set()) =>
  shapeDifferences(local, documented, allowed, (path, ours, theirs) => PRINTED_TYPES.has(path) && !!ours && !!theirs);

describe("the local account's API answers against AWS's documented ones", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  const answers: Record<string, unknown> = {};

  const raw = (service: "TrentService" | "BaldrApiService", operation: string, body: unknown) =>
    rawJsonCall(account.endpoint, `${service}.${operation}`, body);

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    kms = patientKms(account);

    // CloudHSM: a cluster from CreateCluster through CreateHsm and InitializeCluster, then a backup deleted.
    const created = await createCluster(account, { zones: ["a", "b"], backupRetentionDays: 90 });
    const clusterId = created.ClusterId as string;
    answers.CreateHsm = await raw("BaldrApiService", "CreateHsm", {
      ClusterId: clusterId,
      AvailabilityZone: `${account.region}a`,
    });
    await account.advance("6m");
    answers.DescribeClusters = await raw("BaldrApiService", "DescribeClusters", {
      Filters: { clusterIds: [clusterId] },
    });
    const csr = ((answers.DescribeClusters as { Clusters: { Certificates: { ClusterCsr: string } }[] }).Clusters[0]
      ?.Certificates.ClusterCsr ?? "") as string;
    const ca = await createTestCa();
    answers.InitializeCluster = await raw("BaldrApiService", "InitializeCluster", {
      ClusterId: clusterId,
      SignedCert: await signClusterCsr(csr, ca),
      TrustAnchor: ca.pem,
    });
    await account.advance("3m");

    // KMS: one store connected with a key, one whose connection fails for a wrong kmsuser password.
    const good = await seedCluster(account);
    const goodStore = await createStore(kms, good, "contract-connected");
    await connect(account, kms, goodStore);
    answers.DescribeCustomKeyStoresConnected = await raw("TrentService", "DescribeCustomKeyStores", {
      CustomKeyStoreId: goodStore,
    });
    const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: goodStore })))
      .KeyMetadata as KeyMetadata;
    answers.DescribeKey = await raw("TrentService", "DescribeKey", { KeyId: key.Arn });
    const bad = await seedCluster(account);
    const badStore = await createStore(kms, bad, "contract-failed", "not-the-kmsuser-password");
    await connect(account, kms, badStore);
    answers.DescribeCustomKeyStoresFailed = await raw("TrentService", "DescribeCustomKeyStores", {
      CustomKeyStoreId: badStore,
    });

    // A day on: the daily backup of the seeded cluster, deleted to show PENDING_DELETION.
    await account.advance("25h");
    const listed = await raw("BaldrApiService", "DescribeBackups", { Filters: { clusterIds: [good.clusterId] } });
    const backupId = (listed.Backups as { BackupId: string }[])[0]?.BackupId;
    if (!backupId) throw new Error(`no backup of ${good.clusterId}: ${JSON.stringify(listed)}`);
    await raw("BaldrApiService", "DeleteBackup", { BackupId: backupId });
    answers.DescribeBackups = await raw("BaldrApiService", "DescribeBackups", {
      Filters: { clusterIds: [good.clusterId], states: ["PENDING_DELETION"] },
    });
  }, 180_000);
  afterAll(() => account?.stop());

  it("returns the documented fields and types when DescribeCustomKeyStores describes a connected store", () => {
    const documented = awsFixture("kms-describe-custom-key-stores-connected");

    expect(differences(answers.DescribeCustomKeyStoresConnected, documented, OPTIONAL.DescribeCustomKeyStores)).toEqual(
      [],
    );
  });

  it("returns the documented fields and types when DescribeCustomKeyStores describes a failed connection", () => {
    const local = answers.DescribeCustomKeyStoresFailed as { CustomKeyStores: { ConnectionErrorCode: string }[] };
    const documented = awsFixture("kms-describe-custom-key-stores-failed");

    expect(differences(local, documented, OPTIONAL.DescribeCustomKeyStores)).toEqual([]);
    expect(local.CustomKeyStores[0]?.ConnectionErrorCode).toBe("INVALID_CREDENTIALS");
  });

  it("returns the documented fields and types when DescribeKey describes a key in a CloudHSM key store", () => {
    expect(differences(answers.DescribeKey, awsFixture("kms-describe-key-cloudhsm"), OPTIONAL.DescribeKey)).toEqual([]);
  });

  it("returns the documented Cluster and Hsm fields and types when DescribeClusters lists a cluster", () => {
    const cluster = (answers.DescribeClusters as { Clusters: Record<string, unknown>[] }).Clusters[0] ?? {};
    const { Hsms, ...rest } = cluster;
    const { Hsms: _none, ...documented } = awsFixture("cloudhsm-create-cluster-from-backup").Cluster as Record<
      string,
      unknown
    >;

    expect(differences(oneZone(rest), oneZone(documented), OPTIONAL.Cluster)).toEqual([]);
    expect(differences((Hsms as unknown[])[0], awsFixture("cloudhsm-create-hsm").Hsm, OPTIONAL.Hsm)).toEqual([]);
  });

  it("returns the documented fields and types when CreateHsm creates an HSM", () => {
    expect(differences(answers.CreateHsm, awsFixture("cloudhsm-create-hsm"), OPTIONAL.CreateHsm)).toEqual([]);
  });

  it("returns the documented fields and types when InitializeCluster starts initializing", () => {
    expect(differences(answers.InitializeCluster, awsFixture("cloudhsm-initialize-cluster"))).toEqual([]);
  });

  it("returns the documented Backup fields and types when DescribeBackups lists a backup pending deletion", () => {
    const backup = (answers.DescribeBackups as { Backups: unknown[] }).Backups[0];

    expect(differences(backup, awsFixture("cloudhsm-delete-backup").Backup, OPTIONAL.Backup)).toEqual([]);
  });
});
