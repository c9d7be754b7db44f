import { CreateClusterCommand, DescribeBackupsCommand } from "@aws-sdk/client-cloudhsm-v2";
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  KMSClient,
  UpdateCustomKeyStoreCommand,
} from "@aws-sdk/client-kms";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";
import {
  type ActiveCluster,
  addHsm,
  cliOk,
  describeCluster,
  type Login,
  provisionActiveCluster,
  subnetIdInZone,
} from "../support/cloudhsm";

type KeyList = {
  matched_keys: { "key-reference": string; attributes: { label: string; id: string } }[];
  total_key_count: number;
};

/** DOMAIN.md §2.4–2.6 end to end: KMS key material in the cluster, seen and deleted with the CLI, recovered from a backup. */
describe("CloudHSM key material created by KMS", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let active: ActiveCluster;
  let storeId: string;
  let keyArn: string;
  let ciphertext: Uint8Array;
  const newPassword = "KnownKmsuser1";

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    // Retries as production callers do: the key store calls are limited to 5 per second.
    kms = new KMSClient({
      endpoint: account.endpoint,
      region: account.region,
      credentials: CREDENTIALS,
      maxAttempts: 10,
    });
    active = await provisionActiveCluster(account);
    const store = await kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: "material",
        CloudHsmClusterId: active.clusterId,
        TrustAnchorCertificate: active.trustAnchor,
        KeyStorePassword: active.kmsuser?.password,
      }),
    );
    storeId = store.CustomKeyStoreId as string;
    await connect();
    const key = await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId }));
    keyArn = key.KeyMetadata?.Arn as string;
    ciphertext = (await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from("hello") })))
      .CiphertextBlob as Uint8Array;
    // The daily backup now holds the key material.
    await account.advance("25h");
  });
  afterAll(() => account.stop());

  const state = async () =>
    (await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }))).CustomKeyStores?.[0];

  async function connect() {
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await account.advance("21m");
    expect((await state())?.ConnectionState).toBe("CONNECTED");
  }

  it("returns the backing key labelled with the KMS key ARN to kmsuser once the store is disconnected and the password reset", async () => {
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await account.advance("1m");
    const kmsuser: Login = { role: "crypto-user", username: "kmsuser", password: newPassword };

    // KMS rotated the password on connect: the owner's one no longer works until an admin sets a known one.
    const stale = account.cli(["--cluster-id", active.clusterId, "key", "list"], active.kmsuser);
    cliOk(
      account,
      active.clusterId,
      ["user", "change-password", "--username", "kmsuser", "--role", "crypto-user", "--password", newPassword],
      active.admin,
    );
    const listed = cliOk(
      account,
      active.clusterId,
      ["key", "list", "--filter", `attr.label=${keyArn}`, "--verbose"],
      kmsuser,
    ) as KeyList;

    expect(stale.json?.error_code).toBe(1);
    expect(listed.total_key_count).toBe(1);
    expect(listed.matched_keys[0]?.attributes.label).toBe(keyArn);
    expect(listed.matched_keys[0]?.attributes.id).toMatch(/^0x[0-9a-f]+$/);
  });

  it("returns Key deleted successfully and an empty key list when kmsuser deletes the backing key", () => {
    const kmsuser: Login = { role: "crypto-user", username: "kmsuser", password: newPassword };

    const deleted = cliOk(account, active.clusterId, ["key", "delete", "--filter", `attr.label=${keyArn}`], kmsuser);

    expect(deleted).toEqual({ message: "Key deleted successfully" });
    expect(cliOk(account, active.clusterId, ["key", "list"], kmsuser)).toMatchObject({ total_key_count: 0 });
  });

  it("returns the original plaintext when the store is moved to a cluster created from a backup taken before the deletion", async () => {
    const backups = await account
      .cloudhsm()
      .send(new DescribeBackupsCommand({ Filters: { clusterIds: [active.clusterId], states: ["READY"] } }));
    const newest = backups.Backups?.[0];
    const created = await account.cloudhsm().send(
      new CreateClusterCommand({
        HsmType: "hsm2m.medium",
        SubnetIds: [subnetIdInZone("a"), subnetIdInZone("b")],
        SourceBackupId: newest?.BackupId,
      }),
    );
    const clusterId = created.Cluster?.ClusterId as string;
    await account.advance("5m");
    await addHsm(account, clusterId, "a");
    await addHsm(account, clusterId, "b");
    expect((await describeCluster(account, clusterId)).State).toBe("ACTIVE");
    // The backup holds the kmsuser password KMS had rotated to; set the known one in the restored cluster.
    cliOk(
      account,
      clusterId,
      ["user", "change-password", "--username", "kmsuser", "--role", "crypto-user", "--password", newPassword],
      active.admin,
    );

    await kms.send(
      new UpdateCustomKeyStoreCommand({
        CustomKeyStoreId: storeId,
        CloudHsmClusterId: clusterId,
        KeyStorePassword: newPassword,
      }),
    );
    await connect();
    const out = await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }));

    expect(Buffer.from(out.Plaintext as Uint8Array).toString()).toBe("hello");
  });
});
