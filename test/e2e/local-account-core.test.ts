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
