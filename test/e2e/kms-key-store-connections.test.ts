import { DeleteClusterCommand } from "@aws-sdk/client-cloudhsm-v2";
import {
  ConnectCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  type KMSClient,
  UpdateCustomKeyStoreCommand,
} from "@aws-sdk/client-kms";
import {
  connect,
  createStore,
  deleteAllHsms,
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
import { CONNECTION_ERROR_CODES } from "../../local/account/faults";
import { LocalAccountProcess } from "../../local/account/process";

describe("KMS custom key store connections on the local account", () => {
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

  it("returns CONNECTING, CONNECTED, DISCONNECTING and DISCONNECTED in turn when connect and disconnect settle", async () => {
    const { cluster, id } = await freshStore();
    const seq = await lastSeq(account);

    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    const connecting = await describeStore(kms, id);
    await account.advance("21m");
    const connected = await describeStore(kms, id);
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    const disconnecting = await describeStore(kms, id);
    await account.advance("1m");
    const disconnected = await describeStore(kms, id);

    expect(
      [connecting, connected, disconnecting, disconnected].map((s) => [s.ConnectionState, s.ConnectionErrorCode]),
    ).toEqual([
      ["CONNECTING", undefined],
      ["CONNECTED", undefined],
      ["DISCONNECTING", undefined],
      ["DISCONNECTED", undefined],
    ]);
    const events = (await eventsAfter(account, seq)).map((e) => e.detail);
    expect(events).toEqual([
      expect.objectContaining({
        eventName: "ConnectCustomKeyStore",
        requestParameters: { customKeyStoreId: id },
        responseElements: null,
        additionalEventData: { customKeyStoreName: connected.CustomKeyStoreName, clusterId: cluster.clusterId },
      }),
      expect.objectContaining({
        eventName: "DisconnectCustomKeyStore",
        requestParameters: { customKeyStoreId: id },
        responseElements: null,
        additionalEventData: { customKeyStoreName: connected.CustomKeyStoreName, clusterId: cluster.clusterId },
      }),
    ]);
  });

  it("returns success without a change when Connect is called while CONNECTING or CONNECTED", async () => {
    const { id } = await freshStore();
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));

    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    expect((await describeStore(kms, id)).ConnectionState).toBe("CONNECTING");
    await account.advance("21m");
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));

    expect((await describeStore(kms, id)).ConnectionState).toBe("CONNECTED");
  });

  it("returns CustomKeyStoreInvalidStateException when Connect is called while DISCONNECTING", async () => {
    const { id } = await freshStore();
    await connect(account, kms, id);
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));

    const error = await failure(kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })));

    expect(error.name).toBe("CustomKeyStoreInvalidStateException");
    expect(error.message).toContain("ConnectionState");
    expect((await describeStore(kms, id)).ConnectionState).toBe("DISCONNECTING");
  });

  it("returns CustomKeyStoreInvalidStateException when Disconnect is called while DISCONNECTED or DISCONNECTING", async () => {
    const { id } = await freshStore();

    const whileDisconnected = await failure(kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id })));
    await connect(account, kms, id);
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    const whileDisconnecting = await failure(kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id })));

    expect(whileDisconnected.name).toBe("CustomKeyStoreInvalidStateException");
    expect(whileDisconnecting.name).toBe("CustomKeyStoreInvalidStateException");
  });

  it("returns CloudHsmClusterNotActiveException when the cluster is being deleted, and FAILED with CLUSTER_NOT_FOUND when it is gone", async () => {
    const { cluster, id } = await freshStore();
    await deleteAllHsms(account, cluster);
    await account.cloudhsm().send(new DeleteClusterCommand({ ClusterId: cluster.clusterId }));

    const whileDeleting = await failure(kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })));
    const unchanged = await describeStore(kms, id);
    await account.advance("10m");
    const afterDeletion = await connect(account, kms, id);

    expect(whileDeleting.name).toBe("CloudHsmClusterNotActiveException");
    expect(unchanged.ConnectionState).toBe("DISCONNECTED");
    expect(afterDeletion).toMatchObject({ ConnectionState: "FAILED", ConnectionErrorCode: "CLUSTER_NOT_FOUND" });
  });

  it("returns CustomKeyStoreNotFoundException when Connect names no store", async () => {
    const error = await failure(
      kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: "cks-0000000000000000" })),
    );

    expect(error.name).toBe("CustomKeyStoreNotFoundException");
  });

  it("returns the rotated kmsuser password in force when the store reconnects and the original one fails", async () => {
    const { cluster, id } = await freshStore();
    await connect(account, kms, id);
    await disconnect(account, kms, id);

    // KMS knows the password it set: reconnecting needs nothing from the owner.
    const reconnected = await connect(account, kms, id);
    await disconnect(account, kms, id);
    // The password the owner chose no longer opens kmsuser.
    await kms.send(
      new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: cluster.kmsuserPassword }),
    );
    const withOriginal = await connect(account, kms, id);

    expect(reconnected.ConnectionState).toBe("CONNECTED");
    expect(withOriginal).toMatchObject({ ConnectionState: "FAILED", ConnectionErrorCode: "INVALID_CREDENTIALS" });
  });

  it("returns FAILED with INVALID_CREDENTIALS when the store was given the wrong password", async () => {
    const cluster = await seedCluster(account);
    const id = await createStore(kms, cluster, name("wrong"), "NotThePassword1");

    const entry = await connect(account, kms, id);

    expect(entry).toMatchObject({ ConnectionState: "FAILED", ConnectionErrorCode: "INVALID_CREDENTIALS" });
  });

  it("returns FAILED with USER_LOCKED_OUT when kmsuser had five failed logins, even with the right password", async () => {
    const cluster = await seedCluster(account);
    const id = await createStore(kms, cluster, name("locked"), "NotThePassword1");
    const codes: (string | undefined)[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      codes.push((await connect(account, kms, id)).ConnectionErrorCode);
      await disconnect(account, kms, id);
    }
    await kms.send(
      new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: cluster.kmsuserPassword }),
    );

    const entry = await connect(account, kms, id);

    expect(codes).toEqual(Array(5).fill("INVALID_CREDENTIALS"));
    expect(entry).toMatchObject({ ConnectionState: "FAILED", ConnectionErrorCode: "USER_LOCKED_OUT" });
  });

  it("returns FAILED with USER_NOT_FOUND when the cluster has no kmsuser", async () => {
    const cluster = await seedCluster(account, { kmsuser: false });
    const id = await createStore(kms, cluster, name("no-kmsuser"), "SomePassword1");

    const entry = await connect(account, kms, id);

    expect(entry).toMatchObject({ ConnectionState: "FAILED", ConnectionErrorCode: "USER_NOT_FOUND" });
  });

  it("returns FAILED with INSUFFICIENT_CLOUDHSM_HSMS when no HSM of the cluster is active", async () => {
    const { cluster, id } = await freshStore();
    await deleteAllHsms(account, cluster);

    const entry = await connect(account, kms, id);

    expect(entry).toMatchObject({ ConnectionState: "FAILED", ConnectionErrorCode: "INSUFFICIENT_CLOUDHSM_HSMS" });
  });

  it("returns FAILED with the injected code when a connect error is armed, once only", async () => {
    const { id } = await freshStore();
    const codes = CONNECTION_ERROR_CODES;
    const seen: (string | undefined)[] = [];
    for (const code of codes) {
      await account.arm({ kind: "connect-error", connectionErrorCode: code, customKeyStoreId: id });
      const entry = await connect(account, kms, id);
      seen.push(entry.ConnectionState === "FAILED" ? entry.ConnectionErrorCode : entry.ConnectionState);
      await disconnect(account, kms, id);
    }

    const afterwards = await connect(account, kms, id);

    expect(seen).toEqual(codes);
    expect(afterwards.ConnectionState).toBe("CONNECTED");
  });

  it("returns CustomKeyStoreInvalidStateException on Connect when FAILED, and DISCONNECTED after Disconnect", async () => {
    const { id } = await freshStore();
    await account.arm({ kind: "connect-error", connectionErrorCode: "NETWORK_ERRORS", customKeyStoreId: id });
    await connect(account, kms, id);

    const error = await failure(kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })));
    const entry = await disconnect(account, kms, id);

    expect(error.name).toBe("CustomKeyStoreInvalidStateException");
    expect(entry.ConnectionState).toBe("DISCONNECTED");
    expect(entry.ConnectionErrorCode).toBeUndefined();
  });

  it("returns ThrottlingException and leaves the store unchanged when throttling is injected", async () => {
    const { id } = await freshStore();
    await account.arm({ kind: "throttle", operation: "kms:ConnectCustomKeyStore" });

    const error = await failure(account.kms().send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })));

    expect(error.name).toBe("ThrottlingException");
    expect((await describeStore(kms, id)).ConnectionState).toBe("DISCONNECTED");
  });

  it("returns ThrottlingException for some calls when more than 5 DescribeCustomKeyStores arrive in a second", async () => {
    const impatient = account.kms();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => impatient.send(new DescribeCustomKeyStoresCommand({}))),
    );

    const names = results.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as Error).name));
    expect(names).toContain("ThrottlingException");
    expect(names.filter((n) => n !== "ok" && n !== "ThrottlingException")).toEqual([]);
    // A caller that backs off and retries gets through.
    await expect(kms.send(new DescribeCustomKeyStoresCommand({}))).resolves.toBeDefined();
  });

  it("returns the full quota again right after the simulated clock advances, as for a retry after its backoff", async () => {
    const impatient = account.kms();
    const burst = () =>
      Promise.allSettled(Array.from({ length: 5 }, () => impatient.send(new DescribeCustomKeyStoresCommand({}))));
    const spent = await Promise.allSettled(
      Array.from({ length: 20 }, () => impatient.send(new DescribeCustomKeyStoresCommand({}))),
    );
    expect(spent.some((r) => r.status === "rejected")).toBe(true);

    await account.advance("2m");
    const after = await burst();

    expect(after.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as Error).name))).toEqual(Array(5).fill("ok"));
  });
});
