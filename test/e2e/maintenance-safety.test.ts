import { PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { callerArn } from "../../src/adapters/caller-identity";
import { StepFunctionsExecutions } from "../../src/adapters/executions";
import { kmsuserSecretFor } from "../../src/secret-names";
import { resolveApproval } from "../../src/workflows/orphan-cleanup/approval";
import { type RuntimeStore, WorkflowRuntime } from "../support/workflow-runtime";

/**
 * Safety guards of connect-key-store and orphan-cleanup on the committed state machines (serverless.yml deployed on
 * the local runtime, real handlers): the login budget of a connect, and one maintenance operation per store.
 */
describe("maintenance safety on the committed state machines", () => {
  let rt: WorkflowRuntime;
  let n = 0;

  beforeAll(async () => {
    rt = await WorkflowRuntime.start();
  }, 120_000);
  afterAll(() => rt.stop());

  const newStore = () => rt.newStore(`maintenance-${++n}-${Date.now() % 100000}`);

  const entered = (events: HistoryEvent[], state: string) =>
    events.some((e) => e.stateEnteredEventDetails?.name === state);

  /** `user list` needs no login and shows `locked` ("user list", CloudHSM User Guide). */
  function lockedUsers(store: RuntimeStore): string[] {
    const listed = rt.account.cli(["--cluster-id", store.cluster.clusterId, "user", "list"]).json?.data as {
      users: { username: string; locked: string }[];
    };
    return listed.users.filter((u) => u.locked === "true").map((u) => u.username);
  }

  /**
   * The store DISCONNECTED; an operator reset kmsuser by hand to `known` and an application is logged in as kmsuser
   * with it. Every rotation round then stages a password the change cannot set (kmsuser is logged in: "user
   * change-password", CloudHSM User Guide). Five failed logins lock a user, and the documentation names no reset on a
   * right one in between ("loginHSM and logoutHSM", CloudHSM User Guide), so every failed login counts for good.
   */
  async function kmsuserHeldByAnApplication(secretPassword: string) {
    const store = await newStore();
    await rt.disconnect(store.id);
    const { clusterId } = store.cluster;
    const known = "AppKmsuser0Passw0rd";
    rt.seededPasswords.add(known);
    rt.seededPasswords.add(secretPassword);
    const admin = { role: "admin", username: "admin", password: store.cluster.adminPassword as string };
    const reset = rt.account.cli(
      ["--cluster-id", clusterId, "user", "change-password", "--username", "kmsuser", "--role", "crypto-user"],
      admin,
      `${known}\n${known}\n`,
    );
    expect(reset.json?.error_code).toBe(0);
    await rt.sm.send(
      new PutSecretValueCommand({
        SecretId: kmsuserSecretFor(store.id),
        SecretString: JSON.stringify({ username: "kmsuser", password: secretPassword }),
      }),
    );
    const login = rt.account.cli(
      ["--cluster-id", clusterId, "login", "--username", "kmsuser", "--role", "crypto-user"],
      {
        role: "crypto-user",
        username: "kmsuser",
        password: known,
      },
    );
    expect(login.json?.error_code).toBe(0);
    return { store };
  }

  /** What each LogoutKmsuser invocation reported spending: the failed logins carried in the execution. */
  async function failedLoginsSpent(arn: string): Promise<number[]> {
    return (await rt.history(arn))
      .filter((e) => e.stateExitedEventDetails?.name === "CountFailedLogins")
      .map((e) => JSON.parse(e.stateExitedEventDetails?.output ?? "{}").safety.kmsuserFailedLogins as number);
  }

  it("returns SUCCEEDED with no failed login when a refused password change is followed by a logout with the password the cluster still holds", async () => {
    // Prepare: the secret holds the password the operator set, which the refused change left in place.
    const { store } = await kmsuserHeldByAnApplication("AppKmsuser0Passw0rd");

    // Act
    const arn = await rt.start("connect", { customKeyStoreId: store.id, mode: "rotate" });
    const done = await rt.finish(arn);

    // Assess: logged out at the first try, then rotated and connected.
    expect(done.status).toBe("SUCCEEDED");
    expect(await failedLoginsSpent(arn)).toEqual([0]);
    expect(lockedUsers(store)).toEqual([]);
    expect(await rt.state(store.id)).toBe("CONNECTED");
  }, 600_000);

  it("returns KmsuserLoggedInElsewhere, then LoginBudgetExhausted on repeats, and kmsuser never locked out when no stored password opens kmsuser", async () => {
    // Prepare: the secret holds a stale password; only the application knows the one set.
    const { store } = await kmsuserHeldByAnApplication("Stale0Kmsuser0Passw0rd");
    const seq = await rt.seq();

    // Act: the rotation, then the same twice more (a daily schedule, an operator retrying).
    const runs = [];
    for (let i = 0; i < 3; i++)
      runs.push(await rt.finish(await rt.start("connect", { customKeyStoreId: store.id, mode: "rotate" })));

    // Assess: two failed logins at most (the stale password, the staged one), then the operator's action; the
    // repeats stop at the three failed logins all executions may spend until kmsuser's password is set again, so
    // five are never reached.
    expect(runs.map((r) => r.error)).toEqual([
      "KmsuserLoggedInElsewhere",
      "LoginBudgetExhausted",
      "LoginBudgetExhausted",
    ]);
    expect(lockedUsers(store)).toEqual([]);
    expect(await rt.state(store.id)).toBe("DISCONNECTED");
    const alerts = await rt.alerts(seq, store.id);
    expect(alerts.map((a) => (a.details as { failure?: string }).failure)).toEqual([
      "KmsuserLoggedInElsewhere",
      "LoginBudgetExhausted",
      "LoginBudgetExhausted",
    ]);
  }, 600_000);

  it("returns CleanupRunning for a rotation started while a cleanup window of the store waits for its approval, and the window then reconnects the store", async () => {
    // Prepare: a window held at its approval, the store still CONNECTED.
    const store = await newStore();
    const cleanup = await rt.start("cleanup", { customKeyStoreId: store.id, approval: "required", discover: true });
    expect(await rt.untilApprovalRequested(cleanup)).toBe(true);

    // Act
    const rotation = await rt.start("connect", { customKeyStoreId: store.id, mode: "rotate" });
    await rt.drive(300_000, async () => (await rt.describe(rotation)).status !== "RUNNING");
    const refused = await rt.describe(rotation);
    const stateWhileHeld = await rt.state(store.id);
    await resolveApproval(
      { executions: new StepFunctionsExecutions(rt.sfn), caller: () => callerArn(rt.sts) },
      { executionArn: cleanup, decision: "APPROVE" },
    );
    const window = await rt.finish(cleanup);

    // Assess: the rotation did nothing; the window ran its cycle and left the store CONNECTED.
    expect(refused).toMatchObject({ status: "FAILED", error: "CleanupRunning" });
    expect(entered(await rt.history(rotation), "Disconnect")).toBe(false);
    expect(stateWhileHeld).toBe("CONNECTED");
    expect(window.status).toBe("SUCCEEDED");
    expect(await rt.state(store.id)).toBe("CONNECTED");
    expect(lockedUsers(store)).toEqual([]);
  }, 600_000);

  it("returns AlreadyRunning for a cleanup window started while a rotation of the store runs, and the rotation ends CONNECTED", async () => {
    // Prepare: a rotation parked in a poll wait (the store disconnected for the rotation, or on its way back).
    const store = await newStore();
    const rotation = await rt.start("connect", { customKeyStoreId: store.id, mode: "rotate" });
    await rt.drive(300_000, async () => entered(await rt.history(rotation), "WaitPoll"));
    expect((await rt.describe(rotation)).status).toBe("RUNNING");

    // Act
    const cleanup = await rt.start("cleanup", { customKeyStoreId: store.id, approval: "skip", discover: true });
    await rt.drive(300_000, async () => (await rt.describe(cleanup)).status !== "RUNNING");
    const refused = await rt.describe(cleanup);
    const rotated = await rt.finish(rotation);

    // Assess: the window touched nothing (it never reached its disconnect); the rotation finished.
    expect(refused).toMatchObject({ status: "FAILED", error: "AlreadyRunning" });
    expect(JSON.stringify(await rt.history(cleanup))).toContain("ConnectInProgressError");
    expect(entered(await rt.history(cleanup), "InitControl")).toBe(false);
    expect(rotated.status).toBe("SUCCEEDED");
    expect(await rt.state(store.id)).toBe("CONNECTED");
    expect(lockedUsers(store)).toEqual([]);
  }, 600_000);
});
