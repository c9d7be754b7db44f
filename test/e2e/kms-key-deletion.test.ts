import {
  CancelKeyDeletionCommand,
  ConnectCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteCustomKeyStoreCommand,
  DescribeKeyCommand,
  EncryptCommand,
  type KeyMetadata,
  type KMSClient,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import {
  connect,
  createStore,
  describeStore,
  disconnect,
  eventsAfter,
  failure,
  lastSeq,
  patientKms,
  type SeededCluster,
  seedCluster,
  setHsmHealth,
  startWithConnectedStore,
  tokenKeys,
} from "../../local/account/driver";
import type { LocalAccountProcess } from "../../local/account/process";

type Trail = { eventName?: string; eventType?: string; additionalEventData?: Record<string, string> };

describe("KMS key deletion and durability on the local account", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let cluster: SeededCluster;
  let storeId: string;

  beforeAll(async () => {
    ({ account, kms, cluster, storeId } = await startWithConnectedStore("deletion-store"));
  });
  afterAll(() => account.stop());

  /** kill -9 and start again; the account comes back on a new port. */
  async function crashAndRestart(): Promise<void> {
    await account.crashAndRestart();
    kms = patientKms(account);
  }

  const hsmKey = async (): Promise<KeyMetadata> =>
    (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata as KeyMetadata;
  const defaultKey = async (): Promise<KeyMetadata> =>
    (await kms.send(new CreateKeyCommand({}))).KeyMetadata as KeyMetadata;

  /** The backing key id KMS logged for a key when it was created. */
  async function backingKeyOf(key: KeyMetadata): Promise<string> {
    const created = (await eventsAfter(account, 0)).find(
      (e) => e.detail.eventName === "CreateKey" && JSON.stringify(e.detail).includes(key.Arn as string),
    );
    return JSON.parse((created!.detail.additionalEventData as { backingKey: string }).backingKey).backingKeyId;
  }

  /** DeleteKey service events and KMS CMK Deletion events for one key, after `seq`. */
  async function deletionEvents(seq: number, key: KeyMetadata) {
    const events = await eventsAfter(account, seq);
    return {
      deleteKey: events
        .filter((e) => e.detail.eventName === "DeleteKey")
        .filter((e) => (e.detail.responseElements as { keyId?: string } | null)?.keyId === key.Arn),
      cmkDeletion: events.filter(
        (e) => e["detail-type"] === "KMS CMK Deletion" && (e.resources as string[]).includes(key.Arn as string),
      ),
    };
  }

  describe("ScheduleKeyDeletion and CancelKeyDeletion", () => {
    it("returns the ARN, PendingDeletion and the deletion date, and logs it with the backing key, when deletion is scheduled", async () => {
      const key = await hsmKey();
      const backingKeyId = await backingKeyOf(key);
      const now = await account.now();
      const seq = await lastSeq(account);

      const out = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));

      expect(out).toMatchObject({ KeyId: key.Arn, KeyState: "PendingDeletion", PendingWindowInDays: 7 });
      const days = ((out.DeletionDate?.getTime() ?? 0) - now.getTime()) / 86_400_000;
      expect(days).toBeGreaterThanOrEqual(7);
      expect(days).toBeLessThan(7.01);
      const described = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
      expect(described).toMatchObject({ KeyState: "PendingDeletion", PendingDeletionWindowInDays: 7, Enabled: false });
      expect(described?.DeletionDate).toEqual(out.DeletionDate);
      const [event] = await eventsAfter(account, seq);
      expect(event?.detail).toMatchObject({
        eventName: "ScheduleKeyDeletion",
        eventType: "AwsApiCall",
        requestParameters: { keyId: key.KeyId, pendingWindowInDays: 7 },
        responseElements: { keyId: key.Arn, keyState: "PendingDeletion", pendingWindowInDays: 7 },
        additionalEventData: {
          customKeyStoreId: storeId,
          clusterId: cluster.clusterId,
          backingKeys: JSON.stringify([{ backingKeyId }]),
        },
      });
      expect((event!.detail.responseElements as { deletionDate: string }).deletionDate).toMatch(
        /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} (AM|PM)$/,
      );
      await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    });

    it("returns a 30-day window when PendingWindowInDays is not given", async () => {
      const key = await defaultKey();

      const out = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId }));

      expect(out.PendingWindowInDays).toBe(30);
      await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    });

    it("returns KMSInvalidStateException when the key is already pending deletion", async () => {
      const key = await defaultKey();
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));

      const error = await failure(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId })));

      expect(error).toMatchObject({
        name: "KMSInvalidStateException",
        message: `${key.Arn} is pending deletion (or pending replica deletion).`,
      });
      await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    });

    it("returns the key Disabled and logs the ARN when the deletion is cancelled", async () => {
      const key = await hsmKey();
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      const seq = await lastSeq(account);

      const out = await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));

      expect(out.KeyId).toBe(key.Arn);
      const described = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
      expect(described).toMatchObject({ KeyState: "Disabled", Enabled: false });
      expect(described?.DeletionDate).toBeUndefined();
      const [event] = await eventsAfter(account, seq);
      expect(event?.detail).toMatchObject({
        eventName: "CancelKeyDeletion",
        requestParameters: { keyId: key.KeyId },
        responseElements: { keyId: key.Arn },
      });
      // Cancelled means cancelled: the key outlives its old deletion date.
      await account.advance("8d");
      expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState).toBe("Disabled");
    });

    it("returns KMSInvalidStateException when a key that is not pending deletion is cancelled", async () => {
      const key = await defaultKey();

      const error = await failure(kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId })));

      expect(error).toMatchObject({
        name: "KMSInvalidStateException",
        message: `${key.Arn} is not pending deletion (or pending replica deletion).`,
      });
    });
  });

  describe("deletion at the end of the waiting period", () => {
    it("returns the key until the deletion date, then deletes it and its backing key with SUCCESS when the store is connected", async () => {
      const key = await hsmKey();
      const backingKeyId = await backingKeyOf(key);
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      const seq = await lastSeq(account);

      await account.advance("6d");
      const beforeDate = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState;
      await account.advance("2d");

      expect(beforeDate).toBe("PendingDeletion");
      const gone = await failure(kms.send(new DescribeKeyCommand({ KeyId: key.KeyId })));
      expect(gone).toMatchObject({ name: "NotFoundException", message: `Key '${key.Arn}' does not exist` });
      const { deleteKey, cmkDeletion } = await deletionEvents(seq, key);
      expect(deleteKey).toHaveLength(1);
      expect(deleteKey[0]).toMatchObject({
        "detail-type": "AWS Service Event via CloudTrail",
        source: "aws.kms",
        detail: {
          eventName: "DeleteKey",
          eventType: "AwsServiceEvent",
          requestParameters: null,
          responseElements: { keyId: key.Arn },
          additionalEventData: {
            customKeyStoreId: storeId,
            clusterId: cluster.clusterId,
            backingKeys: JSON.stringify([{ backingKeyId }]),
            backingKeysDeletionStatus: JSON.stringify([{ backingKeyId, deletionStatus: "SUCCESS" }]),
          },
        },
      });
      expect(cmkDeletion).toHaveLength(1);
      expect(cmkDeletion[0]).toMatchObject({
        source: "aws.kms",
        resources: [key.Arn],
        detail: { "key-id": key.KeyId },
      });
      expect((await tokenKeys(account, cluster.clusterId)).map((k) => k.id)).not.toContain(backingKeyId);
      const listed = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys ?? [];
      expect(listed.map((k) => k.KeyId)).not.toContain(key.KeyId);
    });

    it("returns FAILURE and leaves the backing key in the cluster, even across a crash, when the store is disconnected", async () => {
      const key = await hsmKey();
      const backingKeyId = await backingKeyOf(key);
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      await disconnect(account, kms, storeId);
      const seq = await lastSeq(account);

      await account.advance("8d");

      const { deleteKey, cmkDeletion } = await deletionEvents(seq, key);
      expect((deleteKey[0]!.detail as Trail).additionalEventData?.backingKeysDeletionStatus).toBe(
        JSON.stringify([{ backingKeyId, deletionStatus: "FAILURE" }]),
      );
      expect(cmkDeletion).toHaveLength(1);
      expect((await failure(kms.send(new DescribeKeyCommand({ KeyId: key.KeyId })))).name).toBe("NotFoundException");
      // The orphan is legitimate (the owner cleans it up, DOMAIN.md §2.5): recovery after a crash must keep it.
      await crashAndRestart();
      expect(await tokenKeys(account, cluster.clusterId)).toContainEqual({ label: key.Arn, id: backingKeyId });
      await connect(account, kms, storeId);
    });

    it("returns FAILURE when the store is connected but no HSM of the cluster is active", async () => {
      const key = await hsmKey();
      const backingKeyId = await backingKeyOf(key);
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      for (const hsm of cluster.hsms) await setHsmHealth(account, hsm.HsmId, "degrade");
      const seq = await lastSeq(account);

      try {
        await account.advance("8d");
      } finally {
        for (const hsm of cluster.hsms) await setHsmHealth(account, hsm.HsmId, "restore");
      }

      const { deleteKey } = await deletionEvents(seq, key);
      expect((deleteKey[0]!.detail as Trail).additionalEventData?.backingKeysDeletionStatus).toBe(
        JSON.stringify([{ backingKeyId, deletionStatus: "FAILURE" }]),
      );
      expect((await tokenKeys(account, cluster.clusterId)).map((k) => k.id)).toContain(backingKeyId);
    });

    it("returns a DeleteKey event without key store fields and a KMS CMK Deletion when a default-store key is deleted", async () => {
      const key = await defaultKey();
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      const seq = await lastSeq(account);

      await account.advance("8d");

      const { deleteKey, cmkDeletion } = await deletionEvents(seq, key);
      expect(deleteKey).toHaveLength(1);
      expect(deleteKey[0]?.detail).toMatchObject({
        eventType: "AwsServiceEvent",
        requestParameters: null,
        responseElements: { keyId: key.Arn },
      });
      expect(deleteKey[0]?.detail.additionalEventData).toBeUndefined();
      expect(cmkDeletion).toHaveLength(1);
    });

    it("returns success for DeleteCustomKeyStore when every key is deleted and the store is disconnected", async () => {
      const other = await seedCluster(account);
      const id = await createStore(kms, other, "short-lived");
      await connect(account, kms, id);
      const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: id })))
        .KeyMetadata as KeyMetadata;
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      await account.advance("8d");
      await disconnect(account, kms, id);

      await kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }));

      expect((await failure(describeStore(kms, id))).name).toBe("CustomKeyStoreNotFoundException");
      expect(await tokenKeys(account, other.clusterId)).toEqual([]);
    });
  });

  describe("durability", () => {
    it("returns the same keys, token objects and plaintexts when the account is killed and restarted", async () => {
      const keys = [await hsmKey(), await defaultKey(), await hsmKey()];
      const ciphertexts = [];
      for (const [i, key] of keys.entries()) {
        const out = await kms.send(
          new EncryptCommand({
            KeyId: key.KeyId,
            Plaintext: Buffer.from(`secret ${i}`),
            EncryptionContext: { i: `${i}` },
          }),
        );
        ciphertexts.push(out.CiphertextBlob);
      }
      const listed = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys;
      const tokenBefore = await tokenKeys(account, cluster.clusterId);

      await crashAndRestart();

      const plaintexts = [];
      for (const [i, blob] of ciphertexts.entries()) {
        const out = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { i: `${i}` } }));
        plaintexts.push(Buffer.from(out.Plaintext as Uint8Array).toString());
      }
      expect(plaintexts).toEqual(["secret 0", "secret 1", "secret 2"]);
      expect((await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys).toEqual(listed);
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect((await tokenKeys(account, cluster.clusterId)).sort(byId)).toEqual(tokenBefore.sort(byId));
      expect((await describeStore(kms, storeId)).ConnectionState).toBe("CONNECTED");
    });

    it("returns CONNECTED after a restart when a connect was in progress at the crash", async () => {
      await disconnect(account, kms, storeId);
      await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));

      await crashAndRestart();
      const during = await describeStore(kms, storeId);
      await account.advance("21m");

      expect(during.ConnectionState).toBe("CONNECTING");
      expect((await describeStore(kms, storeId)).ConnectionState).toBe("CONNECTED");
    });

    it("returns the key deleted once after a restart when its deletion was pending at the crash", async () => {
      const key = await hsmKey();
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      const seq = await lastSeq(account);

      await crashAndRestart();
      await account.advance("8d");
      await account.advance("1d");

      const { deleteKey, cmkDeletion } = await deletionEvents(seq, key);
      expect(deleteKey).toHaveLength(1);
      expect(cmkDeletion).toHaveLength(1);
      expect((await failure(kms.send(new DescribeKeyCommand({ KeyId: key.KeyId })))).name).toBe("NotFoundException");
    });
  });
});
