import { CreateKeyCommand, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { type ConnectedStore, startWithConnectedStore } from "../../local/account/driver";
import { CREDENTIALS } from "../../local/account/process";
import { statusPageUrl } from "../../local/ui";

const DESCRIBE = "arn:aws:states:us-east-1:111122223333:stateMachine:keystore-autopilot-dev-describeKeyStore";

/**
 * The status page in Debian's Chromium, on `npm start`'s account and runtime (local/start.ts), driven through the
 * real SDK and the control API. Everything waited for is a page state, never a duration.
 */
describe("status page on the local account", () => {
  let env: ConnectedStore;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    env = await startWithConnectedStore("status-page", { entry: "local/start.ts" });
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" });
  });
  beforeEach(async () => {
    context = await browser.newContext();
  });
  afterEach(() => context.close());
  afterAll(async () => {
    await browser?.close();
    await env?.account.stop();
  });

  /** Opens the page as the printed link does (the token once, in the query), with auto-refresh every second. */
  async function open(): Promise<Page> {
    const page = await context.newPage();
    const url = new URL(statusPageUrl(env.account.endpoint, env.account.token));
    url.searchParams.set("refresh", "1");
    const res = await page.goto(url.toString());
    expect(res?.status()).toBe(200);
    return page;
  }

  const region = (page: Page, name: RegExp) => page.getByRole("region", { name });

  it("returns the store CONNECTED and its cluster's HSMs by AZ when a store was provisioned and connected", async () => {
    const page = await open();

    // The redirect dropped the token from the address; a cookie carries the access instead.
    expect(page.url()).toBe(`${env.account.endpoint}/_local/ui?refresh=1`);
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    const row = region(page, /^Key stores \(1\)$/).getByRole("row", { name: /status-page/ });
    expect(await row.getByRole("rowheader").textContent()).toBe("status-page");
    expect(await row.textContent()).toContain(env.storeId);
    expect(await row.textContent()).toContain("CONNECTED");
    // The store's history of connection states, on the simulated clock.
    expect(await row.locator("ol.changes li").allTextContents()).toEqual([
      expect.stringMatching(/^CONNECTING \d{4}-\d\d-\d\d \d\d:\d\d UTC$/),
      expect.stringMatching(/^CONNECTED \d{4}-\d\d-\d\d \d\d:\d\d UTC$/),
    ]);
    const cluster = region(page, /^CloudHSM clusters/).getByRole("row", { name: env.cluster.clusterId });
    const zones = await cluster.locator("ul.zones li").allTextContents();
    expect(zones).toHaveLength(new Set(env.cluster.hsms.map((h) => h.AvailabilityZone)).size);
    for (const hsm of env.cluster.hsms) {
      expect(zones.find((z) => z.startsWith(`${hsm.AvailabilityZone}: `))).toContain(`${hsm.HsmId} ACTIVE`);
    }
  });

  it("returns the key in the deleted keys once the simulated clock passes its deletion date, without a reload", async () => {
    const created = await env.kms.send(
      new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: env.storeId, Description: "<b>to delete</b>" }),
    );
    const keyId = created.KeyMetadata?.KeyId as string;
    await env.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const page = await open();
    const keys = region(page, /^KMS keys in custom key stores/);
    const pending = keys.getByRole("row", { name: keyId });
    expect(await pending.textContent()).toMatch(/PendingDeletion.*\(in 6d 23h\)/s);
    // The description is the user's text, shown as text.
    expect(await pending.getByRole("cell", { name: "<b>to delete</b>" }).count()).toBe(1);

    // KMS deletes the key within hours after its deletion date (local/account/kms/keys.ts).
    await env.account.advance("8d");

    // Auto-refresh brings the deletion in: the same page, never reloaded.
    const deleted = region(page, /^Keys deleted by KMS/).getByRole("row", { name: keyId });
    await deleted.waitFor();
    expect(await deleted.textContent()).toContain("SUCCESS");
    expect(await keys.getByRole("row", { name: keyId }).count()).toBe(0);
  });

  it("returns a failed execution with FAILED and the states it visited when it fails", async () => {
    const sfn = new SFNClient({
      endpoint: env.account.endpoint,
      region: env.account.region,
      credentials: CREDENTIALS,
      maxAttempts: 5,
    });
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: DESCRIBE,
        name: "status-page-missing-store",
        input: JSON.stringify({ customKeyStoreId: "cks-1234567890abcdef0" }),
      }),
    );
    let status = "RUNNING";
    while (status === "RUNNING") {
      status = (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status ?? "";
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe("FAILED");

    const page = await open();
    const row = region(page, /^Recent Step Functions executions/).getByRole("row", {
      name: /status-page-missing-store/,
    });
    expect(await row.getByRole("rowheader").textContent()).toBe("status-page-missing-store");
    expect(await row.getByRole("cell").nth(0).textContent()).toBe("describe-key-store");
    expect(await row.getByRole("cell").nth(1).textContent()).toBe("FAILED");
    expect(await row.getByRole("listitem").allTextContents()).toEqual([
      "DescribeKeyStore",
      "KeyStoreNotFound (failed here)",
    ]);
    expect(await row.textContent()).toContain("KeyStoreNotFound");
  });

  it("refuses the page and its JSON without the token, and the page's cookie opens no control route", async () => {
    const { endpoint, token } = env.account;
    const page = await context.newPage();

    const bare = await page.goto(`${endpoint}/_local/ui`);
    expect(bare?.status()).toBe(401);
    expect(await page.textContent("body")).not.toContain(env.storeId);
    const wrong = await page.goto(`${endpoint}/_local/ui?token=${"0".repeat(token.length)}`);
    expect(wrong?.status()).toBe(403);
    expect((await page.request.get(`${endpoint}/_local/ui/state.json`)).status()).toBe(401);
    expect(await context.cookies()).toEqual([]);

    await page.goto(statusPageUrl(endpoint, token));
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ path: "/_local/ui", httpOnly: true, sameSite: "Strict" });
    expect(cookie?.value).not.toContain(token);
    const state = await page.request.get(`${endpoint}/_local/ui/state.json`);
    expect(state.status()).toBe(200);
    expect(((await state.json()) as { keyStores: { id: string }[] }).keyStores.map((s) => s.id)).toEqual([env.storeId]);
    // Sent by hand where the browser would not send it: the cookie is not the control token.
    const control = await page.request.get(`${endpoint}/_local/clock`, {
      headers: { cookie: `${cookie?.name}=${cookie?.value}` },
    });
    expect(control.status()).toBe(401);
  });
});
