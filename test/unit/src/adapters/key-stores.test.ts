import {
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  KMSClient,
  KMSInvalidStateException,
  ListKeysCommand,
  NotFoundException,
} from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { KmsKeyStores } from "../../../../src/adapters/key-stores";

const kms = mockClient(KMSClient);
const keyStores = new KmsKeyStores(new KMSClient({ region: "us-east-1" }));
const KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

beforeEach(() => kms.reset());

describe("KmsKeyStores", () => {
  it("lists every page, and a store KMS gives no type or state is a DISCONNECTED CloudHSM key store", async () => {
    kms
      .on(DescribeCustomKeyStoresCommand)
      .resolvesOnce({
        CustomKeyStores: [{ CustomKeyStoreId: "cks-1", CustomKeyStoreName: "one", CloudHsmClusterId: "cluster-1" }],
        Truncated: true,
        NextMarker: "page-2",
      })
      .resolvesOnce({
        CustomKeyStores: [
          { CustomKeyStoreId: "cks-2", CustomKeyStoreType: "EXTERNAL_KEY_STORE", ConnectionState: "CONNECTED" },
          { CustomKeyStoreName: "no id" },
        ],
      });

    expect(await keyStores.list()).toEqual([
      {
        customKeyStoreId: "cks-1",
        name: "one",
        type: "AWS_CLOUDHSM",
        clusterId: "cluster-1",
        connectionState: "DISCONNECTED",
      },
      { customKeyStoreId: "cks-2", name: "", type: "EXTERNAL_KEY_STORE", connectionState: "CONNECTED" },
    ]);
    expect(kms.commandCalls(DescribeCustomKeyStoresCommand)[1]?.args[0].input).toEqual({ Marker: "page-2" });
  });

  it("gets nothing when KMS answers no entry for the id, and lets KMS's own errors through by name", async () => {
    kms.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [] });
    expect(await keyStores.get("cks-1")).toBeUndefined();

    kms.on(DescribeCustomKeyStoresCommand).rejects(new KMSInvalidStateException({ message: "no", $metadata: {} }));
    await expect(keyStores.get("cks-1")).rejects.toMatchObject({ name: "KMSInvalidStateException" });
  });

  it("answers gone only for NotFoundException", async () => {
    kms.on(DescribeKeyCommand).rejects(new NotFoundException({ message: "gone", $metadata: {} }));
    expect(await keyStores.describeKey(KEY)).toEqual({ gone: true });

    kms.on(DescribeKeyCommand).rejects(new KMSInvalidStateException({ message: "busy", $metadata: {} }));
    await expect(keyStores.describeKey(KEY)).rejects.toMatchObject({ name: "KMSInvalidStateException" });
  });

  it("gives the next marker only while KMS says the listing is truncated", async () => {
    kms
      .on(ListKeysCommand)
      .resolves({ Keys: [{ KeyId: "a", KeyArn: KEY }, { KeyId: "b" }], NextMarker: "m", Truncated: false });

    expect(await keyStores.keyArnPage()).toEqual({ keyArns: [KEY] });
    expect(kms.commandCalls(ListKeysCommand)[0]?.args[0].input).toEqual({ Limit: 1000 });
  });
});
