import { DescribeRuleCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  type KMSClient,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { connect, createStore, failure, patientKms, seedCluster } from "../../local/account/driver";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";
import { eventually } from "../support/eventually";

const USES_FN = "keystore-autopilot-dev-followUpUses";

/**
 * A key pending deletion that an application still uses, on the local account with serverless.yml deployed: the
 * refused call's CloudTrail record (read-only) reaches followUpUses only through its rule in the state
 * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, and the alert names the caller.
 */
describe("a use of a key pending deletion on the local runtime", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let storeId: string;

  beforeAll(async () => {
    account = await LocalAccountProcess.start({ entry: "local/start.ts" });
    kms = patientKms(account);
    const cluster = await seedCluster(account);
    storeId = await createStore(kms, cluster, "in-use-store");
    await connect(account, kms, storeId);
  });
  afterAll(() => account.stop());

  const alerts = async () =>
    (await account.events())
      .map((e) => e.event)
      .filter(
        (e) => e.source === "keystore-autopilot" && (e.detail as { type?: string }).type === "KeyPendingDeletionInUse",
      );
  const invocations = async () =>
    (
      await account.control<{ invocations: { event: unknown; result?: unknown; status: string }[] }>(
        "GET",
        `/_local/invocations?function=${USES_FN}`,
      )
    ).invocations;

  it("returns a KeyPendingDeletionInUse alert naming the caller, and leaves the key pending deletion, when a Decrypt is refused", async () => {
    const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata;
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key?.KeyId, Plaintext: Buffer.from("x") }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key?.KeyId, PendingWindowInDays: 7 }));
    // A successful read-only call is delivered to the rule too, but its pattern wants an error: no invocation.
    expect(await invocations()).toHaveLength(0);

    const refused = await failure(kms.send(new DecryptCommand({ CiphertextBlob })));

    expect(refused.name).toBe("KMSInvalidStateException");
    const [alert] = await eventually(alerts, (a) => a.length > 0, "the KeyPendingDeletionInUse alert");
    expect(alert?.detail).toMatchObject({
      type: "KeyPendingDeletionInUse",
      severity: "CRITICAL",
      keyArn: key?.Arn,
      customKeyStoreId: storeId,
      details: {
        caller: "arn:aws:iam::111122223333:user/local",
        operation: "Decrypt",
        errorCode: "KMSInvalidStateException",
        action: "ALERT_ONLY",
      },
    });
    expect(await invocations()).toHaveLength(1);
    // The rule that received it is in the state read-only events need (an ENABLED one would not have).
    const events = new EventBridgeClient({
      endpoint: account.endpoint,
      region: account.region,
      credentials: CREDENTIALS,
    });
    expect((await events.send(new DescribeRuleCommand({ Name: "keystore-autopilot-dev-followUpUses" }))).State).toBe(
      "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
    );
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key?.KeyId }))).KeyMetadata?.KeyState).toBe(
      "PendingDeletion",
    );
  });

  it("returns the key Disabled and no longer pending deletion, and says so in the alert, when its tag asks to cancel on use", async () => {
    const key = (
      await kms.send(
        new CreateKeyCommand({
          Origin: "AWS_CLOUDHSM",
          CustomKeyStoreId: storeId,
          Tags: [{ TagKey: "keystore-autopilot:cancel-deletion-on-use", TagValue: "true" }],
        }),
      )
    ).KeyMetadata;
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key?.KeyId, Plaintext: Buffer.from("x") }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key?.KeyId, PendingWindowInDays: 7 }));

    await failure(kms.send(new DecryptCommand({ CiphertextBlob })));

    const cancelled = await eventually(
      async () => (await alerts()).filter((a) => (a.detail as { keyArn?: string }).keyArn === key?.Arn),
      (a) => a.length > 0,
      "the alert for the tagged key",
    );
    expect(cancelled[0]?.detail).toMatchObject({ details: { action: "DELETION_CANCELLED" } });
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key?.KeyId }))).KeyMetadata?.KeyState).toBe("Disabled");
    // The data is recoverable: enabled again, the key decrypts what it encrypted.
    await kms.send(new EnableKeyCommand({ KeyId: key?.KeyId }));
    const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob }));
    expect(Buffer.from(Plaintext ?? []).toString()).toBe("x");
  });
});
