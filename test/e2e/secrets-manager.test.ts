import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  paginateListSecrets,
  paginateListSecretVersionIds,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";
import { SecretsManagerStore } from "../../src/adapters/secrets-store";
import { secretResourcePolicy } from "../../src/secret-policy";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const CREATION = {
  kmsKeyId: KEY,
  access: { byKind: { kmsuser: ["arn:aws:iam::111122223333:role/reader"] }, operators: [] },
};

const V1 = "11111111-1111-4111-8111-111111111111";
const V2 = "22222222-2222-4222-8222-222222222222";

/** The local account's Secrets Manager subset, through the real SDK. */
describe("local Secrets Manager", () => {
  let account: LocalAccountProcess;
  let sm: SecretsManagerClient;

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    sm = new SecretsManagerClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS });
  });
  afterAll(() => account.stop());

  it("returns AWSCURRENT, AWSPENDING and AWSPREVIOUS with AWS's semantics when versions are written and promoted", async () => {
    const created = await sm.send(
      new CreateSecretCommand({ Name: "keystore-autopilot/t1/kmsuser", SecretString: "first", ClientRequestToken: V1 }),
    );
    await sm.send(
      new PutSecretValueCommand({
        SecretId: created.ARN,
        SecretString: "second",
        ClientRequestToken: V2,
        VersionStages: ["AWSPENDING"],
      }),
    );

    const pending = await sm.send(
      new GetSecretValueCommand({ SecretId: "keystore-autopilot/t1/kmsuser", VersionStage: "AWSPENDING" }),
    );
    const currentBefore = await sm.send(new GetSecretValueCommand({ SecretId: "keystore-autopilot/t1/kmsuser" }));
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: "keystore-autopilot/t1/kmsuser",
        VersionStage: "AWSCURRENT",
        MoveToVersionId: V2,
        RemoveFromVersionId: V1,
      }),
    );
    const described = await sm.send(new DescribeSecretCommand({ SecretId: "keystore-autopilot/t1/kmsuser" }));

    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:111122223333:secret:keystore-autopilot\/t1\/kmsuser-\w{6}$/,
    );
    expect(pending).toMatchObject({ SecretString: "second", VersionId: V2, VersionStages: ["AWSPENDING"] });
    expect(currentBefore).toMatchObject({ SecretString: "first", VersionId: V1 });
    expect(described.VersionIdsToStages).toEqual({ [V1]: ["AWSPREVIOUS"], [V2]: ["AWSPENDING", "AWSCURRENT"] });
  });

  it("returns the same version for a retried PutSecretValue and ResourceExistsException when the value differs", async () => {
    await sm.send(new CreateSecretCommand({ Name: "keystore-autopilot/t2/kmsuser" }));
    const put = { SecretId: "keystore-autopilot/t2/kmsuser", ClientRequestToken: V1, SecretString: "same" };
    const first = await sm.send(new PutSecretValueCommand(put));

    const again = await sm.send(new PutSecretValueCommand(put));

    expect(again.VersionId).toBe(first.VersionId);
    await expect(sm.send(new PutSecretValueCommand({ ...put, SecretString: "other" }))).rejects.toMatchObject({
      name: "ResourceExistsException",
    });
  });

  it("returns ResourceNotFoundException for a missing secret or stage, and ResourceExistsException for a taken name", async () => {
    await expect(sm.send(new GetSecretValueCommand({ SecretId: "keystore-autopilot/none" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    await expect(
      sm.send(new GetSecretValueCommand({ SecretId: "keystore-autopilot/t2/kmsuser", VersionStage: "AWSPENDING" })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await expect(sm.send(new CreateSecretCommand({ Name: "keystore-autopilot/t2/kmsuser" }))).rejects.toMatchObject({
      name: "ResourceExistsException",
    });
  });

  it("returns values through the Powertools-backed store, fresh after a promotion", async () => {
    const store = new SecretsManagerStore(sm, CREATION);
    const id = await store.ensure("keystore-autopilot/kmsuser/t3", "test");
    await store.put(id, V1, "one", ["AWSCURRENT"]);
    expect(await store.current(id)).toBe("one");
    await store.put(id, V2, "two", ["AWSPENDING"]);

    await store.promote(id, V2);

    expect(await store.current(id)).toBe("two");
    expect(await store.version(id, V1)).toBe("one");
    expect(await store.stages(id)).toEqual({ [V1]: ["AWSPREVIOUS"], [V2]: ["AWSCURRENT"] });
  });

  it("returns the key and the resource policy a secret was created with, as the store creates it", async () => {
    const store = new SecretsManagerStore(sm, CREATION);

    const id = await store.ensure("keystore-autopilot/kmsuser/t4", "test");
    const described = await sm.send(new DescribeSecretCommand({ SecretId: id }));
    const policy = await sm.send(new GetResourcePolicyCommand({ SecretId: id }));

    expect(described.KmsKeyId).toBe(KEY);
    expect(policy.ARN).toBe(id);
    expect(policy.ResourcePolicy).toBe(secretResourcePolicy("kmsuser", CREATION.access));
  });

  it("returns a validation error naming the field for a malformed KmsKeyId or policy, and changes nothing", async () => {
    await expect(
      sm.send(new CreateSecretCommand({ Name: "keystore-autopilot/kmsuser/t5", KmsKeyId: "not a key" })),
    ).rejects.toMatchObject({ message: expect.stringMatching(/kmsKeyId/i) });
    await expect(
      sm.send(new DescribeSecretCommand({ SecretId: "keystore-autopilot/kmsuser/t5" })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await sm.send(new CreateSecretCommand({ Name: "keystore-autopilot/kmsuser/t6", KmsKeyId: "alias/secrets" }));
    await expect(
      sm.send(new PutResourcePolicyCommand({ SecretId: "keystore-autopilot/kmsuser/t6", ResourcePolicy: "{not json" })),
    ).rejects.toMatchObject({ message: expect.stringMatching(/resourcePolicy/i) });
    const policy = await sm.send(new GetResourcePolicyCommand({ SecretId: "keystore-autopilot/kmsuser/t6" }));
    expect(policy.ResourcePolicy).toBeUndefined();
  });

  it("returns no secret value in clear in the data directory, and a 0600 key file, when secrets are stored", async () => {
    await sm.send(
      new CreateSecretCommand({ Name: "keystore-autopilot/t4/admin", SecretString: "Visible0Marker0Value" }),
    );
    await account.stop();
    await account.restart();

    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
      );
    const leaked = files(account.dataDir).filter((f) => readFileSync(f).includes("Visible0Marker0Value"));
    const key = statSync(join(account.dataDir, "secretsmanager", "key"));

    expect(leaked).toEqual([]);
    expect(key.mode & 0o777).toBe(0o600);
    sm = new SecretsManagerClient({ endpoint: account.endpoint, region: "us-east-1", credentials: CREDENTIALS });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: "keystore-autopilot/t4/admin" }))).SecretString).toBe(
      "Visible0Marker0Value",
    );
  });
  it("keeps a version that lost its last staging label as deprecated, listed only with IncludeDeprecated", async () => {
    const name = "keystore-autopilot/t7/kmsuser";
    const [a, b, c] = ["a", "b", "c"].map((x) => `${x.repeat(8)}-aaaa-4aaa-8aaa-${x.repeat(12)}`) as [
      string,
      string,
      string,
    ];
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: "first", ClientRequestToken: a }));
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: "second", ClientRequestToken: b }));
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: "third", ClientRequestToken: c }));

    const labelled = await sm.send(new ListSecretVersionIdsCommand({ SecretId: name }));
    const all = await sm.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }));
    const described = await sm.send(new DescribeSecretCommand({ SecretId: name }));
    const deprecated = await sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: a }));

    expect(labelled.Versions?.map((v) => [v.VersionId, v.VersionStages])).toEqual([
      [b, ["AWSPREVIOUS"]],
      [c, ["AWSCURRENT"]],
    ]);
    expect(all.Versions?.map((v) => [v.VersionId, v.VersionStages])).toEqual([
      [a, undefined],
      [b, ["AWSPREVIOUS"]],
      [c, ["AWSCURRENT"]],
    ]);
    expect(described.VersionIdsToStages).toEqual({ [b]: ["AWSPREVIOUS"], [c]: ["AWSCURRENT"] });
    expect(deprecated.SecretString).toBe("first");
  });

  it("removes the oldest deprecated versions past 100 only once they are a day old, listing every page", async () => {
    const name = "keystore-autopilot/t8/kmsuser";
    const token = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: "v0", ClientRequestToken: token(0) }));
    for (let i = 1; i <= 101; i++) {
      await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: `v${i}`, ClientRequestToken: token(i) }));
    }
    const listAll = async () => {
      const ids: string[] = [];
      const pages = paginateListSecretVersionIds({ client: sm }, { SecretId: name, IncludeDeprecated: true });
      for await (const page of pages) ids.push(...(page.Versions ?? []).map((v) => v.VersionId ?? ""));
      return ids;
    };

    const young = await listAll();
    await account.advance("25h");
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: "v102", ClientRequestToken: token(102) }));
    const aged = await listAll();

    // 102 versions, none a day old: all kept, over two pages of at most 100.
    expect(young).toEqual(Array.from({ length: 102 }, (_, i) => token(i)));
    // 103 versions: the three oldest deprecated ones go, the labelled ones stay.
    expect(aged).toEqual(Array.from({ length: 100 }, (_, i) => token(i + 3)));
    await expect(sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: token(0) }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });

  it("returns the secrets whose name begins with a filter value, page by page, and refuses a foreign NextToken", async () => {
    for (const id of ["l1", "l2", "l3"]) await sm.send(new CreateSecretCommand({ Name: `list-test/${id}` }));
    await sm.send(new CreateSecretCommand({ Name: "List-test/upper" }));

    const names: string[] = [];
    const pages = paginateListSecrets(
      { client: sm, pageSize: 1 },
      { Filters: [{ Key: "name", Values: ["list-test/"] }] },
    );
    let pageCount = 0;
    for await (const page of pages) {
      pageCount++;
      names.push(...(page.SecretList ?? []).map((s) => s.Name ?? ""));
    }
    const negated = await sm.send(
      new ListSecretsCommand({
        Filters: [
          { Key: "name", Values: ["list-test/"] },
          { Key: "name", Values: ["!list-test/l"] },
        ],
      }),
    );

    expect(names).toEqual(["list-test/l1", "list-test/l2", "list-test/l3"]);
    expect(pageCount).toBe(3);
    expect(negated.SecretList).toEqual([]);
    await expect(sm.send(new ListSecretsCommand({ NextToken: "not-a-token" }))).rejects.toMatchObject({
      name: "InvalidNextTokenException",
    });
    await expect(
      sm.send(new ListSecretsCommand({ Filters: [{ Key: "tag-key", Values: ["x"] }] })),
    ).rejects.toMatchObject({ message: expect.stringMatching(/Filters/i) });
  });
});
