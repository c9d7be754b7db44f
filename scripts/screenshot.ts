/**
 * Takes docs/status-page.png, the README's picture of the local account's status page, by hand:
 *
 *   npm run demo && npx tsx scripts/screenshot.ts
 *
 * It starts a copy of the demo's data directory (LOCAL_ACCOUNT_DATA, default .local-account-demo; the demo's own data
 * is left as it was) with the runtime, as `npm start` does, adds a key scheduled for deletion and an execution that
 * fails so every kind of row shows, and photographs the page in Debian's Chromium (CHROMIUM_PATH to use another).
 */
import { cpSync, existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CreateKeyCommand, DescribeCustomKeyStoresCommand, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { chromium } from "playwright-core";
import { patientKms } from "../local/account/driver";
import { CREDENTIALS, LocalAccountProcess, ROOT } from "../local/account/process";
import { statusPageUrl } from "../local/ui";

const SOURCE = resolve(process.env.LOCAL_ACCOUNT_DATA ?? ".local-account-demo");
const OUT = join(ROOT, "docs", "status-page.png");
/** The README's budget for the picture. */
const MAX_BYTES = 200 * 1024;

async function main(): Promise<void> {
  if (!existsSync(join(SOURCE, "state.sqlite"))) throw new Error(`No demo data in ${SOURCE}: run npm run demo first`);
  const dataDir = join(mkdtempSync(join(tmpdir(), "screenshot-")), "data");
  cpSync(SOURCE, dataDir, { recursive: true });
  const account = await LocalAccountProcess.start({ dataDir, entry: "local/start.ts" });
  try {
    const kms = patientKms(account);
    const storeId = (await kms.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores?.[0]?.CustomKeyStoreId;
    if (!storeId) throw new Error("The demo's data holds no key store");
    const key = await kms.send(
      new CreateKeyCommand({ Origin: "AWS_CLOUDHSM", CustomKeyStoreId: storeId, Description: "retired by the team" }),
    );
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyMetadata?.KeyId, PendingWindowInDays: 7 }));
    const sfn = new SFNClient({ endpoint: account.endpoint, region: account.region, credentials: CREDENTIALS });
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: `arn:aws:states:${account.region}:111122223333:stateMachine:keystore-autopilot-dev-describeKeyStore`,
        name: "describe-unknown-store",
        input: JSON.stringify({ customKeyStoreId: "cks-1234567890abcdef0" }),
      }),
    );
    while ((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status === "RUNNING") {
      await new Promise((r) => setTimeout(r, 100));
    }

    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" });
    try {
      // The top of the page: stores, clusters, keys, orphans and the latest executions (the failed one among them).
      const page = await browser.newPage({ viewport: { width: 1200, height: 1200 }, colorScheme: "light" });
      const url = new URL(statusPageUrl(account.endpoint, account.token));
      url.searchParams.set("refresh", "0");
      await page.goto(url.toString());
      await page.screenshot({ path: OUT });
    } finally {
      await browser.close();
    }
  } finally {
    await account.stop();
  }
  const size = statSync(OUT).size;
  console.log(`Wrote ${OUT} (${Math.round(size / 1024)} KiB)`);
  if (size > MAX_BYTES) throw new Error(`${OUT} is larger than ${MAX_BYTES / 1024} KiB: keep the README light`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
