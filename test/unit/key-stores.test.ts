import { CustomKeyStoreNotFoundException, DescribeCustomKeyStoresCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { describeKeyStore } from "../../src/key-store-lookups";
import { KeyStoreRefSchema } from "../../src/key-stores";
import { InvalidInputError, parseOrThrow } from "../../src/validation";

const kmsMock = mockClient(KMSClient);
const kms = new KMSClient({ region: "us-east-1" });

describe("describeKeyStore", () => {
  beforeEach(() => kmsMock.reset());

  it("returns the connection state and error code when KMS reports a failed store", async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [
        {
          CustomKeyStoreId: "cks-1234567890abcdef0",
          CustomKeyStoreName: "payments",
          CustomKeyStoreType: "AWS_CLOUDHSM",
          CloudHsmClusterId: "cluster-abcdefghijk",
          ConnectionState: "FAILED",
          ConnectionErrorCode: "USER_LOCKED_OUT",
        },
      ],
    });

    const summary = await describeKeyStore(kms, { customKeyStoreId: "cks-1234567890abcdef0" });

    expect(summary).toEqual({
      customKeyStoreId: "cks-1234567890abcdef0",
      name: "payments",
      type: "AWS_CLOUDHSM",
      clusterId: "cluster-abcdefghijk",
      connectionState: "FAILED",
      connectionErrorCode: "USER_LOCKED_OUT",
    });
    expect(kmsMock).toHaveReceivedCommandWith(DescribeCustomKeyStoresCommand, {
      CustomKeyStoreId: "cks-1234567890abcdef0",
    });
  });

  it("rethrows KMS's named error when the store does not exist", async () => {
    kmsMock
      .on(DescribeCustomKeyStoresCommand)
      .rejects(new CustomKeyStoreNotFoundException({ message: "not found", $metadata: {} }));

    await expect(describeKeyStore(kms, { customKeyStoreId: "cks-0000000000000000a" })).rejects.toMatchObject({
      name: "CustomKeyStoreNotFoundException",
    });
  });

  it("throws InvalidInputError naming the field when the id is malformed, and calls nothing", () => {
    expect(() => parseOrThrow(KeyStoreRefSchema, { customKeyStoreId: "store-1" })).toThrow(InvalidInputError);
    expect(() => parseOrThrow(KeyStoreRefSchema, { customKeyStoreId: "store-1" })).toThrow(/customKeyStoreId/);
    expect(kmsMock).not.toHaveReceivedAnyCommand();
  });
});
