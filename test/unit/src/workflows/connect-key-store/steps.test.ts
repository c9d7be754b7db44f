import { CreateHsmCommand, DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DescribeCustomKeyStoresCommand, KMSClient, UpdateCustomKeyStoreCommand } from "@aws-sdk/client-kms";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { EventBridgeAlerts } from "../../../../../src/adapters/alerts";
import { CloudHsmClusters } from "../../../../../src/adapters/clusters";
import { StepFunctionsExecutions } from "../../../../../src/adapters/executions";
import { KmsKeyStores } from "../../../../../src/adapters/key-stores";
import { type Hsm, HsmLoginFailedError, HsmPathUnavailableError } from "../../../../../src/ports/hsm";
import type { LoginLedger } from "../../../../../src/ports/login-ledger";
import type { SecretsStore } from "../../../../../src/ports/secrets";
import { parseOrThrow } from "../../../../../src/validation";
import { addHsm, type HsmsDeps } from "../../../../../src/workflows/connect-key-store/hsms";
import { ConnectInputSchema } from "../../../../../src/workflows/connect-key-store/model";
import { generatePassword } from "../../../../../src/workflows/connect-key-store/password";
import { prepareConnect } from "../../../../../src/workflows/connect-key-store/prepare";
import {
  type ConnectDeps,
  checkHsmPath,
  logoutKmsuser,
  setKmsuserPassword,
  stagePassword,
} from "../../../../../src/workflows/connect-key-store/steps";
import { tellKms } from "../../../../../src/workflows/connect-key-store/tell-kms";
import { clusterReply, fakeCloudHsm } from "../../../../support/fake-cloudhsm";
import { memorySecrets } from "../../../../support/fakes";

/** The workflow input as the prepare handler hands it on: parsed, defaults applied. */
const connectInput = (raw: object) => parseOrThrow(ConnectInputSchema, raw);
const kms = mockClient(KMSClient);
const sfn = mockClient(SFNClient);
/** CloudHSM v2 replies by command class (this SDK client's version predates aws-sdk-client-mock's types). */
const fakeHsmApi = fakeCloudHsm();
const { port: cloudhsm, replies: cloudhsmReplies, calls: cloudhsmCalls } = fakeHsmApi;
const ID = "cks-1234567890abcdef0";
const CLUSTER = "cluster-abcdefghijk";

function fakeHsm(users: { username: string; role: string; locked: boolean }[]) {
  const calls: string[] = [];
  const passwords = new Map<string, string>();
  const hsm: Hsm = {
    listUsers: async () => users,
    changePassword: async (_c, _a, user, password) => {
      calls.push(`change-password ${user.username}`);
      passwords.set(user.username, password);
    },
    createUser: async (_c, _a, user, password) => {
      calls.push(`create ${user.username}`);
      passwords.set(user.username, password);
    },
    logout: async (_c, user) => {
      calls.push(`logout ${user.username}`);
      if (passwords.get(user.username) !== user.password)
        throw new HsmLoginFailedError("Login failed: incorrect password for kmsuser");
    },
    listKeys: async () => [],
    deleteKey: async () => {
      throw new Error("connect never deletes keys");
    },
    // provision-key-store: not used by connect.
    activateCluster: async () => undefined,
    userCoverage: async () => "full",
  };
  return { hsm, calls, passwords };
}

/** The login ledger in memory: counts per cluster user, as the orphan register keeps them. */
function memoryLedger(): LoginLedger & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    add: async (clusterId, username, delta) => {
      const n = (counts.get(`${clusterId}#${username}`) ?? 0) + delta;
      counts.set(`${clusterId}#${username}`, n);
      return n;
    },
    clear: async (clusterId, username) => {
      counts.delete(`${clusterId}#${username}`);
    },
  };
}

function deps(secrets: SecretsStore, hsm: Hsm, logins: LoginLedger = memoryLedger()): ConnectDeps & HsmsDeps {
  return {
    logins,
    keyStores: new KmsKeyStores(new KMSClient({ region: "us-east-1" })),
    clusters: new CloudHsmClusters(cloudhsm),
    executions: new StepFunctionsExecutions(new SFNClient({ region: "us-east-1" })),
    secrets,
    hsm,
    alerts: new EventBridgeAlerts(new EventBridgeClient({ region: "us-east-1" }), "default"),
    now: () => new Date("2026-01-01T00:00:00Z"),
  };
}

const ADMIN = `keystore-autopilot/admin/${CLUSTER}`;
const KMSUSER = `keystore-autopilot/kmsuser/${ID}`;
const VERSION = "00000000-0000-4000-8000-000000000001";

describe("connect-key-store steps", () => {
  beforeEach(() => {
    kms.reset();
    sfn.reset();
    fakeHsmApi.reset();
  });

  it("returns 8–32 alphanumeric passwords from the crypto RNG when generating", () => {
    for (const length of [8, 20, 32]) expect(generatePassword(length)).toMatch(new RegExp(`^[A-Za-z0-9]{${length}}$`));
    expect(generatePassword()).not.toBe(generatePassword());
    expect(() => generatePassword(7)).toThrow(RangeError);
  });

  it("returns UnsupportedKeyStoreTypeError and creates no secret when the store is an external key store", async () => {
    const secrets = memorySecrets();
    kms.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [
        { CustomKeyStoreId: ID, CustomKeyStoreType: "EXTERNAL_KEY_STORE", ConnectionState: "DISCONNECTED" },
      ],
    });

    await expect(
      prepareConnect(deps(secrets, fakeHsm([]).hsm), connectInput({ customKeyStoreId: ID })),
    ).rejects.toMatchObject({
      name: "UnsupportedKeyStoreTypeError",
    });
    expect(secrets.data.size).toBe(0);
  });

  it("returns AdminSecretNotFoundError and creates no secret when the admin secret is missing", async () => {
    const secrets = memorySecrets();
    kms.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [{ CustomKeyStoreId: ID, CustomKeyStoreType: "AWS_CLOUDHSM", CloudHsmClusterId: CLUSTER }],
    });

    await expect(
      prepareConnect(deps(secrets, fakeHsm([]).hsm), connectInput({ customKeyStoreId: ID })),
    ).rejects.toMatchObject({
      name: "AdminSecretNotFoundError",
    });
    expect(secrets.data.size).toBe(0);
  });

  it.each([
    ["another cluster's admin", "keystore-autopilot/admin/cluster-otherother22"],
    [
      "another cluster's admin by ARN",
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:keystore-autopilot/admin/cluster-otherother22-AbCdEf",
    ],
  ])(
    "returns InvalidInputError naming adminSecretId and creates nothing when it names %s",
    async (_what, adminSecretId) => {
      const secrets = memorySecrets();
      await secrets.ensure("keystore-autopilot/admin/cluster-otherother22", "another cluster");
      await secrets.put("keystore-autopilot/admin/cluster-otherother22", VERSION, '{"password":"x"}', ["AWSCURRENT"]);
      kms.on(DescribeCustomKeyStoresCommand).resolves({
        CustomKeyStores: [{ CustomKeyStoreId: ID, CustomKeyStoreType: "AWS_CLOUDHSM", CloudHsmClusterId: CLUSTER }],
      });

      const error = await prepareConnect(
        deps(secrets, fakeHsm([]).hsm),
        connectInput({ customKeyStoreId: ID, adminSecretId }),
      ).catch((e: unknown) => e);

      expect(error).toMatchObject({ name: "InvalidInputError", field: "adminSecretId" });
      expect((error as Error).message).toContain(ADMIN);
      expect([...secrets.data.keys()]).toEqual(["keystore-autopilot/admin/cluster-otherother22"]);
    },
  );

  it("returns the cluster's admin secret when adminSecretId names it by ARN", async () => {
    const secrets = memorySecrets();
    await secrets.ensure(ADMIN, "admin");
    await secrets.put(ADMIN, VERSION, '{"password":"x"}', ["AWSCURRENT"]);
    kms.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [{ CustomKeyStoreId: ID, CustomKeyStoreType: "AWS_CLOUDHSM", CloudHsmClusterId: CLUSTER }],
    });

    const out = await prepareConnect(
      deps(secrets, fakeHsm([]).hsm),
      connectInput({
        customKeyStoreId: ID,
        adminSecretId: `arn:aws:secretsmanager:us-east-1:111122223333:secret:${ADMIN}-AbCdEf`,
      }),
    );

    expect(out).toMatchObject({ adminSecretId: ADMIN, kmsuserSecretId: KMSUSER, canRemediate: true });
  });

  it("refuses with InvalidInputError naming the field an input that carries a password", () => {
    expect(() => connectInput({ customKeyStoreId: ID, adminPassword: "x" })).toThrow(
      expect.objectContaining({ name: "InvalidInputError", message: expect.stringContaining('"adminPassword"') }),
    );
  });

  it("returns the same pending password when the staging step runs twice with one version id", async () => {
    const secrets = memorySecrets();
    await secrets.ensure(KMSUSER, "test");
    const d = deps(secrets, fakeHsm([]).hsm);

    await stagePassword(d, { kmsuserSecretId: KMSUSER, versionId: VERSION });
    const first = await secrets.version(KMSUSER, VERSION);
    await stagePassword(d, { kmsuserSecretId: KMSUSER, versionId: VERSION });

    expect(await secrets.version(KMSUSER, VERSION)).toBe(first);
    expect((await secrets.stages(KMSUSER))[VERSION]).toEqual(["AWSPENDING"]);
  });

  it("returns a converged rotation when kmsuser is missing: created with the pending password that KMS is told", async () => {
    const secrets = memorySecrets();
    await secrets.ensure(KMSUSER, "test");
    await secrets.ensure(ADMIN, "test");
    await secrets.put(
      ADMIN,
      "admin-version-0000000000000000000001",
      '{"username":"admin","password":"AdminPassw0rd"}',
      ["AWSCURRENT"],
    );
    const fake = fakeHsm([{ username: "admin", role: "admin", locked: false }]);
    const d = deps(secrets, fake.hsm);
    kms
      .on(UpdateCustomKeyStoreCommand)
      .rejectsOnce(Object.assign(new Error("x"), { name: "KMSInternalException" }))
      .resolves({});
    await stagePassword(d, { kmsuserSecretId: KMSUSER, versionId: VERSION });

    const result = await setKmsuserPassword(d, {
      clusterId: CLUSTER,
      adminSecretId: ADMIN,
      kmsuserSecretId: KMSUSER,
      versionId: VERSION,
    });
    await expect(tellKms(d, { customKeyStoreId: ID, kmsuserSecretId: KMSUSER, versionId: VERSION })).rejects.toThrow();
    await tellKms(d, { customKeyStoreId: ID, kmsuserSecretId: KMSUSER, versionId: VERSION });

    expect(result).toEqual({ kmsuserCreated: true, kmsuserWasLocked: false });
    const told = kms.commandCalls(UpdateCustomKeyStoreCommand).map((c) => c.args[0].input.KeyStorePassword);
    expect(new Set(told).size).toBe(1);
    expect(told[0]).toBe(fake.passwords.get("kmsuser"));
    expect((await secrets.stages(KMSUSER))[VERSION]).toEqual(["AWSCURRENT"]);
  });

  it("returns KmsuserLoggedInElsewhereError after at most two logout attempts when no stored password opens kmsuser", async () => {
    const secrets = memorySecrets();
    await secrets.ensure(KMSUSER, "test");
    await secrets.put(KMSUSER, VERSION, '{"username":"kmsuser","password":"Unknown0Passw0rd"}', ["AWSPENDING"]);
    const fake = fakeHsm([]);
    fake.passwords.set("kmsuser", "SomeoneElses0Pw");

    await expect(
      logoutKmsuser(deps(secrets, fake.hsm), { clusterId: CLUSTER, kmsuserSecretId: KMSUSER }),
    ).rejects.toMatchObject({
      name: "KmsuserLoggedInElsewhereError",
    });
    expect(fake.calls.length).toBeLessThanOrEqual(2);
  });

  it("returns the new HSM in the Availability Zone that lacks one when the cluster has too few", async () => {
    cloudhsmReplies.set(
      DescribeClustersCommand,
      clusterReply(CLUSTER, "ACTIVE", { "us-east-1a": "subnet-0", "us-east-1b": "subnet-1" }, [
        ["hsm-aaaaaaaaaaa", "us-east-1a", "ACTIVE"],
      ]),
    );
    cloudhsmReplies.set(CreateHsmCommand, {
      Hsm: { HsmId: "hsm-bbbbbbbbbbb", State: "CREATE_IN_PROGRESS", ClusterId: CLUSTER },
    });

    const out = await addHsm(deps(memorySecrets(), fakeHsm([]).hsm), { clusterId: CLUSTER });

    expect(out).toEqual({ hsmId: "hsm-bbbbbbbbbbb", availabilityZone: "us-east-1b", state: "CREATE_IN_PROGRESS" });
    expect(cloudhsmCalls.find((c) => c.command === "CreateHsmCommand")?.input).toEqual({
      ClusterId: CLUSTER,
      AvailabilityZone: "us-east-1b",
    });
  });

  it.each(["MODIFY_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "PENDING_ROLLBACK"])(
    "returns the cluster state and creates no HSM when the cluster is %s",
    async (state) => {
      cloudhsmReplies.set(
        DescribeClustersCommand,
        clusterReply(CLUSTER, state, { "us-east-1a": "subnet-0", "us-east-1b": "subnet-1" }, [
          ["hsm-aaaaaaaaaaa", "us-east-1a", "ACTIVE"],
        ]),
      );

      const out = await addHsm(deps(memorySecrets(), fakeHsm([]).hsm), { clusterId: CLUSTER });

      expect(out).toEqual({ clusterState: state });
      expect(cloudhsmCalls.map((c) => c.command)).toEqual(["DescribeClustersCommand"]);
    },
  );

  it("returns the new HSM when the cluster is UPDATE_IN_PROGRESS with another HSM being created", async () => {
    cloudhsmReplies.set(
      DescribeClustersCommand,
      clusterReply(
        CLUSTER,
        "UPDATE_IN_PROGRESS",
        { "us-east-1a": "subnet-0", "us-east-1b": "subnet-1", "us-east-1c": "subnet-2" },
        [
          ["hsm-aaaaaaaaaaa", "us-east-1a", "DEGRADED"],
          ["hsm-ddddddddddd", "us-east-1b", "DELETE_IN_PROGRESS"],
        ],
      ),
    );
    cloudhsmReplies.set(CreateHsmCommand, {
      Hsm: { HsmId: "hsm-bbbbbbbbbbb", State: "CREATE_IN_PROGRESS", ClusterId: CLUSTER },
    });

    const out = await addHsm(deps(memorySecrets(), fakeHsm([]).hsm), { clusterId: CLUSTER });

    expect(out).toEqual({ hsmId: "hsm-bbbbbbbbbbb", availabilityZone: "us-east-1a", state: "CREATE_IN_PROGRESS" });
  });

  it("returns ClusterNotFoundError naming the state and creates no HSM when the cluster is DELETE_IN_PROGRESS", async () => {
    cloudhsmReplies.set(
      DescribeClustersCommand,
      clusterReply(CLUSTER, "DELETE_IN_PROGRESS", { "us-east-1a": "subnet-0" }),
    );

    const error = await addHsm(deps(memorySecrets(), fakeHsm([]).hsm), { clusterId: CLUSTER }).catch((e: unknown) => e);

    expect(error).toMatchObject({
      name: "ClusterNotFoundError",
      message: expect.stringContaining("DELETE_IN_PROGRESS"),
    });
    expect(cloudhsmCalls.map((c) => c.command)).toEqual(["DescribeClustersCommand"]);
  });

  describe("login budget", () => {
    async function secretsWithTwoUnknownPasswords() {
      const secrets = memorySecrets();
      await secrets.ensure(KMSUSER, "test");
      await secrets.put(KMSUSER, "v-current", '{"username":"kmsuser","password":"Current0Passw0rd"}', ["AWSCURRENT"]);
      await secrets.put(KMSUSER, VERSION, '{"username":"kmsuser","password":"Pending0Passw0rd"}', ["AWSPENDING"]);
      return secrets;
    }

    it("returns the failed logins it spent so the next invocation starts from them when the second password opens kmsuser", async () => {
      const secrets = await secretsWithTwoUnknownPasswords();
      const fake = fakeHsm([]);
      fake.passwords.set("kmsuser", "Current0Passw0rd");

      const out = await logoutKmsuser(deps(secrets, fake.hsm), { clusterId: CLUSTER, kmsuserSecretId: KMSUSER });

      expect(out).toEqual({ loggedOut: true, failedLogins: 1 });
      expect(fake.calls).toEqual(["logout kmsuser", "logout kmsuser"]);
    });

    it("returns logged out with no failed login when a refused change left the current password set", async () => {
      const secrets = await secretsWithTwoUnknownPasswords();
      const fake = fakeHsm([]);
      fake.passwords.set("kmsuser", "Current0Passw0rd");

      const out = await logoutKmsuser(deps(secrets, fake.hsm), {
        clusterId: CLUSTER,
        kmsuserSecretId: KMSUSER,
        passwordChanged: false,
      });

      expect(out).toEqual({ loggedOut: true, failedLogins: 0 });
      expect(fake.calls).toEqual(["logout kmsuser"]);
    });

    it("returns LoginBudgetExhaustedError after one more try when one failed login was already spent in the execution", async () => {
      const secrets = await secretsWithTwoUnknownPasswords();
      const fake = fakeHsm([]);
      fake.passwords.set("kmsuser", "SomeoneElses0Pw");

      await expect(
        logoutKmsuser(deps(secrets, fake.hsm), { clusterId: CLUSTER, kmsuserSecretId: KMSUSER, failedLogins: 1 }),
      ).rejects.toMatchObject({ name: "LoginBudgetExhaustedError" });
      expect(fake.calls).toEqual(["logout kmsuser"]);
    });

    it("returns LoginBudgetExhaustedError without logging in once executions together spent the account budget", async () => {
      const secrets = await secretsWithTwoUnknownPasswords();
      const fake = fakeHsm([]);
      fake.passwords.set("kmsuser", "SomeoneElses0Pw");
      const logins = memoryLedger();
      const run = () =>
        logoutKmsuser(deps(secrets, fake.hsm, logins), { clusterId: CLUSTER, kmsuserSecretId: KMSUSER });

      // Two executions, each within its own budget of two: the second stops at the account's three.
      await expect(run()).rejects.toMatchObject({ name: "KmsuserLoggedInElsewhereError" });
      await expect(run()).rejects.toMatchObject({
        name: "LoginBudgetExhaustedError",
        message: expect.stringContaining("since its password was last set"),
      });
      await expect(run()).rejects.toMatchObject({ name: "LoginBudgetExhaustedError" });

      expect(fake.calls).toHaveLength(3);
      expect(logins.counts.get(`${CLUSTER}#kmsuser`)).toBe(3);
    });

    it("returns the count cleared once kmsuser's password is set again, and refunds a login that worked", async () => {
      const secrets = await secretsWithTwoUnknownPasswords();
      const fake = fakeHsm([]);
      fake.passwords.set("kmsuser", "Current0Passw0rd");
      const logins = memoryLedger();
      await logins.add(CLUSTER, "kmsuser", 1);

      await logoutKmsuser(deps(secrets, fake.hsm, logins), {
        clusterId: CLUSTER,
        kmsuserSecretId: KMSUSER,
        passwordChanged: false,
      });

      expect(logins.counts.get(`${CLUSTER}#kmsuser`)).toBe(1);
    });

    it("returns LoginBudgetExhaustedError without logging in when two failed logins were already spent", async () => {
      const secrets = await secretsWithTwoUnknownPasswords();
      const fake = fakeHsm([]);
      fake.passwords.set("kmsuser", "Current0Passw0rd");

      await expect(
        logoutKmsuser(deps(secrets, fake.hsm), { clusterId: CLUSTER, kmsuserSecretId: KMSUSER, failedLogins: 2 }),
      ).rejects.toMatchObject({ name: "LoginBudgetExhaustedError" });
      expect(fake.calls).toEqual([]);
    });
  });

  describe("path check before a disconnect", () => {
    async function adminSecret() {
      const secrets = memorySecrets();
      await secrets.ensure(ADMIN, "test");
      await secrets.put(ADMIN, "admin-v1", '{"username":"admin","password":"AdminPassw0rd"}', ["AWSCURRENT"]);
      return secrets;
    }

    it("returns checked when the admin secret reads and user list answers", async () => {
      const fake = fakeHsm([{ username: "admin", role: "admin", locked: false }]);

      await expect(
        checkHsmPath(deps(await adminSecret(), fake.hsm), { clusterId: CLUSTER, adminSecretId: ADMIN }),
      ).resolves.toEqual({ checked: true });
    });

    it("returns HsmPathUnavailableError when the CLI cannot run", async () => {
      const fake = fakeHsm([]);
      fake.hsm.listUsers = async () => {
        throw new HsmPathUnavailableError("The CloudHSM CLI did not run: ENOENT");
      };

      await expect(
        checkHsmPath(deps(await adminSecret(), fake.hsm), { clusterId: CLUSTER, adminSecretId: ADMIN }),
      ).rejects.toMatchObject({ name: "HsmPathUnavailableError" });
    });

    it("returns AdminSecretNotFoundError when the admin secret is missing", async () => {
      await expect(
        checkHsmPath(deps(memorySecrets(), fakeHsm([]).hsm), { clusterId: CLUSTER, adminSecretId: ADMIN }),
      ).rejects.toMatchObject({ name: "AdminSecretNotFoundError" });
    });

    it("returns AdminCredentialsRejectedError when the cluster rejects the admin", async () => {
      const fake = fakeHsm([]);
      fake.hsm.listUsers = async () => {
        throw new HsmLoginFailedError("Login failed: incorrect password for admin");
      };

      await expect(
        checkHsmPath(deps(await adminSecret(), fake.hsm), { clusterId: CLUSTER, adminSecretId: ADMIN }),
      ).rejects.toMatchObject({ name: "AdminCredentialsRejectedError" });
    });
  });

  describe("one maintenance operation per store", () => {
    const CONNECT_SM = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-connectKeyStore";
    const CLEANUP_SM = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-orphanCleanup";
    const SELF = `${CONNECT_SM.replace(":stateMachine:", ":execution:")}:rotate-1`;
    const WINDOW = `${CLEANUP_SM.replace(":stateMachine:", ":execution:")}:window-1`;

    async function cleanupIn(state: string) {
      const secrets = memorySecrets();
      await secrets.ensure(ADMIN, "test");
      await secrets.put(ADMIN, "admin-v1", '{"username":"admin","password":"AdminPassw0rd"}', ["AWSCURRENT"]);
      kms.on(DescribeCustomKeyStoresCommand).resolves({
        CustomKeyStores: [
          {
            CustomKeyStoreId: ID,
            CustomKeyStoreType: "AWS_CLOUDHSM",
            CloudHsmClusterId: CLUSTER,
            ConnectionState: "CONNECTED",
          },
        ],
      });
      sfn.on(ListExecutionsCommand, { stateMachineArn: CONNECT_SM }).resolves({
        executions: [
          {
            executionArn: SELF,
            stateMachineArn: CONNECT_SM,
            name: "rotate-1",
            status: "RUNNING",
            startDate: new Date(),
          },
        ],
      });
      sfn.on(ListExecutionsCommand, { stateMachineArn: CLEANUP_SM }).resolves({
        executions: [
          {
            executionArn: WINDOW,
            stateMachineArn: CLEANUP_SM,
            name: "window-1",
            status: "RUNNING",
            startDate: new Date(),
          },
        ],
      });
      sfn.on(DescribeExecutionCommand).resolves({ status: "RUNNING", input: JSON.stringify({ customKeyStoreId: ID }) });
      sfn.on(GetExecutionHistoryCommand, { executionArn: WINDOW }).resolves({
        events: [
          { id: 9, timestamp: new Date(), type: "TaskStarted" },
          { id: 8, timestamp: new Date(), type: "TaskStateEntered", stateEnteredEventDetails: { name: state } },
        ],
      });
      const d = {
        ...deps(secrets, fakeHsm([]).hsm),
        executions: new StepFunctionsExecutions(new SFNClient({ region: "us-east-1" })),
      };
      return { d: { ...d, cleanupStateMachineArn: CLEANUP_SM }, secrets };
    }

    it("returns CleanupInProgressError and creates no secret when a cleanup window of the store is running", async () => {
      const { d, secrets } = await cleanupIn("Sweep");

      await expect(
        prepareConnect(d, connectInput({ customKeyStoreId: ID }), { executionArn: SELF, stateMachineArn: CONNECT_SM }),
      ).rejects.toMatchObject({ name: "CleanupInProgressError" });
      expect(secrets.data.has(KMSUSER)).toBe(false);
    });

    it.each(["WaitForWindow", "ConnectKeyStore"])(
      "returns the prepared store when the store's cleanup is in %s (a booked window, or its own reconnect)",
      async (state) => {
        const { d } = await cleanupIn(state);

        await expect(
          prepareConnect(d, connectInput({ customKeyStoreId: ID }), {
            executionArn: SELF,
            stateMachineArn: CONNECT_SM,
          }),
        ).resolves.toMatchObject({ customKeyStoreId: ID, mode: "rotate" });
      },
    );
  });
});
