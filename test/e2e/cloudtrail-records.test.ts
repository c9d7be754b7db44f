import {
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  type KeyMetadata,
  type KMSClient,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import {
  eventsAfter,
  failure,
  lastSeq,
  rawKms,
  type SeededCluster,
  startWithConnectedStore,
} from "../../local/account/driver";
import type { LocalAccountProcess } from "../../local/account/process";

type Detail = {
  eventName: string;
  readOnly: boolean;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  resources?: { ARN: string }[];
};

/**
 * The local account's dispatcher writes the CloudTrail record of every call to an operation that declares a trail,
 * successful or refused, as AWS documents them (KMS Developer Guide, ct-encrypt and ct-decrypt, whose "Decrypt
 * failure" example carries errorCode and errorMessage; request parameters without plaintext, ciphertext or passwords).
 */
describe("CloudTrail records of calls on the local account", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let cluster: SeededCluster;
  let storeId: string;

  beforeAll(async () => {
    ({ account, kms, cluster, storeId } = await startWithConnectedStore("trail-store"));
  });
  afterAll(() => account.stop());

  const hsmKey = async (): Promise<KeyMetadata> =>
    (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata as KeyMetadata;

  /** The CloudTrail records written since `seq`, as EventBridge delivers them. */
  async function recordsAfter(seq: number, eventName: string) {
    const events = await eventsAfter(account, seq);
    return events.filter((e) => (e.detail as Detail).eventName === eventName) as unknown as {
      "detail-type": string;
      detail: Detail;
    }[];
  }

  it("records an Encrypt as a read-only call naming the key, without the plaintext", async () => {
    const key = await hsmKey();
    const seq = await lastSeq(account);
    const plaintext = Buffer.from("plaintext-that-must-not-be-logged");

    await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext, EncryptionContext: { app: "a" } }));

    const [record, ...more] = await recordsAfter(seq, "Encrypt");
    expect(more).toHaveLength(0);
    expect(record).toMatchObject({
      "detail-type": "AWS API Call via CloudTrail",
      detail: {
        readOnly: true,
        requestParameters: {
          keyId: key.KeyId,
          encryptionAlgorithm: "SYMMETRIC_DEFAULT",
          encryptionContext: { app: "a" },
        },
        responseElements: null,
        resources: [expect.objectContaining({ ARN: key.Arn })],
      },
    });
    expect(record?.detail.errorCode).toBeUndefined();
    const text = JSON.stringify(await eventsAfter(account, seq));
    expect(text).not.toContain(plaintext.toString("base64"));
    expect(text).not.toContain("plaintext-that-must-not-be-logged");
  });

  it("records a Decrypt refused because the key is pending deletion, with its error and the key, without the ciphertext", async () => {
    const key = await hsmKey();
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    const seq = await lastSeq(account);

    const refused = await failure(kms.send(new DecryptCommand({ CiphertextBlob })));

    expect(refused.name).toBe("KMSInvalidStateException");
    const [record, ...more] = await recordsAfter(seq, "Decrypt");
    expect(more).toHaveLength(0);
    expect(record?.detail).toMatchObject({
      readOnly: true,
      errorCode: "KMSInvalidStateException",
      errorMessage: refused.message,
      requestParameters: { encryptionAlgorithm: "SYMMETRIC_DEFAULT" },
      responseElements: null,
      resources: [expect.objectContaining({ ARN: key.Arn })],
    });
    expect(JSON.stringify(record)).not.toContain(Buffer.from(CiphertextBlob as Uint8Array).toString("base64"));
  });

  it("records a refused CreateCustomKeyStore with its error and never the password", async () => {
    const seq = await lastSeq(account);
    const password = "never-in-a-record-42";

    const refused = await failure(
      kms.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: "trail-store",
          CloudHsmClusterId: cluster.clusterId,
          TrustAnchorCertificate: cluster.trustAnchor,
          KeyStorePassword: password,
        }),
      ),
    );

    expect(refused.name).toBe("CustomKeyStoreNameInUseException");
    const [record] = await recordsAfter(seq, "CreateCustomKeyStore");
    expect(record?.detail).toMatchObject({
      readOnly: false,
      errorCode: "CustomKeyStoreNameInUseException",
      requestParameters: { customKeyStoreName: "trail-store", clusterId: cluster.clusterId },
      responseElements: null,
    });
    expect(JSON.stringify(await eventsAfter(account, seq))).not.toContain(password);
  });

  it("records a throttled call with its request parameters and ThrottlingException", async () => {
    const key = await hsmKey();
    await account.arm({ kind: "throttle", operation: "kms:DisableKey" });
    const seq = await lastSeq(account);

    const answer = await rawKms(account, "DisableKey", JSON.stringify({ KeyId: key.KeyId }));

    expect(answer.json.__type).toBe("ThrottlingException");
    const records = await recordsAfter(seq, "DisableKey");
    expect(records.map((r) => [r.detail.errorCode, r.detail.requestParameters])).toEqual([
      ["ThrottlingException", { keyId: key.KeyId }],
    ]);
    // The call changed nothing: the key is still enabled.
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState).toBe("Enabled");
  });

  it("records one successful DisableKey without an error, and nothing for DescribeKey, which declares no trail", async () => {
    const key = await hsmKey();
    const seq = await lastSeq(account);

    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));

    const disabled = await recordsAfter(seq, "DisableKey");
    expect(disabled).toHaveLength(1);
    expect(disabled[0]?.detail).toMatchObject({ readOnly: false, requestParameters: { keyId: key.KeyId } });
    expect(disabled[0]?.detail.errorCode).toBeUndefined();
    expect(await recordsAfter(seq, "DescribeKey")).toHaveLength(0);
  });
});
