import { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { KMSClient } from "@aws-sdk/client-kms";
import { ListSecretsCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CloudHsmClusters } from "../../../../src/adapters/clusters";
import { KmsKeyStores } from "../../../../src/adapters/key-stores";
import { SecretsManagerStore } from "../../../../src/adapters/secrets-store";
import { findCluster } from "../../../../src/clusters";
import { cloudHsmStore } from "../../../../src/key-store-lookups";
import { describeKeyStore } from "../../../../src/workflows/describe-key-store/steps";
import { ensureHsms } from "../../../../src/workflows/provision-key-store/cluster-steps";
import { AnsweringEndpoint, ErrorAnswer } from "../../../support/answering-endpoint";
import { awsFixture } from "../../../support/aws-fixtures";

/**
 * The contract with AWS's documented API responses (test/events/aws, SOURCES.md names each page): each goes over
 * HTTP through the real SDK client's deserializer into the product's code that reads it, which must take from it the
 * fields it relies on. A field renamed, a type the SDK refuses or a lookup on the wrong field fails here.
 */
const CREDENTIALS = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
let endpoint: AnsweringEndpoint | undefined;

async function answering(answers: Record<string, unknown>) {
  endpoint = await AnsweringEndpoint.start(answers);
  const config = { endpoint: endpoint.url, region: "us-west-2", credentials: CREDENTIALS, maxAttempts: 1 };
  return {
    keyStores: new KmsKeyStores(new KMSClient(config)),
    cloudhsm: new CloudHSMV2Client(config),
    secrets: new SecretsManagerClient(config),
    calls: endpoint.calls,
  };
}

afterEach(async () => {
  await endpoint?.stop();
  endpoint = undefined;
});

/** The Cluster object of the documented CreateCluster answer, as DescribeClusters lists it (API_DescribeClusters). */
const documentedCluster = () => awsFixture("cloudhsm-create-cluster-from-backup").Cluster as Record<string, unknown>;

describe("the product's readers against AWS's documented API responses", () => {
  it("returns the store, its cluster and CONNECTED when DescribeCustomKeyStores answers as documented", async () => {
    const { keyStores } = await answering({
      DescribeCustomKeyStores: awsFixture("kms-describe-custom-key-stores-connected"),
    });

    const summary = await describeKeyStore({ keyStores }, { customKeyStoreId: "cks-1234567890abcdef0" });

    expect(summary).toEqual({
      customKeyStoreId: "cks-1234567890abcdef0",
      name: "ExampleCloudHSMKeyStore",
      type: "AWS_CLOUDHSM",
      clusterId: "cluster-1a23b4cdefg",
      connectionState: "CONNECTED",
    });
  });

  it("returns FAILED with the error code when DescribeCustomKeyStores answers a failed connection", async () => {
    const { keyStores } = await answering({
      DescribeCustomKeyStores: awsFixture("kms-describe-custom-key-stores-failed"),
    });

    const summary = await describeKeyStore({ keyStores }, { customKeyStoreId: "cks-1234567890abcdef0" });

    expect(summary).toMatchObject({ connectionState: "FAILED", connectionErrorCode: "INVALID_CREDENTIALS" });
  });

  it("returns the cluster of a CloudHSM key store when DescribeCustomKeyStores answers as documented", async () => {
    const { keyStores } = await answering({
      DescribeCustomKeyStores: awsFixture("kms-describe-custom-key-stores-connected"),
    });

    const store = await cloudHsmStore(keyStores, "cks-1234567890abcdef0");

    expect(store.clusterId).toBe("cluster-1a23b4cdefg");
  });

  it("returns the key store, cluster and creation date when DescribeKey answers for a CloudHSM key", async () => {
    const { keyStores } = await answering({ DescribeKey: awsFixture("kms-describe-key-cloudhsm") });

    const key = await keyStores.describeKey(
      "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    );

    if (key.gone) throw new Error("DescribeKey answered the documented key as gone");
    expect(key.key).toMatchObject({
      keyArn: "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      customKeyStoreId: "cks-1234567890abcdef0",
      clusterId: "cluster-1a23b4cdefg",
      origin: "AWS_CLOUDHSM",
      keyState: "Enabled",
    });
    expect(key.key.creationDate?.toISOString()).toBe("2018-09-22T02:18:38.431Z");
  });

  it("returns the cluster by id when DescribeClusters lists the documented cluster", async () => {
    const { cloudhsm } = await answering({ DescribeClusters: { Clusters: [documentedCluster()] } });

    const cluster = await findCluster(new CloudHsmClusters(cloudhsm), "cluster-jxhlf7644ne");

    expect(cluster).toMatchObject({
      clusterId: "cluster-jxhlf7644ne",
      state: "CREATE_IN_PROGRESS",
      hsms: [],
      subnets: { "us-east-2a": "subnet-f1d6e798" },
      backupRetentionDays: 90,
    });
    expect(cluster?.createdAt?.toISOString()).toBe("2017-09-08T21:48:31.112Z");
  });

  it("returns the new HSM's id when CreateHsm answers as documented", async () => {
    const cluster = { ...documentedCluster(), State: "ACTIVE" };
    const { cloudhsm, calls } = await answering({
      DescribeClusters: { Clusters: [cluster] },
      CreateHsm: awsFixture("cloudhsm-create-hsm"),
    });

    const out = await ensureHsms(
      { clusters: new CloudHsmClusters(cloudhsm) },
      { clusterId: "cluster-jxhlf7644ne", target: 1, replaced: 0 },
    );

    expect(calls).toEqual(["DescribeClusters", "CreateHsm"]);
    expect(out).toMatchObject({ ready: false, created: ["hsm-ted36yp5b2x"] });
  });
});

/** The documented secret's ARN and name (AWS CLI Command Reference examples, SOURCES.md). */
const SECRET = "MyTestSecret";
const CREATION = {
  kmsKeyId: "arn:aws:kms:us-west-2:123456789012:key/EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
  access: { byKind: { kmsuser: ["arn:aws:iam::123456789012:role/MyRole"] }, operators: [] },
};

describe("the secrets store against AWS's documented Secrets Manager responses", () => {
  it("returns the current value and a version's value when GetSecretValue answers as documented", async () => {
    const { secrets } = await answering({ GetSecretValue: awsFixture("secretsmanager-get-secret-value") });
    const store = new SecretsManagerStore(secrets);

    const current = await store.current(SECRET, { fresh: true });
    const version = await store.version(SECRET, "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111");

    expect(current).toBe('{"user":"diegor","password":"EXAMPLE-PASSWORD"}');
    expect(version).toBe(current);
  });

  it("returns every version's labels, and that an AWSCURRENT exists, when DescribeSecret answers as documented", async () => {
    const documented = awsFixture("secretsmanager-describe-secret");
    const { secrets } = await answering({ DescribeSecret: documented });
    const store = new SecretsManagerStore(secrets);

    const stages = await store.stages(SECRET);
    const exists = await store.exists(SECRET);

    expect(stages).toEqual(documented.VersionIdsToStages);
    expect(exists).toBe(true);
  });

  it("moves AWSCURRENT from its holder and clears AWSPENDING when DescribeSecret and UpdateSecretVersionStage answer as documented", async () => {
    const { secrets, calls } = await answering({
      DescribeSecret: awsFixture("secretsmanager-describe-secret"),
      UpdateSecretVersionStage: awsFixture("secretsmanager-update-secret-version-stage"),
      GetSecretValue: awsFixture("secretsmanager-get-secret-value"),
    });
    const store = new SecretsManagerStore(secrets);

    await store.promote(SECRET, "a1b2c3d4-5678-90ab-cdef-EXAMPLE33333");

    // EXAMPLE33333 holds AWSPENDING in the documented answer, EXAMPLE22222 AWSCURRENT.
    expect(calls).toEqual(["DescribeSecret", "UpdateSecretVersionStage", "UpdateSecretVersionStage", "GetSecretValue"]);
  });

  it("writes a version when PutSecretValue answers as documented", async () => {
    const { secrets, calls } = await answering({ PutSecretValue: awsFixture("secretsmanager-put-secret-value") });
    const store = new SecretsManagerStore(secrets);

    await store.put(SECRET, "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "value", ["AWSCURRENT"]);

    expect(calls).toEqual(["PutSecretValue"]);
  });

  it("returns the new secret's ARN when CreateSecret and PutResourcePolicy answer as documented", async () => {
    const { secrets, calls } = await answering({
      DescribeSecret: new ErrorAnswer("ResourceNotFoundException"),
      CreateSecret: awsFixture("secretsmanager-create-secret"),
      PutResourcePolicy: awsFixture("secretsmanager-put-resource-policy"),
    });
    const store = new SecretsManagerStore(secrets, CREATION);

    const arn = await store.ensure("keystore-autopilot/kmsuser/cks-1234567890abcdef0", "kmsuser password");

    expect(arn).toBe("arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestSecret-a1b2c3");
    expect(calls).toEqual(["DescribeSecret", "CreateSecret", "PutResourcePolicy"]);
  });

  it("parses the documented ListSecrets and ListSecretVersionIds answers, a deprecated version without labels", async () => {
    const { secrets } = await answering({
      ListSecrets: awsFixture("secretsmanager-list-secrets"),
      ListSecretVersionIds: awsFixture("secretsmanager-list-secret-version-ids"),
    });

    const listed = await secrets.send(new ListSecretsCommand({}));
    const versions = await secrets.send(new ListSecretVersionIdsCommand({ SecretId: SECRET, IncludeDeprecated: true }));

    expect(listed.SecretList?.map((s) => [s.Name, s.SecretVersionsToStages])).toEqual([
      ["MyTestSecret", { "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111": ["AWSCURRENT"] }],
      ["AnotherSecret", { "a1b2c3d4-5678-90ab-cdef-EXAMPLE22222": ["AWSCURRENT"] }],
    ]);
    expect(listed.SecretList?.[0]?.LastChangedDate?.toISOString()).toBe("2018-04-11T20:05:45.729Z");
    expect(versions.Versions?.map((v) => v.VersionStages)).toEqual([["AWSPREVIOUS"], ["AWSCURRENT"], undefined]);
    expect(versions.Versions?.[2]?.CreatedDate?.toISOString()).toBe("2017-11-29T16:54:22.360Z");
  });
});
