import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DecryptCommand,
  EnableKeyCommand,
  EncryptCommand,
  type KeyMetadata,
  type KMSClient,
  ScheduleKeyDeletionCommand,
  UpdateCustomKeyStoreCommand,
} from "@aws-sdk/client-kms";
import { connect, createStore, disconnect, eventsAfter, patientKms, seedCluster } from "../../local/account/driver";
import { LocalAccountProcess } from "../../local/account/process";
import { awsFixture, shapeDifferences, wrapCloudTrail } from "../support/aws-fixtures";

type Event = Record<string, unknown> & { detail: Record<string, unknown> };

/**
 * Differences from AWS's examples the documentation itself explains; anything else in the local records is a bug.
 * - `managementEvent`, `eventCategory`: the local account writes eventVersion 1.08, whose examples carry both
 *   (ct-schedule-key-deletion, ct-delete-key); the older examples (1.05, and the key store pages) predate them.
 * - DeleteKey's `responseElements`: "CloudTrail log entries for this operation recorded on or after December 2022
 *   include the key ARN of the affected KMS key in the responseElements.keyId value" (ct-delete-key), while both of
 *   the page's examples still show null.
 */
const EXTRA_FIELDS = new Set(["managementEvent", "eventCategory"]);
const DELETE_KEY_RESPONSE = new Set(["responseElements", "responseElements.keyId"]);

/** Paths whose presence or JSON type differ between the local record and AWS's example. */
const differences = (local: unknown, documented: unknown, allowed: Set<string> = new Set()) =>
  shapeDifferences(local, documented, allowed, (path, _ours, theirs) => EXTRA_FIELDS.has(path) && theirs === undefined);

describe("the local account's KMS records against AWS's documented examples", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  const seen: Event[] = [];

  /** One KMS flow through every operation the product reacts to, in a CloudHSM key store. */
  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    kms = patientKms(account);
    const cluster = await seedCluster(account);
    const storeId = await createStore(kms, cluster, "contract-store");
    await connect(account, kms, storeId);
    const key = (await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId })))
      .KeyMetadata as KeyMetadata;
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.Arn, PendingWindowInDays: 30 }));
    await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    const context = { Department: "Development", Purpose: "Test" };
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), EncryptionContext: context }),
    );
    await kms.send(new DecryptCommand({ KeyId: key.Arn, CiphertextBlob, EncryptionContext: context }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.Arn, PendingWindowInDays: 7 }));
    // Refused: the key is pending deletion (with the failure example's context, whose keys the shapes compare).
    const failureContext = { Department: "Engineering", Project: "Alpha" };
    await kms
      .send(new DecryptCommand({ KeyId: key.Arn, CiphertextBlob, EncryptionContext: failureContext }))
      .catch(() => {});
    await account.advance("8d");
    await disconnect(account, kms, storeId);
    await kms.send(
      new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, CloudHsmClusterId: cluster.clusterId }),
    );
    seen.push(...((await eventsAfter(account, 0)) as Event[]));
  }, 120_000);
  afterAll(() => account.stop());

  /**
   * The last record of an operation (the flow schedules deletion twice; the second one runs to DeleteKey), or of its
   * successful or refused calls.
   */
  const record = (eventName: string, outcome?: "succeeded" | "refused"): Event => {
    const found = seen
      .filter((e) => e.detail.eventName === eventName)
      .filter((e) => outcome === undefined || (outcome === "refused") === "errorCode" in e.detail)
      .at(-1);
    if (!found) throw new Error(`the local account logged no ${eventName}`);
    return found;
  };

  it.each([
    ["CreateCustomKeyStore", "cloudtrail-create-custom-key-store"],
    ["ConnectCustomKeyStore", "cloudtrail-connect-custom-key-store"],
    ["DisconnectCustomKeyStore", "cloudtrail-disconnect-custom-key-store"],
    ["UpdateCustomKeyStore", "cloudtrail-update-custom-key-store"],
    ["CreateKey", "cloudtrail-create-key-cloudhsm"],
    ["ScheduleKeyDeletion", "cloudtrail-schedule-key-deletion-cloudhsm"],
    ["CancelKeyDeletion", "cloudtrail-cancel-key-deletion"],
  ])("returns the documented fields and types when the local account logs %s", (eventName, fixture) => {
    const local = record(eventName);
    const documented = wrapCloudTrail(awsFixture(fixture));

    expect(differences(local.detail, documented.detail)).toEqual([]);
    expect(differences({ ...local, detail: {} }, { ...documented, detail: {} })).toEqual([]);
    expect(local["detail-type"]).toBe("AWS API Call via CloudTrail");
  });

  it("returns the documented fields and types when the local account logs a Decrypt with a key in its key store", () => {
    const local = record("Decrypt", "succeeded");
    const documented = wrapCloudTrail(awsFixture("cloudtrail-decrypt-cloudhsm"));

    // The page's example has no userAgent, which every other example (and every CloudTrail record) carries.
    expect(differences(local.detail, documented.detail, new Set(["userAgent"]))).toEqual([]);
    expect(local.detail.readOnly).toBe(true);
  });

  it("returns the documented fields and types when the local account logs a Decrypt it refused", () => {
    const local = record("Decrypt", "refused");
    const documented = wrapCloudTrail(awsFixture("cloudtrail-decrypt-failure"));

    // A key in a custom key store adds additionalEventData (ct-decrypt-hsm); the failure example's key is not in one.
    expect(
      differences(
        local.detail,
        documented.detail,
        new Set(["additionalEventData", "additionalEventData.customKeyStoreId"]),
      ),
    ).toEqual([]);
    expect(local.detail).toMatchObject({
      errorCode: "KMSInvalidStateException",
      readOnly: true,
      responseElements: null,
    });
  });

  it("returns the documented fields and types, the ARN also in resources, when the local account logs DeleteKey", () => {
    const local = record("DeleteKey");
    const documented = wrapCloudTrail(awsFixture("cloudtrail-delete-key-cloudhsm"));

    expect(differences(local.detail, documented.detail, DELETE_KEY_RESPONSE)).toEqual([]);
    expect(local["detail-type"]).toBe("AWS Service Event via CloudTrail");
    expect((local.detail.resources as { ARN: string }[])[0]?.ARN).toBe(
      (local.detail.responseElements as { keyId: string }).keyId,
    );
  });

  it("returns the documented envelope and detail when the local account sends KMS CMK Deletion", () => {
    const local = seen.find((e) => e["detail-type"] === "KMS CMK Deletion");

    expect(differences(local, awsFixture("eventbridge-kms-cmk-deletion"))).toEqual([]);
  });
});
