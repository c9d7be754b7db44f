import {
  CancelKeyDeletionCommand,
  KMSClient,
  KMSInvalidStateException,
  ListResourceTagsCommand,
} from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { KmsKeyStores } from "../../../../../src/adapters/key-stores";
import type { Alert } from "../../../../../src/ports/alerts";
import type { KeyUse } from "../../../../../src/ports/retirements";
import { InvalidInputError } from "../../../../../src/validation";
import { handleRefusedUse, type UseDeps } from "../../../../../src/workflows/deletion-follow-up/uses";
import { awsFixture, wrapCloudTrail } from "../../../../support/aws-fixtures";

const ACCOUNT = "111122223333";
const KEY_ARN = `arn:aws:kms:us-west-2:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const CKS = "cks-1234567890abcdef0";
const kms = mockClient(KMSClient);

/**
 * AWS's Decrypt example for a key in a CloudHSM key store (ct-decrypt), refused as KMS refuses a key pending deletion
 * (key-state, Table details [2] and [3]).
 */
function refused(
  errorCode = "KMSInvalidStateException",
  message = `${KEY_ARN} is pending deletion (or pending replica deletion).`,
) {
  const event = wrapCloudTrail(awsFixture("cloudtrail-decrypt-cloudhsm"));
  Object.assign(event.detail as object, { errorCode, errorMessage: message });
  return event;
}

function deps(
  cancelOnUse: UseDeps["cancelOnUse"] = () => false,
  retiring: "recorded" | "not-retiring" = "not-retiring",
) {
  const published: Alert[] = [];
  const uses: [string, KeyUse][] = [];
  return {
    published,
    uses,
    deps: {
      alerts: { publish: async (a: Alert) => void published.push(a), requestSignature: async () => {} },
      keyStores: new KmsKeyStores(new KMSClient({ region: "us-west-2" })),
      retirements: {
        recordUse: async (keyArn: string, use: KeyUse) => {
          uses.push([keyArn, use]);
          return retiring;
        },
      },
      cancelOnUse,
      accountId: ACCOUNT,
    } satisfies UseDeps,
  };
}

beforeEach(() => {
  kms.reset();
  kms.on(ListResourceTagsCommand).resolves({ Tags: [], Truncated: false });
});

/** The calls that change something: reading the key's tags changes nothing. */
const writes = () => kms.calls().filter((c) => !(c.args[0] instanceof ListResourceTagsCommand));

describe("handleRefusedUse", () => {
  it.each(["KMSInvalidStateException", "DisabledException"])(
    "returns alerted with the caller and changes nothing when a %s for a key pending deletion arrives",
    async (code) => {
      const { deps: d, published } = deps();

      const out = await handleRefusedUse(d, refused(code));

      expect(out).toEqual({ outcome: "alerted", keyArn: KEY_ARN, action: "ALERT_ONLY" });
      expect(published).toEqual([
        expect.objectContaining({
          type: "KeyPendingDeletionInUse",
          severity: "CRITICAL",
          keyArn: KEY_ARN,
          customKeyStoreId: CKS,
          details: expect.objectContaining({
            caller: `arn:aws:iam::${ACCOUNT}:user/Alice`,
            operation: "Decrypt",
            errorCode: code,
            action: "ALERT_ONLY",
            eventId: "a79603d5-4cde-46fc-819c-a7cf547b9df4",
          }),
        }),
      ]);
      expect(published[0]?.message).toContain(`aws kms cancel-key-deletion --key-id ${KEY_ARN}`);
      expect(writes()).toHaveLength(0);
    },
  );

  it("returns DELETION_CANCELLED and says the key stays Disabled when the key store asks for cancellation", async () => {
    kms.on(CancelKeyDeletionCommand).resolves({ KeyId: KEY_ARN });
    const { deps: d, published } = deps((id) => id === CKS);

    const out = await handleRefusedUse(d, refused());

    expect(out).toMatchObject({ action: "DELETION_CANCELLED" });
    expect(kms.commandCalls(CancelKeyDeletionCommand)[0]?.args[0].input).toEqual({ KeyId: KEY_ARN });
    expect(published[0]?.message).toContain("its deletion is cancelled and it stays Disabled");
  });

  it("returns DELETION_CANCELLED when the key's own tag asks for it, its store not listed", async () => {
    kms.on(ListResourceTagsCommand).resolves({
      Tags: [{ TagKey: "keystore-autopilot:cancel-deletion-on-use", TagValue: "true" }],
      Truncated: false,
    });
    kms.on(CancelKeyDeletionCommand).resolves({ KeyId: KEY_ARN });
    const { deps: d } = deps(() => false);

    expect(await handleRefusedUse(d, refused())).toMatchObject({ action: "DELETION_CANCELLED" });
    expect(kms.commandCalls(CancelKeyDeletionCommand)).toHaveLength(1);
  });

  it("returns NOT_PENDING, and still alerts, when a retry finds the deletion already cancelled", async () => {
    kms.on(CancelKeyDeletionCommand).rejects(
      new KMSInvalidStateException({
        message: `${KEY_ARN} is not pending deletion (or pending replica deletion).`,
        $metadata: {},
      }),
    );
    const { deps: d, published } = deps(() => true);

    expect(await handleRefusedUse(d, refused())).toMatchObject({ action: "NOT_PENDING" });
    expect(published).toHaveLength(1);
  });

  it("throws the KMS error, and publishes nothing, when the cancellation fails for another reason (the event is retried)", async () => {
    kms
      .on(CancelKeyDeletionCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    const { deps: d, published } = deps(() => true);

    await expect(handleRefusedUse(d, refused())).rejects.toMatchObject({ name: "ThrottlingException" });
    expect(published).toHaveLength(0);
  });

  it("returns recorded, with the caller and the event id, when a disabled key in its retirement's probation is used", async () => {
    const { deps: d, published, uses } = deps(() => true, "recorded");

    const out = await handleRefusedUse(d, refused("DisabledException", `${KEY_ARN} is disabled.`));

    expect(out).toEqual({ outcome: "recorded", keyArn: KEY_ARN });
    expect(uses).toEqual([
      [
        KEY_ARN,
        {
          eventId: "a79603d5-4cde-46fc-819c-a7cf547b9df4",
          caller: `arn:aws:iam::${ACCOUNT}:user/Alice`,
          operation: "Decrypt",
          at: "2021-10-26T23:41:27Z",
          sourceIPAddress: "192.0.2.0",
        },
      ],
    ]);
    expect(published).toHaveLength(0);
    expect(writes()).toHaveLength(0);
  });

  it.each([
    ["a disabled key outside any retirement", "DisabledException", `${KEY_ARN} is disabled.`],
    ["an unavailable key", "KMSInvalidStateException", `${KEY_ARN} is unavailable.`],
  ])("returns ignored and publishes nothing for %s", async (_what, code, message) => {
    const { deps: d, published } = deps(() => true);

    expect(await handleRefusedUse(d, refused(code, message))).toMatchObject({ outcome: "ignored" });
    expect(published).toHaveLength(0);
    expect(writes()).toHaveLength(0);
  });

  it("returns ignored for a key of the default key store (no customKeyStoreId in the record)", async () => {
    const event = refused();
    delete (event.detail as { additionalEventData?: unknown }).additionalEventData;
    const { deps: d, published } = deps();

    expect(await handleRefusedUse(d, event)).toEqual({ outcome: "ignored", reason: "not a key of a custom key store" });
    expect(published).toHaveLength(0);
  });

  it("names the caller by its principal id when the record has no ARN, and alerts all the same", async () => {
    const event = refused();
    (event.detail as { userIdentity: Record<string, unknown> }).userIdentity = { principalId: "AROAEXAMPLE:app" };
    const { deps: d, published } = deps();

    await handleRefusedUse(d, event);

    expect(published[0]?.details).toMatchObject({ caller: "AROAEXAMPLE:app" });
  });

  it.each([
    [
      "no key in resources or request",
      (e: Record<string, unknown>) => {
        delete e.resources;
        delete (e.requestParameters as Record<string, unknown>).keyId;
      },
      "detail.resources",
    ],
    [
      "a key of another account",
      (e: Record<string, unknown>) => {
        const other = KEY_ARN.replace(ACCOUNT, "444455556666");
        e.resources = [{ ARN: other }];
      },
      "detail.resources",
    ],
  ])("throws InvalidInputError naming the field and publishes nothing for %s", async (_what, edit, field) => {
    const event = refused();
    edit(event.detail as Record<string, unknown>);
    const { deps: d, published } = deps(() => true);

    const error = await handleRefusedUse(d, event).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field });
    expect(published).toHaveLength(0);
    expect(writes()).toHaveLength(0);
  });
});
