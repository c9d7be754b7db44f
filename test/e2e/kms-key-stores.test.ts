import { CreateClusterCommand } from "@aws-sdk/client-cloudhsm-v2";
import {
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  type KMSClient,
  ScheduleKeyDeletionCommand,
  UpdateCustomKeyStoreCommand,
} from "@aws-sdk/client-kms";
import { subnetIdInZone } from "../../local/account/cloudhsm/network";
import {
  connect,
  createStore,
  describeStore,
  disconnect,
  eventsAfter,
  failure,
  lastSeq,
  patientKms,
  removeAllStores,
  type SeededCluster,
  seedCluster,
} from "../../local/account/driver";
import { LocalAccountProcess } from "../../local/account/process";

describe("KMS custom key stores on the local account", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let names = 0;
  const name = (prefix: string) => `${prefix}-${++names}`;

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    kms = patientKms(account);
  });
  afterEach(() => removeAllStores(account, kms));
  afterAll(() => account.stop());

  /** A fresh cluster and a DISCONNECTED store on it. */
  async function freshStore(prefix = "store"): Promise<{ cluster: SeededCluster; id: string }> {
    const cluster = await seedCluster(account);
    return { cluster, id: await createStore(kms, cluster, name(prefix)) };
  }

  describe("CreateCustomKeyStore", () => {
    it("returns a DISCONNECTED store and logs CloudTrail without password or certificate when the cluster qualifies", async () => {
      const cluster = await seedCluster(account);
      const seq = await lastSeq(account);
      const storeName = name("payments");

      const id = await createStore(kms, cluster, storeName);

      expect(id).toMatch(/^cks-[0-9a-f]{16}$/);
      const entry = await describeStore(kms, id);
      expect(entry).toMatchObject({
        CustomKeyStoreId: id,
        CustomKeyStoreName: storeName,
        CustomKeyStoreType: "AWS_CLOUDHSM",
        CloudHsmClusterId: cluster.clusterId,
        TrustAnchorCertificate: cluster.trustAnchor,
        ConnectionState: "DISCONNECTED",
      });
      expect(entry.ConnectionErrorCode).toBeUndefined();
      expect(entry.CreationDate).toBeInstanceOf(Date);
      const [event] = await eventsAfter(account, seq);
      expect(event?.detail).toMatchObject({
        eventSource: "kms.amazonaws.com",
        eventName: "CreateCustomKeyStore",
        eventType: "AwsApiCall",
        requestParameters: { customKeyStoreName: storeName, clusterId: cluster.clusterId },
        responseElements: { customKeyStoreId: id },
      });
      const logged = JSON.stringify(event);
      expect(logged).not.toContain(cluster.kmsuserPassword);
      expect(logged).not.toContain("BEGIN CERTIFICATE");
    });

    it("returns the existing id when the same properties are sent again for a disconnected store", async () => {
      const cluster = await seedCluster(account);
      const storeName = name("retry");
      const first = await createStore(kms, cluster, storeName);

      const second = await createStore(kms, cluster, storeName);

      expect(second).toBe(first);
      const all = await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: storeName }));
      expect(all.CustomKeyStores).toHaveLength(1);
    });

    it("returns CustomKeyStoreNameInUseException when another store has the name", async () => {
      const { id } = await freshStore();
      const taken = (await describeStore(kms, id)).CustomKeyStoreName as string;
      const other = await seedCluster(account);

      const error = await failure(createStore(kms, other, taken));

      expect(error.name).toBe("CustomKeyStoreNameInUseException");
    });

    it("returns CloudHsmClusterNotFoundException when no cluster has the id", async () => {
      const cluster = await seedCluster(account);

      const error = await failure(createStore(kms, { ...cluster, clusterId: "cluster-zzzzzzzzzzz" }, name("ghost")));

      expect(error.name).toBe("CloudHsmClusterNotFoundException");
    });

    it("returns CloudHsmClusterNotActiveException when the cluster is not initialized and activated", async () => {
      const anchor = await seedCluster(account);
      const created = await account
        .cloudhsm()
        .send(
          new CreateClusterCommand({ HsmType: "hsm2m.medium", SubnetIds: [subnetIdInZone("a"), subnetIdInZone("b")] }),
        );
      await account.advance("10m");
      const uninitialized = { ...anchor, clusterId: created.Cluster?.ClusterId as string };

      const error = await failure(createStore(kms, uninitialized, name("inactive")));

      expect(error.name).toBe("CloudHsmClusterNotActiveException");
    });

    it("returns CloudHsmClusterInUseException when the cluster or one sharing its backup history has a store", async () => {
      const { cluster } = await freshStore();
      const restored = await seedCluster(account, { restoredFrom: cluster.clusterId });

      const same = await failure(createStore(kms, cluster, name("again")));
      const related = await failure(createStore(kms, { ...restored, kmsuserPassword: "whatever1" }, name("related")));

      expect(same.name).toBe("CloudHsmClusterInUseException");
      expect(related.name).toBe("CloudHsmClusterInUseException");
    });

    it("returns IncorrectTrustAnchorException when the certificate is another cluster's trust anchor", async () => {
      const cluster = await seedCluster(account);
      const other = await seedCluster(account);

      const error = await failure(createStore(kms, { ...cluster, trustAnchor: other.trustAnchor }, name("anchor")));

      expect(error.name).toBe("IncorrectTrustAnchorException");
    });

    it("returns the store when the trust anchor differs only in line endings and wrapping", async () => {
      const cluster = await seedCluster(account);
      const rewrapped = cluster.trustAnchor.replace(/\n/g, "\r\n");

      const id = await createStore(kms, { ...cluster, trustAnchor: rewrapped }, name("crlf"));

      expect((await describeStore(kms, id)).ConnectionState).toBe("DISCONNECTED");
    });

    it("returns CloudHsmClusterInvalidConfigurationException when the active HSMs are not in two AZs", async () => {
      const oneAz = await seedCluster(account, { hsms: 2, availabilityZones: 1 });
      const oneHsm = await seedCluster(account, { hsms: 1 });

      const sameAz = await failure(createStore(kms, oneAz, name("one-az")));
      const single = await failure(createStore(kms, oneHsm, name("one-hsm")));

      expect(sameAz.name).toBe("CloudHsmClusterInvalidConfigurationException");
      expect(single.name).toBe("CloudHsmClusterInvalidConfigurationException");
    });

    it("returns ValidationException without echoing the password when it is shorter than 7 characters", async () => {
      const cluster = await seedCluster(account);

      const error = await failure(createStore(kms, cluster, name("short"), "Abc123"));

      expect(error.name).toBe("ValidationException");
      expect(error.message).toContain("keyStorePassword");
      expect(error.message).not.toContain("Abc123");
    });

    it("returns UnsupportedOperationException naming XKS when the type is EXTERNAL_KEY_STORE", async () => {
      const error = await failure(
        kms.send(
          new CreateCustomKeyStoreCommand({
            CustomKeyStoreName: name("xks"),
            CustomKeyStoreType: "EXTERNAL_KEY_STORE",
            XksProxyConnectivity: "PUBLIC_ENDPOINT",
            XksProxyUriEndpoint: "https://xks.example.com",
            XksProxyUriPath: "/kms/xks/v1",
          }),
        ),
      );

      expect(error.name).toBe("UnsupportedOperationException");
      expect(error.message).toContain("EXTERNAL_KEY_STORE");
    });

    it("returns KMSInternalException and creates nothing when an internal error is injected", async () => {
      const cluster = await seedCluster(account);
      const storeName = name("internal");
      await account.arm({ kind: "internal-error", operation: "kms:CreateCustomKeyStore" });

      const error = await failure(createStore(account.kms(), cluster, storeName));

      expect(error).toMatchObject({ name: "KMSInternalException", status: 500 });
      const lookup = await failure(kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: storeName })));
      expect(lookup.name).toBe("CustomKeyStoreNotFoundException");
    });
  });

  describe("DescribeCustomKeyStores", () => {
    it("returns CustomKeyStoreNotFoundException when no store has the id or the name", async () => {
      const byId = await failure(
        kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: "cks-0000000000000000" })),
      );
      const byName = await failure(kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: "nobody" })));

      expect(byId.name).toBe("CustomKeyStoreNotFoundException");
      expect(byName.name).toBe("CustomKeyStoreNotFoundException");
    });

    it("returns ValidationException when both the id and the name are given", async () => {
      const { id } = await freshStore();
      const entry = await describeStore(kms, id);

      const error = await failure(
        kms.send(
          new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id, CustomKeyStoreName: entry.CustomKeyStoreName }),
        ),
      );

      expect(error.name).toBe("ValidationException");
    });

    it("returns every store once, page by page, when Limit is smaller than the number of stores", async () => {
      await freshStore();
      await freshStore();
      const all = (await kms.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores ?? [];

      const seen: string[] = [];
      let marker: string | undefined;
      do {
        const out = await kms.send(new DescribeCustomKeyStoresCommand({ Limit: 1, Marker: marker }));
        expect(out.CustomKeyStores).toHaveLength(1);
        seen.push(out.CustomKeyStores?.[0]?.CustomKeyStoreId as string);
        expect(out.Truncated).toBe(out.NextMarker !== undefined);
        marker = out.NextMarker;
      } while (marker);

      expect(seen).toEqual(all.map((s) => s.CustomKeyStoreId));
    });

    it("returns InvalidMarkerException when the marker was not issued by KMS", async () => {
      const error = await failure(kms.send(new DescribeCustomKeyStoresCommand({ Marker: "not-a-marker" })));

      expect(error.name).toBe("InvalidMarkerException");
    });
  });

  describe("UpdateCustomKeyStore", () => {
    it("returns the new name when the store is CONNECTED", async () => {
      const { id } = await freshStore();
      await connect(account, kms, id);
      const newName = name("renamed");

      await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, NewCustomKeyStoreName: newName }));

      expect(await describeStore(kms, id)).toMatchObject({ CustomKeyStoreName: newName, ConnectionState: "CONNECTED" });
    });

    it("returns CustomKeyStoreInvalidStateException when the password or cluster changes while CONNECTED", async () => {
      const { cluster, id } = await freshStore();
      await connect(account, kms, id);

      const password = await failure(
        kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: "AnotherPassword1" })),
      );
      const clusterChange = await failure(
        kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, CloudHsmClusterId: cluster.clusterId })),
      );

      expect(password.name).toBe("CustomKeyStoreInvalidStateException");
      expect(clusterChange.name).toBe("CustomKeyStoreInvalidStateException");
    });

    it("returns CustomKeyStoreNameInUseException when the new name belongs to another store", async () => {
      const { id } = await freshStore();
      const other = await freshStore();
      const taken = (await describeStore(kms, other.id)).CustomKeyStoreName;

      const error = await failure(
        kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, NewCustomKeyStoreName: taken })),
      );

      expect(error.name).toBe("CustomKeyStoreNameInUseException");
    });

    it("returns the related cluster and connects to it when it shares the original's backup history", async () => {
      const { cluster, id } = await freshStore();
      await connect(account, kms, id);
      await disconnect(account, kms, id);
      const restored = await seedCluster(account, { restoredFrom: cluster.clusterId });
      const seq = await lastSeq(account);

      await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, CloudHsmClusterId: restored.clusterId }));
      const entry = await connect(account, kms, id);

      expect(entry).toMatchObject({ CloudHsmClusterId: restored.clusterId, ConnectionState: "CONNECTED" });
      const [update] = await eventsAfter(account, seq);
      expect(update?.detail).toMatchObject({
        eventName: "UpdateCustomKeyStore",
        requestParameters: { customKeyStoreId: id, clusterId: restored.clusterId },
        additionalEventData: { clusterId: restored.clusterId },
      });
    });

    it("returns CloudHsmClusterNotRelatedException when the new cluster has another backup history", async () => {
      const { id } = await freshStore();
      const unrelated = await seedCluster(account);

      const error = await failure(
        kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, CloudHsmClusterId: unrelated.clusterId })),
      );

      expect(error.name).toBe("CloudHsmClusterNotRelatedException");
      expect((await describeStore(kms, id)).CloudHsmClusterId).not.toBe(unrelated.clusterId);
    });

    it("returns CloudHsmClusterInvalidConfigurationException when the related cluster has one HSM", async () => {
      const { cluster, id } = await freshStore();
      const restored = await seedCluster(account, { restoredFrom: cluster.clusterId, hsms: 1 });

      const error = await failure(
        kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, CloudHsmClusterId: restored.clusterId })),
      );

      expect(error.name).toBe("CloudHsmClusterInvalidConfigurationException");
    });

    it("returns a connectable store when the owner tells KMS the password it set after a lock-out", async () => {
      const cluster = await seedCluster(account);
      const id = await createStore(kms, cluster, name("fixed"), "NotThePassword1");
      expect((await connect(account, kms, id)).ConnectionErrorCode).toBe("INVALID_CREDENTIALS");
      await disconnect(account, kms, id);

      await kms.send(
        new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: cluster.kmsuserPassword }),
      );
      const entry = await connect(account, kms, id);

      expect(entry.ConnectionState).toBe("CONNECTED");
    });
  });

  describe("DeleteCustomKeyStore", () => {
    it("returns CustomKeyStoreInvalidStateException when the store is not DISCONNECTED", async () => {
      const { id } = await freshStore();
      await connect(account, kms, id);

      const error = await failure(kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id })));

      expect(error.name).toBe("CustomKeyStoreInvalidStateException");
    });

    it("returns CustomKeyStoreHasCMKsException when a key, even one pending deletion, is in the store", async () => {
      const { id } = await freshStore();
      await connect(account, kms, id);
      const key = await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: id }));
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyMetadata?.KeyId, PendingWindowInDays: 30 }));
      await disconnect(account, kms, id);

      const error = await failure(kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id })));

      expect(error.name).toBe("CustomKeyStoreHasCMKsException");
    });

    it("returns success and forgets the store when it is DISCONNECTED and empty", async () => {
      const { cluster, id } = await freshStore();
      const entry = await describeStore(kms, id);
      const seq = await lastSeq(account);

      await kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }));

      const error = await failure(kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id })));
      expect(error.name).toBe("CustomKeyStoreNotFoundException");
      const [event] = await eventsAfter(account, seq);
      expect(event?.detail).toMatchObject({
        eventName: "DeleteCustomKeyStore",
        requestParameters: { customKeyStoreId: id },
        responseElements: null,
        additionalEventData: { customKeyStoreName: entry.CustomKeyStoreName, clusterId: cluster.clusterId },
      });
      // The cluster is free again for a new store.
      expect(await createStore(kms, cluster, name("reborn"))).toMatch(/^cks-/);
    });
  });

  // Last: it fills the account's quota of key stores.
  it("returns LimitExceededException when the account already has 10 custom key stores", async () => {
    const existing = (await kms.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores?.length ?? 0;
    for (let i = existing; i < 10; i++) await freshStore("filler");
    const cluster = await seedCluster(account);

    // Not the patient client: the SDK retries LimitExceededException as a throttling error.
    const error = await failure(createStore(account.kms(), cluster, name("eleventh")));

    expect(error.name).toBe("LimitExceededException");
  });
});
