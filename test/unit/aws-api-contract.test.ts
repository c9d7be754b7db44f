import { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { KMSClient } from "@aws-sdk/client-kms";
import { describeKey } from "../../src/follow-up/record";
import { cloudHsmStore, describeKeyStore } from "../../src/key-store-lookups";
import { ensureHsms, findCluster } from "../../src/provision/cluster-steps";
import { AnsweringEndpoint } from "../support/answering-endpoint";
import { awsFixture } from "../support/aws-fixtures";

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
  return { kms: new KMSClient(config), cloudhsm: new CloudHSMV2Client(config), calls: endpoint.calls };
}

afterEach(async () => {
  await endpoint?.stop();
  endpoint = undefined;
});

/** The Cluster object of the documented CreateCluster answer, as DescribeClusters lists it (API_DescribeClusters). */
const documentedCluster = () => awsFixture("cloudhsm-create-cluster-from-backup").Cluster as Record<string, unknown>;

describe("the product's readers against AWS's documented API responses", () => {
  it("returns the store, its cluster and CONNECTED when DescribeCustomKeyStores answers as documented", async () => {
    const { kms } = await answering({
      DescribeCustomKeyStores: awsFixture("kms-describe-custom-key-stores-connected"),
    });

    const summary = await describeKeyStore(kms, { customKeyStoreId: "cks-1234567890abcdef0" });

    expect(summary).toEqual({
      customKeyStoreId: "cks-1234567890abcdef0",
      name: "ExampleCloudHSMKeyStore",
      type: "AWS_CLOUDHSM",
      clusterId: "cluster-1a23b4cdefg",
      connectionState: "CONNECTED",
    });
  });

  it("returns FAILED with the error code when DescribeCustomKeyStores answers a failed connection", async () => {
    const { kms } = await answering({ DescribeCustomKeyStores: awsFixture("kms-describe-custom-key-stores-failed") });

    const summary = await describeKeyStore(kms, { customKeyStoreId: "cks-1234567890abcdef0" });

    expect(summary).toMatchObject({ connectionState: "FAILED", connectionErrorCode: "INVALID_CREDENTIALS" });
  });

  it("returns the cluster of a CloudHSM key store when DescribeCustomKeyStores answers as documented", async () => {
    const { kms } = await answering({
      DescribeCustomKeyStores: awsFixture("kms-describe-custom-key-stores-connected"),
    });

    const store = await cloudHsmStore(kms, "cks-1234567890abcdef0");

    expect(store.CloudHsmClusterId).toBe("cluster-1a23b4cdefg");
  });

  it("returns the key store, cluster and creation date when DescribeKey answers for a CloudHSM key", async () => {
    const { kms } = await answering({ DescribeKey: awsFixture("kms-describe-key-cloudhsm") });

    const key = await describeKey(kms, "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab");

    expect(key).toMatchObject({
      CustomKeyStoreId: "cks-1234567890abcdef0",
      CloudHsmClusterId: "cluster-1a23b4cdefg",
      Origin: "AWS_CLOUDHSM",
      KeyState: "Enabled",
    });
    expect(key?.CreationDate?.toISOString()).toBe("2018-09-22T02:18:38.431Z");
  });

  it("returns the cluster by id when DescribeClusters lists the documented cluster", async () => {
    const { cloudhsm } = await answering({ DescribeClusters: { Clusters: [documentedCluster()] } });

    const cluster = await findCluster({ cloudhsm }, "cluster-jxhlf7644ne");

    expect(cluster).toMatchObject({
      ClusterId: "cluster-jxhlf7644ne",
      State: "CREATE_IN_PROGRESS",
      SecurityGroup: "sg-640fab0c",
      SubnetMapping: { "us-east-2a": "subnet-f1d6e798" },
    });
  });

  it("returns the new HSM's id when CreateHsm answers as documented", async () => {
    const cluster = { ...documentedCluster(), State: "ACTIVE" };
    const { cloudhsm, calls } = await answering({
      DescribeClusters: { Clusters: [cluster] },
      CreateHsm: awsFixture("cloudhsm-create-hsm"),
    });

    const out = await ensureHsms({ cloudhsm }, { clusterId: "cluster-jxhlf7644ne", target: 1, replaced: 0 });

    expect(calls).toEqual(["DescribeClusters", "CreateHsm"]);
    expect(out).toMatchObject({ ready: false, created: ["hsm-ted36yp5b2x"] });
  });
});
