import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeKeyCommand, KMSClient, NotFoundException } from "@aws-sdk/client-kms";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import type { CloudHsmPort } from "../../../../../src/adapters/clients/types";
import { CloudHsmClusters } from "../../../../../src/adapters/clusters";
import { KmsKeyStores } from "../../../../../src/adapters/key-stores";
import { DynamoOrphanRegister } from "../../../../../src/adapters/orphan-register";
import { DynamoProofs } from "../../../../../src/adapters/proofs";
import type { Orphan } from "../../../../../src/ports/orphan-register";
import { checkFollowUp } from "../../../../../src/workflows/deletion-follow-up/check";
import {
  DeletionStatusPendingError,
  KeyNotYetDeletedError,
} from "../../../../../src/workflows/deletion-follow-up/errors";
import { recordFollowUp } from "../../../../../src/workflows/deletion-follow-up/record";

const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
const kms = mockClient(KMSClient);
const ddb = mockClient(DynamoDBDocumentClient);
// client-cloudhsm-v2 3.332's types predate aws-sdk-client-mock's; a hand-made port answers the two calls instead.
const hsmSend = jest.fn(async (command: unknown) =>
  command instanceof DescribeClustersCommand
    ? { Clusters: [{ ClusterId: "cluster-jxhlf7644ne", BackupRetentionPolicy: { Type: "DAYS", Value: "90" } }] }
    : {
        Backups: [
          { BackupId: "backup-old", BackupState: "READY", CreateTimestamp: new Date("2026-10-01T00:00:00Z") },
          { BackupId: "backup-1", BackupState: "READY", CreateTimestamp: new Date("2026-11-02T00:00:00Z") },
          {
            BackupId: "backup-2",
            BackupState: "READY",
            CreateTimestamp: new Date("2026-11-03T00:00:00Z"),
            NeverExpires: true,
          },
        ],
      },
);
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const deps = {
  keyStores: new KmsKeyStores(new KMSClient({ region: "us-east-1" })),
  clusters: new CloudHsmClusters({ send: hsmSend } as unknown as CloudHsmPort),
  orphans: new DynamoOrphanRegister(db, "orphans"),
  proofs: new DynamoProofs(db, "orphans"),
  auditLog: { keyDeletions: async () => ({ status: "READ" as const, records: [], truncated: false }) },
  region: "us-east-1",
  copyRegions: [],
  now: () => new Date("2026-12-02T00:00:00Z"),
};
const record = {
  keyArn: KEY_ARN,
  customKeyStoreId: "cks-1234567890abcdef0",
  clusterId: "cluster-jxhlf7644ne",
  backingKeyId: "bk-1",
  deletionDate: "2026-11-30T23:25:25.000Z",
  keyCreatedAt: "2026-11-01T00:00:00.000Z",
};
const gone = () => kms.on(DescribeKeyCommand).rejects(new NotFoundException({ message: "gone", $metadata: {} }));
/** The register answers the key's deletion status with `item`, and has nothing else yet. */
const deletionStatus = (item: Record<string, unknown>) => {
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: `STATUS#${KEY_ARN}` } }).resolves({ Item: item });
  ddb.on(PutCommand).resolves({});
};
/** The items written, by the kind of record (`ORPHAN`, `PROOF`). */
const written = (kind: string) =>
  ddb
    .commandCalls(PutCommand)
    .map((call) => call.args[0].input.Item ?? {})
    .filter((item) => String(item.pk).startsWith(`${kind}#`));

beforeEach(() => {
  kms.reset();
  ddb.reset();
  hsmSend.mockClear();
});

describe("DynamoOrphanRegister.register", () => {
  const orphan: Orphan = {
    keyArn: KEY_ARN,
    customKeyStoreId: "cks-1234567890abcdef0",
    status: "FAILURE",
    foundAt: "2026-12-02T00:00:00.000Z",
    followUp: "followup-a",
  };

  it("returns the orphan and writes it only if absent or its own when no orphan is registered", async () => {
    ddb.on(PutCommand).resolves({});

    expect(await deps.orphans.register(orphan)).toEqual(orphan);
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe("attribute_not_exists(pk) OR followUp = :me");
    expect(put?.Item).toMatchObject({ pk: `ORPHAN#${KEY_ARN}`, kind: "orphan", status: "FAILURE" });
  });

  it("returns the other follow-up's record untouched when it registered the orphan first", async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: "no", $metadata: {} }));
    ddb
      .on(GetCommand)
      .resolves({ Item: { pk: `ORPHAN#${KEY_ARN}`, kind: "orphan", ...orphan, followUp: "followup-b" } });

    expect(await deps.orphans.register(orphan)).toEqual({ ...orphan, followUp: "followup-b" });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });
});

describe("recordFollowUp", () => {
  const input = {
    keyArn: KEY_ARN,
    customKeyStoreId: "cks-1234567890abcdef0",
    deletionDate: "2026-11-30T23:25:25.000Z",
  };

  it("returns PENDING_DELETION checking 24 hours after DescribeKey's DeletionDate when the key is pending", async () => {
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: "k",
        KeyState: "PendingDeletion",
        DeletionDate: new Date("2026-11-30T23:25:25Z"),
        CustomKeyStoreId: "cks-1234567890abcdef0",
        CloudHsmClusterId: "cluster-jxhlf7644ne",
        CreationDate: new Date("2026-11-01T00:00:00Z"),
      },
    });

    expect(await recordFollowUp(deps.keyStores, input)).toMatchObject({
      state: "PENDING_DELETION",
      clusterId: "cluster-jxhlf7644ne",
      checkAfter: "2026-12-01T23:25:25.000Z",
      keyCreatedAt: "2026-11-01T00:00:00.000Z",
    });
  });

  it("returns SUPERSEDED when the key is pending with another deletion date", async () => {
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: { KeyId: "k", KeyState: "PendingDeletion", DeletionDate: new Date("2026-12-20T00:00:00Z") },
    });

    expect((await recordFollowUp(deps.keyStores, input)).state).toBe("SUPERSEDED");
  });

  it("returns CANCELLED when the key is no longer pending deletion", async () => {
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: "k", KeyState: "Disabled" } });

    expect((await recordFollowUp(deps.keyStores, input)).state).toBe("CANCELLED");
  });
});

describe("checkFollowUp", () => {
  it("returns MATERIAL_DELETED with the backups taken while the key existed when DeleteKey reported SUCCESS", async () => {
    gone();
    deletionStatus({ keyArn: KEY_ARN, backingKeysDeletionStatus: "SUCCESS" });

    const out = await checkFollowUp(deps, { record, executionName: "followup-a" });

    expect(out).toMatchObject({ result: "MATERIAL_DELETED", deletionStatus: "SUCCESS", backupsHoldingMaterial: 2 });
    expect(out).toMatchObject({
      proofStatus: "OPEN",
      backups: [
        { backupId: "backup-1", expiresAt: "2027-01-31T00:00:00.000Z", neverExpires: false },
        { backupId: "backup-2", neverExpires: true },
      ],
    });
    expect(written("ORPHAN")).toHaveLength(0);
    expect(written("PROOF")).toEqual([
      expect.objectContaining({
        keyArn: KEY_ARN,
        status: "OPEN",
        proofOpen: "OPEN",
        openedBy: "followup-a",
        version: 1,
      }),
    ]);
  });

  it("returns only the backups taken before the material's deletion (within the margin) when DeleteKey reported SUCCESS", async () => {
    gone();
    // backup-1 is 30 minutes before the DeleteKey record's time, backup-2 the next day, after the material was gone.
    deletionStatus({ keyArn: KEY_ARN, backingKeysDeletionStatus: "SUCCESS", deleteKeyEventAt: "2026-11-02T00:30:00Z" });

    const out = await checkFollowUp(deps, { record, executionName: "followup-a" });

    expect(out).toMatchObject({
      result: "MATERIAL_DELETED",
      backupsHoldingMaterial: 1,
      backups: [{ backupId: "backup-1" }],
    });
  });

  it("returns every backup since the key's creation for an orphan, whose material is still in the cluster", async () => {
    gone();
    deletionStatus({ keyArn: KEY_ARN, backingKeysDeletionStatus: "FAILURE", deleteKeyEventAt: "2026-11-02T00:30:00Z" });

    const out = await checkFollowUp(deps, { record, executionName: "followup-a" });

    expect(out).toMatchObject({ result: "ORPHAN_REGISTERED", backupsHoldingMaterial: 2 });
  });

  it("throws DeletionStatusPendingError and registers nothing when no status arrived yet", async () => {
    gone();
    ddb.on(GetCommand).resolves({});

    await expect(checkFollowUp(deps, { record, executionName: "followup-a" })).rejects.toBeInstanceOf(
      DeletionStatusPendingError,
    );
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("returns an UNVERIFIED orphan, never a guessed deletion, when no status arrived and unverified is accepted", async () => {
    gone();
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    const out = await checkFollowUp(deps, { record, executionName: "followup-a", acceptUnverified: true });

    expect(out).toMatchObject({
      result: "ORPHAN_REGISTERED",
      deletionStatus: "UNVERIFIED",
      orphanStatus: "UNVERIFIED",
    });
    expect(written("ORPHAN")[0]).toMatchObject({
      keyArn: KEY_ARN,
      backingKeyId: "bk-1",
      status: "UNVERIFIED",
      followUp: "followup-a",
      foundAt: "2026-12-02T00:00:00.000Z",
    });
  });

  it("throws KeyNotYetDeletedError when KMS still has the key pending with the same date", async () => {
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: { KeyId: "k", KeyState: "PendingDeletion", DeletionDate: new Date(record.deletionDate) },
    });

    await expect(checkFollowUp(deps, { record, executionName: "followup-a" })).rejects.toBeInstanceOf(
      KeyNotYetDeletedError,
    );
  });

  it("returns CANCELLED when the key was cancelled and the Cancel event was missed", async () => {
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: "k", KeyState: "Disabled" } });

    expect(await checkFollowUp(deps, { record, executionName: "followup-a" })).toEqual({
      result: "CANCELLED",
      keyArn: KEY_ARN,
    });
  });
});
