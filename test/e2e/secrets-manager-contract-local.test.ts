import { LocalAccountProcess } from "../../local/account/process";
import { awsFixture, rawJsonCall, shapeDifferences } from "../support/aws-fixtures";

/**
 * The local account's Secrets Manager answers against the ones AWS documents (test/events/aws/secretsmanager-*.json,
 * SOURCES.md): the same fields, recursively, with the same JSON types, as the wire carries them. Each allowed
 * difference names why; anything else is a bug in the local account.
 */

/**
 * Fields of the documented DescribeSecret that AWS sends only for what the local account does not model and the
 * product does not use (API_DescribeSecret): rotation (`RotationEnabled`, `RotationLambdaARN`, `RotationRules`,
 * `LastRotatedDate`), replication (`PrimaryRegion`, `ReplicationStatus`), tags, and `LastAccessedDate`, "omitted if
 * the secret has never been retrieved" and not tracked locally. ListSecretVersionIds' `LastAccessedDate` likewise.
 * ListSecrets' `CreatedDate` and `Description` (printed by list-secrets Example 3, left out of Example 1) and
 * `KmsKeyId` (a member of API_SecretListEntry): sent when the secret has them.
 */
const DESCRIBE_OPTIONAL = new Set([
  "RotationEnabled",
  "RotationLambdaARN",
  "RotationRules",
  "RotationRules.AutomaticallyAfterDays",
  "RotationRules.Duration",
  "RotationRules.ScheduleExpression",
  "LastRotatedDate",
  "LastAccessedDate",
  "Tags",
  "Tags[]",
  "Tags[].Key",
  "Tags[].Value",
  "PrimaryRegion",
  "ReplicationStatus",
  "ReplicationStatus[]",
  "ReplicationStatus[].Region",
  "ReplicationStatus[].KmsKeyId",
  "ReplicationStatus[].Status",
  "ReplicationStatus[].StatusMessage",
]);
const VERSIONS_OPTIONAL = new Set(["Versions[].LastAccessedDate"]);
const LIST_OPTIONAL = new Set(["SecretList[].CreatedDate", "SecretList[].Description", "SecretList[].KmsKeyId"]);

/** Version ids and staging labels are data, not fields: compared as one entry. */
function oneEntry(value: Record<string, unknown>, field: string): Record<string, unknown> {
  const first = Object.values((value[field] ?? {}) as Record<string, unknown>)[0];
  return { ...value, [field]: first === undefined ? {} : { id: first } };
}

const differences = shapeDifferences;

describe("the local account's Secrets Manager answers against AWS's documented ones", () => {
  let account: LocalAccountProcess;
  const answers: Record<string, Record<string, unknown>> = {};
  const V1 = "a1b2c3d4-5678-40ab-8def-000000011111";
  const V2 = "a1b2c3d4-5678-40ab-8def-000000022222";

  const raw = (operation: string, body: unknown) => rawJsonCall(account.endpoint, `secretsmanager.${operation}`, body);

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    const name = "MyTestSecret";
    answers.CreateSecret = await raw("CreateSecret", {
      Name: name,
      Description: "My test secret",
      KmsKeyId: "alias/aws/secretsmanager",
      SecretString: "first",
      ClientRequestToken: V1,
    });
    answers.PutSecretValue = await raw("PutSecretValue", {
      SecretId: name,
      SecretString: "second",
      ClientRequestToken: V2,
    });
    answers.GetSecretValue = await raw("GetSecretValue", { SecretId: name });
    answers.UpdateSecretVersionStage = await raw("UpdateSecretVersionStage", {
      SecretId: name,
      VersionStage: "AWSPENDING",
      MoveToVersionId: V2,
    });
    answers.PutResourcePolicy = await raw("PutResourcePolicy", {
      SecretId: name,
      ResourcePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [] }),
      BlockPublicPolicy: true,
    });
    answers.DescribeSecret = await raw("DescribeSecret", { SecretId: name });
    await raw("CreateSecret", { Name: "AnotherSecret", SecretString: "other" });
    answers.ListSecrets = await raw("ListSecrets", {});
    answers.ListSecretVersionIds = await raw("ListSecretVersionIds", { SecretId: name, IncludeDeprecated: true });
  });
  afterAll(() => account?.stop());

  it.each(["CreateSecret", "PutSecretValue", "GetSecretValue", "UpdateSecretVersionStage", "PutResourcePolicy"])(
    "returns the documented fields and types when %s is called",
    (operation) => {
      const file = operation.replace(/[A-Z]/g, (c, at) => `${at ? "-" : ""}${c.toLowerCase()}`);

      expect(differences(answers[operation], awsFixture(`secretsmanager-${file}`))).toEqual([]);
    },
  );

  it("returns the documented fields and types when DescribeSecret describes a secret", () => {
    const local = oneEntry(answers.DescribeSecret ?? {}, "VersionIdsToStages");
    const documented = oneEntry(awsFixture("secretsmanager-describe-secret"), "VersionIdsToStages");

    expect(differences(local, documented, DESCRIBE_OPTIONAL)).toEqual([]);
  });

  it("returns the documented fields and types when ListSecrets lists the secrets", () => {
    const entries = (answers.ListSecrets?.SecretList ?? []) as Record<string, unknown>[];
    const local = { ...answers.ListSecrets, SecretList: entries.map((e) => oneEntry(e, "SecretVersionsToStages")) };
    const listed = awsFixture("secretsmanager-list-secrets");
    const documented = {
      ...listed,
      SecretList: (listed.SecretList as Record<string, unknown>[]).map((e) => oneEntry(e, "SecretVersionsToStages")),
    };

    expect(differences(local, documented, LIST_OPTIONAL)).toEqual([]);
    expect(entries.map((e) => e.Name)).toEqual(["MyTestSecret", "AnotherSecret"]);
  });

  it("returns the documented fields and types, and a labelled version first, when ListSecretVersionIds lists versions", () => {
    expect(
      differences(
        answers.ListSecretVersionIds,
        awsFixture("secretsmanager-list-secret-version-ids"),
        VERSIONS_OPTIONAL,
      ),
    ).toEqual([]);
  });
});
