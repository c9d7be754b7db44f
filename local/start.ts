import { resolve } from "node:path";
import { LocalAccount } from "./account/account";
import { configFromEnv } from "./account/config";
import { LocalDynamoDb } from "./runtime/dynamodb";
import { LocalRuntime } from "./runtime/runtime";
import { loadServerlessConfig, paramsFromText } from "./runtime/serverless-config";
import { registerStatusPage, statusPageUrl } from "./ui";
import { orphanRegisterSource } from "./ui/orphans";

/**
 * `npm start`: the local account plus the local runtime deployed from serverless.yml (resolved by `osls print`).
 * LOCAL_RUNTIME_STAGE picks the stage (default dev); LOCAL_RUNTIME_DUPLICATES and LOCAL_RUNTIME_REORDER=on turn on the
 * at-least-once test mode; LOCAL_RUNTIME_CLOUDHSM_CLI_PATH points the CLI-running functions at another binary;
 * LOCAL_RUNTIME_STORE_CHECK=on runs the 5-minute store check; LOCAL_RUNTIME_PARAMS ("backupCopyRegions=eu-west-1")
 * overrides serverless.yml params as `osls --param` does (pairs separated by ";").
 * `local/account/main.ts` still runs the account alone.
 */
async function main(): Promise<void> {
  const config = configFromEnv();
  const duplicates = Number(process.env.LOCAL_RUNTIME_DUPLICATES ?? 0);
  if (!Number.isInteger(duplicates) || duplicates < 0 || duplicates > 10) {
    throw new Error("Invalid LOCAL_RUNTIME_DUPLICATES: use an integer from 0 to 10");
  }
  const account = new LocalAccount(config);
  // Held until the runtime is deployed: a client that waits for the port must find every state machine.
  const endpoint = await account.start({ hold: true });
  console.log(`Deploying serverless.yml onto ${endpoint}: requests wait until it is deployed`);
  const wiring = await loadServerlessConfig({
    rootDir: resolve(__dirname, ".."),
    region: config.region,
    accountId: config.accountId,
    ...(process.env.LOCAL_RUNTIME_STAGE ? { stage: process.env.LOCAL_RUNTIME_STAGE } : {}),
    params: paramsFromText(process.env.LOCAL_RUNTIME_PARAMS),
  });
  // The orphan register's DynamoDB: its own loopback port, handed to functions as AWS_ENDPOINT_URL_DYNAMODB.
  const dynamodb = await LocalDynamoDb.start({ dataDir: config.dataDir, host: config.host, region: config.region });
  await dynamodb.createTables(wiring.resources, config.region);
  for (const fn of Object.values(wiring.functions)) fn.environment.AWS_ENDPOINT_URL_DYNAMODB ??= dynamodb.endpoint;
  // Test mode: every function that runs the CloudHSM CLI gets this path instead (e.g. a missing binary).
  const cliPath = process.env.LOCAL_RUNTIME_CLOUDHSM_CLI_PATH;
  if (cliPath) {
    for (const fn of Object.values(wiring.functions)) {
      if ("CLOUDHSM_CLI_PATH" in fn.environment) fn.environment.CLOUDHSM_CLI_PATH = cliPath;
    }
  }
  // The store check (serverless.yml connectCheckStores) fires every 5 simulated minutes: 288 invocations a simulated
  // day, and tests advance days at a time. Off here unless LOCAL_RUNTIME_STORE_CHECK=on (its e2e test turns it on).
  if (process.env.LOCAL_RUNTIME_STORE_CHECK !== "on") {
    for (const rule of wiring.rules) {
      if (rule.scheduleExpression && rule.target.kind === "function" && rule.target.key === "connectCheckStores") {
        rule.enabled = false;
      }
    }
  }
  account.ctx.front.route("GET", "/_local/dynamodb", () => ({ endpoint: dynamodb.endpoint }));
  const orphanTable = Object.values(wiring.functions).find((f) => f.environment.ORPHAN_TABLE_NAME)?.environment
    .ORPHAN_TABLE_NAME;
  registerStatusPage(account, {
    ...(orphanTable
      ? {
          orphans: orphanRegisterSource({ endpoint: dynamodb.endpoint, region: config.region, tableName: orphanTable }),
        }
      : {}),
  });
  const runtime = await LocalRuntime.deploy(account, wiring, {
    delivery: { duplicates, reorder: process.env.LOCAL_RUNTIME_REORDER === "on" },
  });
  account.ready();
  const counts = `${Object.keys(wiring.functions).length} functions, ${Object.keys(wiring.stateMachines).length} state machines, ${wiring.rules.length} rules`;
  console.log(`Local runtime deployed ${wiring.service} (${wiring.stage}): ${counts}`);
  console.log(`Local account listening on ${endpoint} (region ${config.region}, account ${config.accountId})`);
  console.log(`DynamoDB (orphan register) on ${dynamodb.endpoint}`);
  console.log(`Data directory: ${config.dataDir}`);
  console.log(`Control token for /_local/* (header x-local-account-token): ${account.controlToken}`);
  console.log(`  also in ${account.tokenFile} (0600), which the keystore-autopilot CLI reads`);
  console.log(`Status page (read-only; the link sets a cookie): ${statusPageUrl(endpoint, account.controlToken)}`);
  console.log(`Try: aws --endpoint-url ${endpoint} stepfunctions list-state-machines`);
  const stop = () => {
    runtime
      .stop()
      .then(() => account.stop())
      .then(() => dynamodb.stop())
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
