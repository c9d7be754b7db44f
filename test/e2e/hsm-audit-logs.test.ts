import {
  CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  type KMSClient,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { patientKms } from "../../local/account/driver";
import { CREDENTIALS, LocalAccountProcess } from "../../local/account/process";
import { CloudWatchAuditLog } from "../../src/adapters/audit-log";
import { parseHsmAuditRecord } from "../../src/hsm-audit-records";
import { type ActiveCluster, cliOk, type Login, provisionActiveCluster } from "../support/cloudhsm";

type KeyList = { matched_keys: { "key-reference": string; attributes: { label: string } }[] };

/**
 * The HSM audit logs of the local account through the real CloudWatch Logs SDK: where they are (log group
 * /aws/cloudhsm/<cluster ID>, a stream per HSM), what the HSMs write (logins, KMS's and kmsuser's key deletions, in the
 * documented record form) and FilterLogEvents' validation, filtering and paging.
 */
describe("HSM audit logs on the local account", () => {
  let account: LocalAccountProcess;
  let kms: KMSClient;
  let logs: CloudWatchLogsClient;
  let active: ActiveCluster;
  let storeId: string;
  let group: string;
  const newPassword = "KnownKmsuser1";

  beforeAll(async () => {
    account = await LocalAccountProcess.start();
    kms = patientKms(account);
    logs = new CloudWatchLogsClient({
      endpoint: account.endpoint,
      region: account.region,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    active = await provisionActiveCluster(account);
    group = `/aws/cloudhsm/${active.clusterId}`;
    const store = await kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: "audited",
        CloudHsmClusterId: active.clusterId,
        TrustAnchorCertificate: active.trustAnchor,
        KeyStorePassword: active.kmsuser?.password,
      }),
    );
    storeId = store.CustomKeyStoreId as string;
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await account.advance("21m");
  });
  afterAll(() => account.stop());

  const now = async () => new Date((await account.control<{ now: string }>("GET", "/_local/clock")).now);
  const filter = (input: Partial<FilterLogEventsCommandInput> = {}) =>
    logs.send(new FilterLogEventsCommand({ logGroupName: group, ...input }));
  const all = async (input: Partial<FilterLogEventsCommandInput> = {}) => {
    const events: FilteredLogEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await filter({ ...input, ...(nextToken ? { nextToken } : {}) });
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  };

  it("returns a CN_DESTROY_OBJECT record of the backing key's handle in the log group when KMS deletes a key", async () => {
    const key = await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId }));
    const keyArn = key.KeyMetadata?.Arn as string;
    const before = await now();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: 7 }));
    await account.advance("8d");

    const deletions = await all({ filterPattern: "?CN_DESTROY_OBJECT ?CN_TOMBSTONE_OBJECT" });
    const records = deletions.map((e) => ({ hsm: e.logStreamName, record: parseHsmAuditRecord(e.message ?? "") }));
    const found = await new CloudWatchAuditLog(logs).keyDeletions({
      clusterId: active.clusterId,
      from: before,
      to: await now(),
      limit: 10,
    });

    expect(records).toHaveLength(1);
    expect(active.hsms.map((h) => h.HsmId)).toContain(records[0]?.hsm);
    expect(records[0]?.record).toMatchObject({
      opcode: "CN_DESTROY_OBJECT",
      opcodeCode: "0x11",
      response: { code: 0, message: "HSM Return: SUCCESS" },
      logType: "MGMT_KEY_DETAILS_LOG (1)",
      publicKeyHandle: "0",
    });
    expect(found).toMatchObject({ status: "READ", truncated: false, records: [{ opcode: "CN_DESTROY_OBJECT" }] });
    if (found.status === "READ") expect(found.records[0]?.keyHandle).toBe(records[0]?.record?.keyHandle);
  });

  it("returns the login records of every HSM and a CN_DESTROY_OBJECT of the key reference when kmsuser deletes a key with the CLI", async () => {
    const key = await kms.send(new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId }));
    const keyArn = key.KeyMetadata?.Arn as string;
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await account.advance("1m");
    const stale = { ...(active.kmsuser as Login) };
    cliOk(
      account,
      active.clusterId,
      ["user", "change-password", "--username", "kmsuser", "--role", "crypto-user", "--password", newPassword],
      active.admin,
    );
    const kmsuser: Login = { role: "crypto-user", username: "kmsuser", password: newPassword };
    const refused = account.cli(["--cluster-id", active.clusterId, "key", "list"], stale);
    const listed = cliOk(account, active.clusterId, ["key", "list", "--filter", `attr.label=${keyArn}`], kmsuser);
    const reference = (listed as KeyList).matched_keys[0]?.["key-reference"] as string;
    cliOk(account, active.clusterId, ["key", "delete", "--filter", `attr.label=${keyArn}`], kmsuser);

    const deletions = (await all({ filterPattern: "CN_DESTROY_OBJECT" })).map((e) =>
      parseHsmAuditRecord(e.message ?? ""),
    );
    const failures = (await all({ filterPattern: "CN_LOGIN RET_USER_LOGIN_FAILURE" })).map((e) => ({
      hsm: e.logStreamName,
      record: parseHsmAuditRecord(e.message ?? ""),
    }));
    const everything = await all();

    expect(refused.json?.error_code).toBe(1);
    expect(deletions.at(-1)).toMatchObject({ opcode: "CN_DESTROY_OBJECT", keyHandle: BigInt(reference).toString() });
    // A login is recorded by every HSM of the cluster (interpreting-audit-logs.html).
    expect(failures.map((f) => f.hsm).sort()).toEqual(active.hsms.map((h) => h.HsmId).sort());
    expect(failures[0]?.record).toMatchObject({
      userName: "kmsuser",
      userType: "CN_CRYPTO_USER (1)",
      response: { code: 163, message: "HSM Error: RET_USER_LOGIN_FAILURE" },
    });
    // Records name users, never their passwords.
    const text = everything.map((e) => e.message).join("\n");
    for (const secret of [newPassword, stale.password, active.admin.password]) expect(text).not.toContain(secret);
    // Each stream's sequence numbers start at 0x0 and have no gaps.
    for (const hsm of active.hsms) {
      const sequence = everything
        .filter((e) => e.logStreamName === hsm.HsmId)
        .map((e) => Number.parseInt(parseHsmAuditRecord(e.message ?? "")?.sequenceNo ?? "", 16));
      expect(sequence).toEqual(sequence.map((_, i) => i));
    }
  });

  it("returns the user management records: activation, kmsuser's creation, KMS's and the admin's password changes", async () => {
    const users = (await all({ filterPattern: "?CN_CREATE_USER ?CN_CREATE_CO ?CN_CHANGE_PSWD ?CN_DELETE_USER" })).map(
      (e) => parseHsmAuditRecord(e.message ?? ""),
    );

    // Activation changes the precrypto officer's password (interpreting-audit-logs.html, "Initialize the first HSM").
    expect(users[0]).toMatchObject({
      opcode: "CN_CHANGE_PSWD",
      opcodeCode: "0x9",
      userName: "admin",
      userType: "CN_CRYPTO_PRE_OFFICER (6)",
    });
    expect(users[1]).toMatchObject({ opcode: "CN_CREATE_USER", opcodeCode: "0x3", userName: "kmsuser" });
    // KMS rotates kmsuser's password at connect, then the admin sets a known one (the test before).
    expect(users.slice(2).map((r) => [r?.opcode, r?.userName])).toEqual([
      ["CN_CHANGE_PSWD", "kmsuser"],
      ["CN_CHANGE_PSWD", "kmsuser"],
    ]);
  });

  it("returns the events of the streams named by the prefix, in pages of `limit`, and refuses a token reused elsewhere", async () => {
    const hsm = active.hsms[0]?.HsmId as string;

    const first = await filter({ logStreamNamePrefix: hsm, limit: 2 });
    const rest = await all({ logStreamNamePrefix: hsm });
    const misused = await filter({
      logStreamNamePrefix: hsm,
      filterPattern: "CN_LOGIN",
      nextToken: first.nextToken,
    }).catch((e: unknown) => e as Error);

    expect(first.events).toHaveLength(2);
    expect(first.nextToken).toEqual(expect.any(String));
    expect(first.searchedLogStreams).toEqual([]);
    expect(rest.every((e) => e.logStreamName === hsm)).toBe(true);
    expect(rest.slice(0, 2)).toEqual(first.events);
    expect(misused).toMatchObject({ name: "InvalidParameterException" });
  });

  it("returns only the events between startTime and endTime, and none of those a -term excludes", async () => {
    const events = await all();
    const middle = events[Math.floor(events.length / 2)]?.timestamp as number;

    const later = await all({ startTime: middle });
    const earlier = await all({ endTime: middle - 1 });
    const noLogins = await all({ filterPattern: "-CN_LOGIN" });

    expect(later.length + earlier.length).toBe(events.length);
    expect(later.every((e) => (e.timestamp ?? 0) >= middle)).toBe(true);
    expect(noLogins.length).toBeGreaterThan(0);
    expect(noLogins.some((e) => e.message?.includes("CN_LOGIN"))).toBe(false);
  });

  it("returns ResourceNotFoundException for a log group that does not exist, InvalidParameterException and ValidationException for bad requests, AccessDeniedException when IAM would refuse", async () => {
    const missing = await filter({ logGroupName: "/aws/cloudhsm/cluster-doesnotexist" }).catch((e: unknown) => e);
    const both = await filter({ logGroupIdentifier: group }).catch((e: unknown) => e);
    const neither = await logs.send(new FilterLogEventsCommand({})).catch((e: unknown) => e);
    const prefixAndNames = await filter({ logStreamNames: ["a"], logStreamNamePrefix: "a" }).catch((e: unknown) => e);
    const badLimit = await filter({ limit: 0 }).catch((e: unknown) => e);
    const byArn = await logs.send(
      new FilterLogEventsCommand({
        // The identifier's pattern ([\w#+=/:,.@-]*, API_FilterLogEvents) leaves out the ARN's trailing ":*".
        logGroupIdentifier: `arn:aws:logs:${account.region}:111122223333:log-group:${group}`,
      }),
    );
    await account.control("POST", "/_local/faults", { kind: "access-denied", operation: "logs:FilterLogEvents" });
    const denied = await new CloudWatchAuditLog(logs).keyDeletions({
      clusterId: active.clusterId,
      from: new Date(0),
      to: await now(),
      limit: 10,
    });
    const state = (await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }))).CustomKeyStores;

    expect(missing).toMatchObject({
      name: "ResourceNotFoundException",
      message: "The specified log group does not exist.",
    });
    expect(both).toMatchObject({ name: "InvalidParameterException" });
    expect(neither).toMatchObject({ name: "InvalidParameterException" });
    expect(prefixAndNames).toMatchObject({ name: "InvalidParameterException" });
    expect(badLimit).toMatchObject({ name: "ValidationException" });
    expect(byArn.events?.length).toBeGreaterThan(0);
    expect(denied).toMatchObject({ status: "ACCESS_DENIED", error: expect.stringContaining("logs:FilterLogEvents") });
    expect(state?.[0]?.ConnectionState).toBe("DISCONNECTED");
  });
});
