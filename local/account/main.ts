import { registerStatusPage, statusPageUrl } from "../ui";
import { LocalAccount } from "./account";
import { configFromEnv } from "./config";

/** `npm start`: runs the local account until interrupted and prints where it listens. */
async function main(): Promise<void> {
  const config = configFromEnv();
  const account = new LocalAccount(config);
  registerStatusPage(account);
  const endpoint = await account.start();
  console.log(`Local account listening on ${endpoint} (region ${config.region}, account ${config.accountId})`);
  console.log(`Data directory: ${config.dataDir}`);
  console.log(`Control token for /_local/* (header x-local-account-token): ${account.controlToken}`);
  console.log(`  also in ${account.tokenFile} (0600), which the keystore-autopilot CLI reads`);
  console.log(`Status page (read-only; the link sets a cookie): ${statusPageUrl(endpoint, account.controlToken)}`);
  console.log(`Try: aws --endpoint-url ${endpoint} kms describe-custom-key-stores`);
  const stop = () => {
    account.stop().finally(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
