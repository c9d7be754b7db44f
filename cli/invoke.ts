import { join, resolve } from "node:path";
import { Clock } from "../local/account/clock";
import { Store } from "../local/account/store";
import { type InvokeResult, LambdaHost } from "../local/runtime/lambda-host";
import { loadServerlessConfig } from "../local/runtime/serverless-config";
import { UsageError } from "./errors";
import { type LocalTarget, localDynamoDbEndpoint } from "./target";

/** The project root: serverless.yml and the handlers it names live there. */
export const ROOT = resolve(__dirname, "..");

/** Where `npm start` keeps its data (LOCAL_ACCOUNT_DATA, else .local-account): the resolved serverless.yml is cached there. */
export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.LOCAL_ACCOUNT_DATA ?? join(ROOT, ".local-account"));
}

/**
 * Runs one handler of serverless.yml once on an event, the way the local runtime runs it: serverless.yml resolved by
 * `osls print` (serverless-config.ts, cached), the function's own environment with the SDK pointed at the local
 * account, a warm-instance worker with Lambda's context and timeout (lambda-host.ts). Logs go where the runtime's go:
 * `<data dir>/logs/<function name>.log`.
 */
export async function invokeLocally(
  target: LocalTarget,
  request: { function: string; event: unknown; dataDir?: string },
): Promise<{ functionName: string; logFile: string; result: InvokeResult }> {
  const dataDir = request.dataDir ?? localDataDir();
  const config = await loadServerlessConfig({
    rootDir: ROOT,
    stage: target.stage,
    region: target.region,
    accountId: target.accountId,
  });
  // As local/start.ts deploys them: the orphan register's DynamoDB on its own port, and the test mode's CLI path.
  const dynamodb = await localDynamoDbEndpoint(target);
  const cliPath = process.env.LOCAL_RUNTIME_CLOUDHSM_CLI_PATH;
  for (const fn of Object.values(config.functions)) {
    if (dynamodb) fn.environment.AWS_ENDPOINT_URL_DYNAMODB ??= dynamodb;
    if (cliPath && "CLOUDHSM_CLI_PATH" in fn.environment) fn.environment.CLOUDHSM_CLI_PATH = cliPath;
  }
  const store = new Store(":memory:");
  const logDir = join(dataDir, "logs");
  // The handler reads the account's simulated time, as it does on the runtime (the offset when the CLI asked).
  const clock = new Clock(store);
  clock.advance(Math.max(0, Date.parse(target.now) - Date.now()));
  // The CLI layer copied under the data directory, as the runtime does: the CLI's configuration is written beside it.
  const host = new LambdaHost(config, {
    endpoint: target.endpoint,
    logDir,
    store,
    clock,
    layerDir: join(dataDir, "layer"),
  });
  const fn = host.resolve(request.function);
  if (!fn) {
    await host.stop();
    store.close();
    const known = Object.keys(config.functions);
    throw new UsageError(`Unknown function '${request.function}'. Functions in serverless.yml: ${known.join(", ")}`);
  }
  try {
    const result = await host.invoke(fn, request.event);
    return { functionName: fn.name, logFile: join(logDir, `${fn.name}.log`), result };
  } finally {
    await host.stop();
    store.close();
  }
}
