import { LocalAccountProcess } from "../../local/account/process";

describe("local account core", () => {
  let account: LocalAccountProcess;
  beforeAll(async () => {
    account = await LocalAccountProcess.start();
  });
  afterAll(() => account.stop());

  it("returns its endpoint, region and account id on the health route", async () => {
    const health = await account.control<{ ok: boolean; endpoint: string; region: string; accountId: string }>(
      "GET",
      "/_local/health",
    );
    expect(health).toMatchObject({
      ok: true,
      endpoint: account.endpoint,
      region: "us-east-1",
      accountId: "111122223333",
    });
  });

  it("returns UnknownOperationException when the target names no operation", async () => {
    const res = await fetch(account.endpoint, {
      method: "POST",
      headers: { "x-amz-target": "TrentService.MakeCoffee", "content-type": "application/x-amz-json-1.1" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: "UnknownOperationException" });
  });

  it("returns SerializationException when the body is not JSON", async () => {
    const res = await fetch(account.endpoint, {
      method: "POST",
      headers: { "x-amz-target": "TrentService.ListKeys", "content-type": "application/x-amz-json-1.1" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: "SerializationException" });
  });

  /** One raw KMS call, so no SDK retry hides a throttle. */
  const kmsCall = (operation: string, body: unknown) =>
    fetch(account.endpoint, {
      method: "POST",
      headers: { "x-amz-target": `TrentService.${operation}`, "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify(body),
    });

  it("returns ThrottlingException past KMS's rate for DescribeCustomKeyStores (5 per second), and answers again a second later", async () => {
    // Real time: the quota is about request rates (quotas.ts), so ten calls at once spend the second's five.
    const answers = await Promise.all(Array.from({ length: 10 }, () => kmsCall("DescribeCustomKeyStores", {})));
    const types = await Promise.all(
      answers.map(async (r) => (r.ok ? "ok" : ((await r.json()) as { __type: string }).__type)),
    );
    expect(types.filter((t) => t === "ThrottlingException").length).toBeGreaterThanOrEqual(5);
    expect(types.filter((t) => t !== "ok" && t !== "ThrottlingException")).toEqual([]);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await kmsCall("DescribeCustomKeyStores", {})).status).toBe(200);
  });

  it("returns ValidationException naming the member when a request breaks the operation's schema", async () => {
    const res = await kmsCall("ScheduleKeyDeletion", {
      KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
      PendingWindowInDays: 3,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      __type: "ValidationException",
      message: expect.stringContaining("'pendingWindowInDays'"),
    });
  });

  it("moves the simulated clock forward by the requested duration and keeps it across a kill -9", async () => {
    const before = await account.now();
    await account.advance("31d");
    const after = await account.now();
    expect(after.getTime() - before.getTime()).toBeGreaterThanOrEqual(31 * 86_400_000);

    await account.crashAndRestart();

    expect((await account.now()).getTime()).toBeGreaterThanOrEqual(after.getTime());
  });

  it("returns a clear error when the clock is given a bad duration", async () => {
    await expect(account.advance("tomorrow")).rejects.toThrow("Invalid duration 'tomorrow'");
  });

  it("returns a clear error naming the problem when a fault is malformed", async () => {
    await expect(account.arm({ kind: "connect-error", connectionErrorCode: "BAD" })).rejects.toThrow(
      /connectionErrorCode/,
    );
  });
});
