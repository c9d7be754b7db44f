import { CustomKeyStoreNotFoundException, DescribeCustomKeyStoresCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { KmsKeyStores } from "../../../../../src/adapters/key-stores";
import "aws-sdk-client-mock-jest";
import { InvalidInputError, parseOrThrow } from "../../../../../src/validation";
import { KeyStoreEntryMissingError } from "../../../../../src/workflows/describe-key-store/errors";
import { DescribeKeyStoreInputSchema } from "../../../../../src/workflows/describe-key-store/input";
import { describeKeyStore } from "../../../../../src/workflows/describe-key-store/steps";

const kmsMock = mockClient(KMSClient);
const keyStores = new KmsKeyStores(new KMSClient({ region: "us-east-1" }));

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

    const summary = await describeKeyStore({ keyStores }, { customKeyStoreId: "cks-1234567890abcdef0" });

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

    await expect(describeKeyStore({ keyStores }, { customKeyStoreId: "cks-0000000000000000a" })).rejects.toMatchObject({
      name: "CustomKeyStoreNotFoundException",
    });
  });

  it("throws KeyStoreEntryMissingError naming the id when KMS answers without an entry", async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [] });

    await expect(describeKeyStore({ keyStores }, { customKeyStoreId: "cks-1234567890abcdef0" })).rejects.toMatchObject({
      name: "KeyStoreEntryMissingError",
      customKeyStoreId: "cks-1234567890abcdef0",
    });
    await expect(describeKeyStore({ keyStores }, { customKeyStoreId: "cks-1234567890abcdef0" })).rejects.toBeInstanceOf(
      KeyStoreEntryMissingError,
    );
  });

  it("throws InvalidInputError naming the field when the id is malformed, and calls nothing", () => {
    expect(() => parseOrThrow(DescribeKeyStoreInputSchema, { customKeyStoreId: "store-1" })).toThrow(InvalidInputError);
    expect(() => parseOrThrow(DescribeKeyStoreInputSchema, { customKeyStoreId: "store-1" })).toThrow(
      /customKeyStoreId/,
    );
    expect(kmsMock).not.toHaveReceivedAnyCommand();
  });
});
