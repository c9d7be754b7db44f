import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { packagedFunctions, sdkPackagesRequired, type Template } from "../scripts/package-checks";
import type { Figures } from "./run";
import { median, round } from "./stats";

const ROOT = resolve(__dirname, "..");
/** Starts per function: medians of 7 moved by up to 0.3x between runs on a 2-core VM; 15 hold steadier. */
const RUNS = Number(process.env.BUNDLES_BENCH_RUNS ?? 15);

/**
 * Loads a handler from its unzipped bundle and sends it one event, then exits: the time from spawn to exit is the
 * cold start up to the first handled event. The event is one no handler accepts (every schema rejects the unknown
 * field, and an empty event would be selfCheck's valid input, which runs six SDK calls), so each handler ends in its
 * input validation or in an SDK call refused at once by a closed port: module load, clients, middy and Powertools
 * init, zod, no network.
 */
const OUTCOME = "@@outcome:";
const RUNNER = `
const OUTCOME = ${JSON.stringify(OUTCOME)};
const [file, exportName] = process.argv.slice(2);
const context = { functionName: "bench", awsRequestId: "bench-1", getRemainingTimeInMillis: () => 30000 };
Promise.resolve()
  .then(() => require(file)[exportName]({ coldStartBench: true }, context))
  .then(() => "ok", (e) => (e && e.name) || "error")
  .then((outcome) => { process.stdout.write("\\n" + OUTCOME + String(outcome)); process.exit(0); });
`;

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/**
 * A script that loads the given AWS SDK packages and makes each client package's client, as a handler's module scope
 * does: the floor a function that needs those clients cannot go under.
 */
function floorScript(packages: string): string {
  const list = packages.split(" ").filter(Boolean);
  return `for (const p of ${JSON.stringify(list)}) { const m = require(p); if (p.startsWith("@aws-sdk/client-")) {
    const C = Object.entries(m).find(([k, v]) => /^[A-Z][A-Za-z0-9]*Client$/.test(k) && v?.prototype?.send)?.[1];
    new C({ region: "us-east-1" }); } }`;
}

type Fn = { key: string; zip: string; handlerFile: string; exportName: string; env: Record<string, string> };

/** The functions of a packaged template, with their zip, handler and environment (CloudFormation values stubbed). */
function functionsOf(dir: string): Fn[] {
  const template = JSON.parse(readFileSync(join(dir, "cloudformation-template-update-stack.json"), "utf8")) as Template;
  return packagedFunctions(dir, template)
    .map((fn) => ({
      key: basename(fn.zip, ".zip"),
      zip: fn.zip,
      handlerFile: fn.handlerFile,
      exportName: fn.exportName,
      env: Object.fromEntries(
        Object.entries(fn.variables).map(([k, v]) => [
          k,
          typeof v === "string" ? v : `arn:aws:states:us-east-1:123456789012:stateMachine:bench-${k.toLowerCase()}`,
        ]),
      ),
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

const timed = (command: string, args: string[], env: NodeJS.ProcessEnv): { ms: number; stdout: string } => {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout };
};

/**
 * Per-function bundle size (the zip `osls package` deploys) and cold start in a fresh Node process (this Node, 22)
 * against a bare `node -e ''`, median of RUNS interleaved runs. Packages first unless BUNDLES_DIR names an existing
 * package directory (to measure another build the same way). `@aws-sdk/*` is not in the zips (Lambda's nodejs22.x
 * runtime provides it); here it resolves from the project's node_modules through NODE_PATH, as from the runtime's.
 */
export async function bundlesBench(dir = process.env.BUNDLES_DIR): Promise<Figures> {
  let packageDir = dir;
  if (!packageDir) {
    execFileSync("bash", [join(ROOT, "scripts", "package.sh")], { cwd: ROOT, stdio: "inherit" });
    packageDir = join(ROOT, ".serverless");
  }
  const work = mkdtempSync(join(tmpdir(), "bundles-bench-"));
  const runner = join(work, "runner.cjs");
  writeFileSync(runner, RUNNER);
  const figures: Figures = {};
  try {
    const fns = functionsOf(packageDir);
    const bare: number[] = [];
    const cold = new Map<string, number[]>(fns.map((f) => [f.key, []]));
    const outcomes = new Map<string, string>();
    for (const fn of fns) {
      mkdirSync(join(work, fn.key));
      execFileSync("unzip", ["-q", fn.zip, "-d", join(work, fn.key)]);
    }
    const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    // Each function's floor: the AWS SDK packages its bundle loads, loaded and their clients made, nothing else.
    const packagesOf = new Map(
      fns.map((fn) => [
        fn.key,
        // Package names without their scope (client-kms): the floor requires them by their full name.
        sdkPackagesRequired(readFileSync(join(work, fn.key, fn.handlerFile), "utf8")).map((p) => `@aws-sdk/${p}`),
      ]),
    );
    const floorSets = [...new Set([...packagesOf.values()].map((p) => p.join(" ")))];
    const floors = new Map<string, number[]>(floorSets.map((set) => [set, []]));
    const sdkEnv = { ...baseEnv, NODE_PATH: join(ROOT, "node_modules") };
    for (let run = 0; run < RUNS; run++) {
      bare.push(timed(process.execPath, ["-e", ""], baseEnv).ms);
      for (const set of floorSets) {
        floors.get(set)?.push(timed(process.execPath, ["-e", floorScript(set)], sdkEnv).ms);
      }
      for (const fn of fns) {
        const env: NodeJS.ProcessEnv = {
          ...baseEnv,
          ...fn.env,
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "bench",
          AWS_SECRET_ACCESS_KEY: "bench",
          AWS_ENDPOINT_URL: "http://127.0.0.1:9",
          AWS_MAX_ATTEMPTS: "1",
          AWS_LAMBDA_FUNCTION_NAME: fn.key,
          AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
          NODE_PATH: join(ROOT, "node_modules"),
        };
        const { ms, stdout } = timed(
          process.execPath,
          [runner, join(work, fn.key, fn.handlerFile), fn.exportName],
          env,
        );
        cold.get(fn.key)?.push(ms);
        outcomes.set(fn.key, stdout.slice(stdout.lastIndexOf(OUTCOME) + OUTCOME.length));
      }
    }
    const bareMs = median(bare);
    figures[`bare node -e '' (ms, median of ${RUNS})`] = round(bareMs);
    const kms = floors.get("@aws-sdk/client-kms");
    if (kms) figures["one AWS SDK client alone (KMS) / bare node"] = ratio(median(kms), bareMs);
    let largest = 0;
    let worst = 0;
    let worstOverFloor = 0;
    for (const fn of fns) {
      const kib = statSync(fn.zip).size / 1024;
      const ms = median(cold.get(fn.key) ?? []);
      largest = Math.max(largest, kib);
      worst = Math.max(worst, ms / bareMs);
      figures[`${fn.key}: zipped (KiB)`] = round(kib);
      const set = (packagesOf.get(fn.key) ?? []).join(" ");
      const floorMs = median(floors.get(set) ?? []);
      worstOverFloor = Math.max(worstOverFloor, ms / floorMs);
      figures[`${fn.key}: @aws-sdk packages loaded`] = set;
      figures[
        `${fn.key}: cold start to first handled event (ms, median of ${RUNS}; ended in ${outcomes.get(fn.key)})`
      ] = round(ms);
      figures[`${fn.key}: its SDK clients alone (ms, median of ${RUNS})`] = round(floorMs);
      figures[`${fn.key}: cold start / its SDK clients alone (goal <= 1.3)`] = ratio(ms, floorMs);
    }
    figures["largest zip (KiB; target <= 250)"] = round(largest);
    figures["worst cold start / bare node"] = Math.round(worst * 100) / 100;
    figures["median cold start / bare node, over the functions"] = ratio(
      median(fns.map((fn) => median(cold.get(fn.key) ?? []))),
      bareMs,
    );
    figures["worst cold start / its SDK clients alone, over the functions (goal <= 1.3)"] =
      Math.round(worstOverFloor * 100) / 100;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return figures;
}
