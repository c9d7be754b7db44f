import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  type KeyMetadata,
  type KMSClient,
  ListKeysCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-kms";
import {
  awsCli,
  connect,
  createStore,
  disconnect,
  eventsAfter,
  failure,
  lastSeq,
  rawKms,
  type SeededCluster,
  seedCluster,
  setHsmHealth,
  startWithConnectedStore,
  tokenKeys,
} from "../../local/account/driver";
import type { LocalAccountProcess } from "../../local/account/process";

const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString("utf8");

describe("KMS keys and cryptography on the local account", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let cluster: SeededCluster;
  let storeId: string;

  beforeAll(async () => {
    ({ account, kms, cluster, storeId } = await startWithConnectedStore("keys-store"));
  });
  afterAll(() => account.stop());

  /** Every event since `seq` as [eventName, errorCode]: a refused call leaves only its CloudTrail record. */
  const refusalsAfter = async (seq: number) =>
    (await eventsAfter(account, seq)).map((e) => {
      const detail = e.detail as { eventName?: string; errorCode?: string };
      return [detail.eventName, detail.errorCode];
    });
  const defaultKey = async (): Promise<KeyMetadata> =>
    (await kms.send(new CreateKeyCommand({ Description: "default store" }))).KeyMetadata as KeyMetadata;
  const hsmKey = async (): Promise<KeyMetadata> =>
    (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata as KeyMetadata;

  describe("CreateKey and DescribeKey", () => {
    it("returns an Enabled AWS_KMS key when no key store is given", async () => {
      const seq = await lastSeq(account);

      const key = await defaultKey();

      expect(key).toMatchObject({
        KeyState: "Enabled",
        Enabled: true,
        Origin: "AWS_KMS",
        KeyUsage: "ENCRYPT_DECRYPT",
        KeySpec: "SYMMETRIC_DEFAULT",
        KeyManager: "CUSTOMER",
        Description: "default store",
        Arn: `arn:aws:kms:us-east-1:111122223333:key/${key.KeyId}`,
      });
      expect(key.CustomKeyStoreId).toBeUndefined();
      const [event] = await eventsAfter(account, seq);
      expect(event?.detail).toMatchObject({
        eventName: "CreateKey",
        requestParameters: { origin: "AWS_KMS", keySpec: "SYMMETRIC_DEFAULT", keyUsage: "ENCRYPT_DECRYPT" },
        responseElements: { keyMetadata: { keyId: key.KeyId, aWSAccountId: "111122223333", keyState: "Enabled" } },
      });
      expect(event?.detail.additionalEventData).toBeUndefined();
    });

    it("returns an AWS_CLOUDHSM key whose backing key is in the token, labelled with its ARN, when the store is connected", async () => {
      const seq = await lastSeq(account);

      const key = await hsmKey();

      expect(key).toMatchObject({
        KeyState: "Enabled",
        Origin: "AWS_CLOUDHSM",
        CustomKeyStoreId: storeId,
        CloudHsmClusterId: cluster.clusterId,
      });
      const [event] = await eventsAfter(account, seq);
      const backing = JSON.parse((event!.detail.additionalEventData as { backingKey: string }).backingKey) as {
        backingKeyId: string;
      };
      expect(backing.backingKeyId).toMatch(/^[0-9a-f]{64}$/);
      expect(event?.detail.requestParameters).toMatchObject({ origin: "AWS_CLOUDHSM", customKeyStoreId: storeId });
      expect(await tokenKeys(account, cluster.clusterId)).toContainEqual({ label: key.Arn, id: backing.backingKeyId });
    });

    it("returns the same metadata when DescribeKey is given the key id or the key ARN", async () => {
      const key = await hsmKey();

      const byId = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      const byArn = await kms.send(new DescribeKeyCommand({ KeyId: key.Arn }));

      expect(byId.KeyMetadata).toEqual(key);
      expect(byArn.KeyMetadata).toEqual(key);
    });

    it("returns NotFoundException, or InvalidArnException for a malformed ARN, when the key cannot be found", async () => {
      const arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000";

      const unknown = await failure(kms.send(new DescribeKeyCommand({ KeyId: arn })));
      const malformedId = await failure(kms.send(new DescribeKeyCommand({ KeyId: "not-a-key" })));
      const malformedArn = await failure(kms.send(new DescribeKeyCommand({ KeyId: "arn:aws:kms:nonsense" })));

      expect(unknown).toMatchObject({ name: "NotFoundException", message: `Key '${arn}' does not exist` });
      expect(malformedId.name).toBe("NotFoundException");
      expect(malformedArn.name).toBe("InvalidArnException");
    });

    it("returns CustomKeyStoreNotFoundException when the key store does not exist", async () => {
      const error = await failure(
        kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: "cks-0000000000000000" })),
      );

      expect(error.name).toBe("CustomKeyStoreNotFoundException");
    });

    it("returns CustomKeyStoreInvalidStateException when the key store is not connected", async () => {
      const other = await seedCluster(account);
      const disconnected = await createStore(kms, other, "never-connected");

      const error = await failure(
        kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: disconnected })),
      );

      expect(error.name).toBe("CustomKeyStoreInvalidStateException");
    });

    it("returns CloudHsmClusterInvalidConfigurationException when only one AZ still has an active HSM", async () => {
      const degraded = cluster.hsms[0]?.HsmId as string;
      await setHsmHealth(account, degraded, "degrade");
      try {
        const error = await failure(
          kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })),
        );

        expect(error.name).toBe("CloudHsmClusterInvalidConfigurationException");
      } finally {
        await setHsmHealth(account, degraded, "restore");
      }
    });

    it("returns UnsupportedOperationException when the key is asymmetric or its material external", async () => {
      const asymmetric = await failure(
        kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" })),
      );
      const external = await failure(kms.send(new CreateKeyCommand({ Origin: "EXTERNAL" })));

      expect(asymmetric.name).toBe("UnsupportedOperationException");
      expect(external.name).toBe("UnsupportedOperationException");
    });

    it("returns KMSInternalException and creates no key when an internal error is injected", async () => {
      const before = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.length;
      const tokenBefore = (await tokenKeys(account, cluster.clusterId)).length;
      await account.arm({ kind: "internal-error", operation: "kms:CreateKey" });

      const error = await failure(
        account.kms().send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })),
      );

      expect(error).toMatchObject({ name: "KMSInternalException", status: 500 });
      expect((await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.length).toBe(before);
      expect(await tokenKeys(account, cluster.clusterId)).toHaveLength(tokenBefore);
    });
  });

  describe("ListKeys", () => {
    it("returns every key once, page by page, when Limit is smaller than the number of keys", async () => {
      await defaultKey();
      await defaultKey();
      const all = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys ?? [];

      const seen: string[] = [];
      let marker: string | undefined;
      do {
        const out = await kms.send(new ListKeysCommand({ Limit: 2, Marker: marker }));
        seen.push(...(out.Keys ?? []).map((k) => k.KeyId as string));
        expect(out.Truncated).toBe(out.NextMarker !== undefined);
        marker = out.NextMarker;
      } while (marker);

      expect(all.length).toBeGreaterThanOrEqual(3);
      expect(seen).toEqual(all.map((k) => k.KeyId));
      expect(all.every((k) => k.KeyArn?.endsWith(`key/${k.KeyId}`))).toBe(true);
    });
  });

  describe.each([
    ["the default key store", () => defaultKey()],
    ["a CloudHSM key store", () => hsmKey()],
  ])("cryptography with a key in %s", (_where, makeKey) => {
    let key: KeyMetadata;
    beforeAll(async () => {
      key = await makeKey();
    });

    it("returns the plaintext when Decrypt is given the ciphertext and the same encryption context, without a KeyId", async () => {
      const context = { tenant: "acme", purpose: "test" };
      const encrypted = await kms.send(
        new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("attack at dawn"), EncryptionContext: context }),
      );

      const decrypted = await kms.send(
        new DecryptCommand({
          CiphertextBlob: encrypted.CiphertextBlob,
          EncryptionContext: { purpose: "test", tenant: "acme" },
        }),
      );

      expect(encrypted).toMatchObject({ KeyId: key.Arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" });
      expect(text(decrypted.Plaintext)).toBe("attack at dawn");
      expect(decrypted.KeyId).toBe(key.Arn);
    });

    it("returns InvalidCiphertextException when the encryption context differs or is missing", async () => {
      const encrypted = await kms.send(
        new EncryptCommand({ KeyId: key.Arn, Plaintext: Buffer.from("secret"), EncryptionContext: { a: "1" } }),
      );

      const wrong = await failure(
        kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { a: "2" } })),
      );
      const missing = await failure(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })));

      expect(wrong.name).toBe("InvalidCiphertextException");
      expect(missing.name).toBe("InvalidCiphertextException");
    });

    it("returns InvalidCiphertextException when a byte of the ciphertext is changed", async () => {
      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("secret") }));
      const tampered = Buffer.from(encrypted.CiphertextBlob as Uint8Array);
      tampered[tampered.length - 5] = (tampered[tampered.length - 5] as number) ^ 0x01;

      const error = await failure(kms.send(new DecryptCommand({ CiphertextBlob: tampered })));

      expect(error.name).toBe("InvalidCiphertextException");
    });

    it("returns IncorrectKeyException when Decrypt names another key than the one that encrypted", async () => {
      const other = await defaultKey();
      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("secret") }));

      const error = await failure(
        kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: other.KeyId })),
      );

      expect(error.name).toBe("IncorrectKeyException");
    });

    it("returns a data key of the requested size that decrypts back when GenerateDataKey is called", async () => {
      const sizes = [
        [{ KeySpec: "AES_256" as const }, 32],
        [{ KeySpec: "AES_128" as const }, 16],
        [{ NumberOfBytes: 64 }, 64],
      ] as const;
      for (const [spec, length] of sizes) {
        const dataKey = await kms.send(
          new GenerateDataKeyCommand({ KeyId: key.KeyId, EncryptionContext: { file: "x" }, ...spec }),
        );
        const back = await kms.send(
          new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: { file: "x" } }),
        );

        expect(dataKey.Plaintext).toHaveLength(length);
        expect(Buffer.from(back.Plaintext as Uint8Array).equals(Buffer.from(dataKey.Plaintext as Uint8Array))).toBe(
          true,
        );
        expect(dataKey.KeyId).toBe(key.Arn);
      }
    });

    it("returns DisabledException when the key is disabled, and ciphertext again when it is enabled", async () => {
      await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
      const disabled = await failure(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })));
      const state = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
      await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));

      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") }));

      expect(disabled).toMatchObject({ name: "DisabledException", message: `${key.Arn} is disabled.` });
      expect(state).toMatchObject({ KeyState: "Disabled", Enabled: false });
      expect(encrypted.CiphertextBlob).toBeDefined();
    });

    it("returns KMSInvalidStateException when the key is pending deletion", async () => {
      const doomed = await makeKey();
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.KeyId, PendingWindowInDays: 30 }));

      const error = await failure(kms.send(new EncryptCommand({ KeyId: doomed.KeyId, Plaintext: Buffer.from("x") })));

      expect(error).toMatchObject({
        name: "KMSInvalidStateException",
        message: `${doomed.Arn} is pending deletion (or pending replica deletion).`,
      });
      await kms.send(new CancelKeyDeletionCommand({ KeyId: doomed.KeyId }));
    });

    it("returns ThrottlingException when throttling is injected on Encrypt", async () => {
      await account.arm({ kind: "throttle", operation: "kms:Encrypt" });

      const error = await failure(
        account.kms().send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })),
      );

      expect(error.name).toBe("ThrottlingException");
    });
  });

  describe("keys of a disconnected key store", () => {
    it("returns Unavailable and KMSInvalidStateException when the store is disconnected, and Enabled when it reconnects", async () => {
      const key = await hsmKey();
      const pending = await hsmKey();
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pending.KeyId, PendingWindowInDays: 30 }));
      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("kept") }));
      await disconnect(account, kms, storeId);

      const whileDisconnected = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
      const pendingWhileDisconnected = (await kms.send(new DescribeKeyCommand({ KeyId: pending.KeyId }))).KeyMetadata;
      const encrypt = await failure(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })));
      const decrypt = await failure(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })));
      // Allowed while Unavailable: it takes effect when the store is back.
      await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
      await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      await connect(account, kms, storeId);
      const reconnected = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));

      expect(whileDisconnected).toMatchObject({ KeyState: "Unavailable", Enabled: false });
      expect(pendingWhileDisconnected?.KeyState).toBe("PendingDeletion");
      expect(encrypt.name).toBe("KMSInvalidStateException");
      expect(decrypt.name).toBe("KMSInvalidStateException");
      expect(reconnected).toMatchObject({ KeyState: "Enabled", Enabled: true });
      expect(text(decrypted.Plaintext)).toBe("kept");
      await kms.send(new CancelKeyDeletionCommand({ KeyId: pending.KeyId }));
    });

    it("returns KMSInvalidStateException when the store is connected but no HSM of its cluster is active", async () => {
      const key = await hsmKey();
      for (const hsm of cluster.hsms) await setHsmHealth(account, hsm.HsmId, "degrade");
      try {
        const error = await failure(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })));

        expect(error.name).toBe("KMSInvalidStateException");
        expect(error.message).toContain("cannot communicate with your CloudHSM cluster");
      } finally {
        for (const hsm of cluster.hsms) await setHsmHealth(account, hsm.HsmId, "restore");
      }
    });
  });

  describe("the real AWS CLI v2", () => {
    it("returns the store, and the plaintext back from encrypt and decrypt, when botocore drives the local account", async () => {
      const key = await hsmKey();

      const stores = awsCli(account, ["kms", "describe-custom-key-stores", "--custom-key-store-id", storeId]);
      const encrypted = awsCli(account, [
        "kms",
        "encrypt",
        "--key-id",
        key.Arn as string,
        "--plaintext",
        Buffer.from("from the CLI").toString("base64"),
        "--encryption-context",
        "purpose=cli",
      ]);
      const blob = (JSON.parse(encrypted.stdout) as { CiphertextBlob: string }).CiphertextBlob;
      const decrypted = awsCli(account, [
        "kms",
        "decrypt",
        "--ciphertext-blob",
        blob,
        "--encryption-context",
        "purpose=cli",
      ]);
      const rejected = awsCli(account, [
        "kms",
        "schedule-key-deletion",
        "--key-id",
        key.KeyId as string,
        "--pending-window-in-days",
        "3",
      ]);

      expect(stores.status).toBe(0);
      expect(JSON.parse(stores.stdout).CustomKeyStores).toEqual([
        expect.objectContaining({ CustomKeyStoreId: storeId, ConnectionState: "CONNECTED" }),
      ]);
      expect(decrypted.status).toBe(0);
      const plaintext = (JSON.parse(decrypted.stdout) as { Plaintext: string }).Plaintext;
      expect(Buffer.from(plaintext, "base64").toString()).toBe("from the CLI");
      expect(rejected.status).not.toBe(0);
      expect(rejected.stderr).toContain("ValidationException");
    });
  });

  describe("tags", () => {
    it("returns the key's tags from CreateKey and TagResource, without those UntagResource removed", async () => {
      const key = (await kms.send(new CreateKeyCommand({ Tags: [{ TagKey: "team", TagValue: "payments" }] })))
        .KeyMetadata as KeyMetadata;

      await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: "env", TagValue: "prod" }] }));
      await kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ["team"] }));

      expect((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags).toEqual([
        { TagKey: "env", TagValue: "prod" },
      ]);
    });

    it("returns KMSInvalidStateException for TagResource on a key pending deletion, whose tags can still be listed", async () => {
      const key = (await kms.send(new CreateKeyCommand({ Tags: [{ TagKey: "team", TagValue: "payments" }] })))
        .KeyMetadata as KeyMetadata;
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));

      const refused = await failure(
        kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: "env", TagValue: "prod" }] })),
      );

      expect(refused).toMatchObject({
        name: "KMSInvalidStateException",
        message: `${key.Arn} is pending deletion (or pending replica deletion).`,
      });
      expect((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags).toEqual([
        { TagKey: "team", TagValue: "payments" },
      ]);
    });

    it("returns LimitExceededException and adds nothing when a key would have more than 50 tags", async () => {
      const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata as KeyMetadata;
      const tags = Array.from({ length: 51 }, (_, i) => ({ TagKey: `k${i}`, TagValue: "v" }));

      // One attempt: the SDK counts LimitExceededException among the throttling errors it retries.
      const once = account.kms();
      expect(await failure(once.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: tags })))).toMatchObject({
        name: "LimitExceededException",
      });
      expect((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags).toEqual([]);
    });
  });

  describe("bad requests", () => {
    it("returns ValidationException and changes nothing when PendingWindowInDays is 3", async () => {
      const key = await defaultKey();
      const seq = await lastSeq(account);

      const error = await failure(
        kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 3 })),
      );

      expect(error).toMatchObject({ name: "ValidationException", status: 400 });
      expect(error.message).toContain("pendingWindowInDays");
      expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState).toBe("Enabled");
      // The only event is CloudTrail's record of the refused call.
      expect(await refusalsAfter(seq)).toEqual([["ScheduleKeyDeletion", "ValidationException"]]);
    });

    it("returns SerializationException and changes nothing when a member has the wrong type", async () => {
      const key = await defaultKey();
      const seq = await lastSeq(account);

      const res = await rawKms(
        account,
        "ScheduleKeyDeletion",
        JSON.stringify({ KeyId: key.KeyId, PendingWindowInDays: "seven" }),
      );

      expect(res).toMatchObject({ status: 400, json: { __type: "SerializationException" } });
      expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState).toBe("Enabled");
      // The only event is CloudTrail's record of the refused call.
      expect(await refusalsAfter(seq)).toEqual([["ScheduleKeyDeletion", "SerializationException"]]);
    });

    it("returns SerializationException when the body is not JSON and UnknownOperationException for an unknown operation", async () => {
      const before = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.length;

      const malformed = await rawKms(account, "CreateKey", '{"Description": ');
      const unknown = await rawKms(account, "CreateKeyPlease", "{}");

      expect(malformed).toMatchObject({ status: 400, json: { __type: "SerializationException" } });
      expect(unknown).toMatchObject({ status: 400, json: { __type: "UnknownOperationException" } });
      expect((await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.length).toBe(before);
    });

    it("returns ValidationException when GenerateDataKey gets both or neither of KeySpec and NumberOfBytes", async () => {
      const key = await defaultKey();

      const both = await failure(
        kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256", NumberOfBytes: 32 })),
      );
      const neither = await failure(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId })));

      expect(both.name).toBe("ValidationException");
      expect(neither.name).toBe("ValidationException");
    });

    it("returns ValidationException when the plaintext is longer than 4096 bytes", async () => {
      const key = await defaultKey();

      const error = await failure(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.alloc(4097) })));

      expect(error.name).toBe("ValidationException");
    });

    it("returns DryRunOperationException when DryRun is set and InvalidKeyUsageException for an asymmetric algorithm", async () => {
      const key = await defaultKey();

      const dryRun = await failure(
        kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), DryRun: true })),
      );
      const algorithm = await failure(
        kms.send(
          new EncryptCommand({
            KeyId: key.KeyId,
            Plaintext: Buffer.from("x"),
            EncryptionAlgorithm: "RSAES_OAEP_SHA_256",
          }),
        ),
      );

      expect(dryRun).toMatchObject({ name: "DryRunOperationException", status: 412 });
      expect(algorithm.name).toBe("InvalidKeyUsageException");
    });

    it("returns InvalidCiphertextException when the blob was not made by KMS", async () => {
      const error = await failure(kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from("definitely not KMS") })));

      expect(error.name).toBe("InvalidCiphertextException");
    });
  });
});
