import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutResourcePolicyCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { SecretsManagerStore } from "../../../../src/adapters/secrets-store";
import { readSecretAccess, secretResourcePolicy } from "../../../../src/secret-policy";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const STAGE = "arn:aws:iam::111122223333:role/stack-ConnectStagePasswordRole-AAAA";
const TELL = "arn:aws:iam::111122223333:role/stack-ConnectTellKmsRole-BBBB";
const OPERATOR = "arn:aws:iam::111122223333:role/operators";
const NAME = "keystore-autopilot/kmsuser/cks-1234567890abcdef0";
const ARN = `arn:aws:secretsmanager:us-east-1:111122223333:secret:${NAME}-AbCdEf`;
const access = { byKind: { kmsuser: [STAGE, TELL] }, operators: [OPERATOR] };

const sm = mockClient(SecretsManagerClient);
const notFound = () => new ResourceNotFoundException({ message: "not found", $metadata: {} });

describe("secret resource policy", () => {
  it("returns a deny of reading and writing the value to every principal but the kind's roles and the operators", () => {
    const policy = JSON.parse(secretResourcePolicy("kmsuser", access));

    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "OnlyTheRolesOfThisKind",
          Effect: "Deny",
          Principal: "*",
          Action: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
          Resource: "*",
          Condition: { ArnNotLike: { "aws:PrincipalArn": [OPERATOR, STAGE, TELL] } },
        },
      ],
    });
  });

  it("throws SecretAccessMissingError when no role is configured for the kind", () => {
    expect(() => secretResourcePolicy("admin", access)).toThrow(
      expect.objectContaining({ name: "SecretAccessMissingError", message: expect.stringContaining("admin") }),
    );
  });

  it("returns the kinds' roles and the operators from the environment, and refuses a kind it does not know", () => {
    expect(
      readSecretAccess({
        SECRET_PRINCIPALS: JSON.stringify({ kmsuser: [STAGE] }),
        OPERATOR_PRINCIPAL_ARNS: ` ${OPERATOR} ,`,
      }),
    ).toEqual({ byKind: { kmsuser: [STAGE] }, operators: [OPERATOR] });
    expect(() =>
      readSecretAccess({ SECRET_PRINCIPALS: JSON.stringify({ other: [STAGE] }), OPERATOR_PRINCIPAL_ARNS: "" }),
    ).toThrow(/SECRET_PRINCIPALS/);
  });
});

describe("SecretsManagerStore.ensure", () => {
  beforeEach(() => sm.reset());

  it("creates the secret under the stack's key and attaches its kind's policy with BlockPublicPolicy", async () => {
    sm.on(DescribeSecretCommand).rejects(notFound());
    sm.on(CreateSecretCommand).resolves({ ARN });
    sm.on(PutResourcePolicyCommand).resolves({ ARN });
    const store = new SecretsManagerStore(new SecretsManagerClient({ region: "us-east-1" }), { kmsKeyId: KEY, access });

    const arn = await store.ensure(NAME, "kmsuser password");

    expect(arn).toBe(ARN);
    expect(sm.commandCalls(CreateSecretCommand)[0]?.args[0].input).toEqual({
      Name: NAME,
      Description: "kmsuser password",
      KmsKeyId: KEY,
    });
    expect(sm.commandCalls(PutResourcePolicyCommand)[0]?.args[0].input).toEqual({
      SecretId: ARN,
      ResourcePolicy: secretResourcePolicy("kmsuser", access),
      BlockPublicPolicy: true,
    });
  });

  it("attaches the policy again when the secret exists, so a retry after a lost answer converges", async () => {
    sm.on(DescribeSecretCommand).resolves({ ARN });
    sm.on(PutResourcePolicyCommand).resolves({ ARN });
    const store = new SecretsManagerStore(new SecretsManagerClient({ region: "us-east-1" }), { kmsKeyId: KEY, access });

    await store.ensure(NAME, "kmsuser password");

    expect(sm.commandCalls(CreateSecretCommand)).toHaveLength(0);
    expect(sm.commandCalls(PutResourcePolicyCommand)).toHaveLength(1);
  });

  it("throws naming the setting and creates nothing when the key or the kind's roles are not configured", async () => {
    sm.on(DescribeSecretCommand).rejects(notFound());
    const client = new SecretsManagerClient({ region: "us-east-1" });

    await expect(new SecretsManagerStore(client, { access }).ensure(NAME, "d")).rejects.toThrow(
      "Missing configuration: SECRETS_KMS_KEY_ARN",
    );
    await expect(
      new SecretsManagerStore(client, { kmsKeyId: KEY, access: { byKind: {}, operators: [] } }).ensure(NAME, "d"),
    ).rejects.toThrow(/SECRET_PRINCIPALS/);
    expect(sm.calls()).toHaveLength(0);
  });
});
