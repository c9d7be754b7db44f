import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { resultsReadme } from "./run";

/**
 * The long reliability campaign: `npm run campaign -- --seeds 1000 --parts 2` splits the seeds of the reliability
 * suite (test/reliability) over parts run side by side (one local account each), then merges their figures into
 * bench/results/reliability.json. Each part writes its figures after every batch of scenarios, so a stopped campaign
 * still shows what it measured. A failing seed replays alone: `RELIABILITY_FIRST_SEED=n RELIABILITY_SEEDS=1 npm run
 * test:reliability`. `--merge <dir>` merges the part files in a directory: those a stopped campaign left (its directory is printed first)
 * and earlier merged campaigns.
 */
const ROOT = resolve(__dirname, "..");

type Part = {
  generatedAt: string;
  node: string;
  commit?: string;
  machine?: string;
  seeds: { first: number; count: number };
  scenarios: number;
  violations: Record<string, unknown[]>;
  results: {
    seed: number;
    workflow: string;
    faults: { kind?: unknown }[];
    executions: { status: string; error?: string }[];
    stuck: string[];
  }[];
} & Record<string, unknown>;

/** Writes the merged figures; in bench/results the tables of its README are written again too. */
function writeMerged(out: string, merged: Record<string, unknown>): void {
  const file = resolve(ROOT, out);
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  if (dirname(file) === join(ROOT, "bench", "results"))
    writeFileSync(join(dirname(file), "README.md"), resultsReadme(dirname(file)));
}

const thisMachine = `${cpus()[0]?.model ?? "unknown"}, ${cpus().length} cores`;

/** A campaign merged earlier: its parts are listed and its scenarios are already lines. */
type Merged = {
  node: string;
  seeds: {
    count: number;
    planned: number;
    parts: { first: number; planned: number; ran: number; commit?: string; machine?: string }[];
  };
  violations: Record<string, unknown[]>;
  results: string[];
} & Record<string, unknown>;

const isMerged = (p: Part | Merged): p is Merged => "parts" in p.seeds;

/** One line per scenario, the seed first. */
function resultLine(r: Part["results"][number]): string {
  return `${r.seed} ${r.workflow} [${r.faults.map((f) => String(f.kind)).join(",") || "none"}]: ${r.executions
    .map((e) => `${e.status}${e.error ? `(${e.error})` : ""}`)
    .join(", ")}${r.stuck.length ? `; STUCK ${r.stuck.length}` : ""}`;
}

/**
 * Sums the parts' counts, joins their violations and keeps one line per scenario (the full records stay in the parts).
 * A part may be an earlier merged campaign, so a campaign run in several sittings adds up; each part names its commit.
 */
export function mergeParts(parts: (Part | Merged)[], elapsedMs?: number): Record<string, unknown> {
  const sum = (key: string) => parts.reduce((n, p) => n + (typeof p[key] === "number" ? (p[key] as number) : 0), 0);
  const counts = (key: string) => {
    const out: Record<string, number> = {};
    for (const p of parts)
      for (const [k, v] of Object.entries((p[key] ?? {}) as Record<string, number>)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const numeric = Object.keys(parts[0] ?? {}).filter((k) => typeof parts[0]?.[k] === "number");
  const violations: Record<string, unknown[]> = {};
  for (const p of parts)
    for (const [k, v] of Object.entries(p.violations)) violations[k] = [...(violations[k] ?? []), ...v];
  // A stopped part ran fewer scenarios than it planned: the count is what ran.
  const seeds = parts.flatMap((p) =>
    isMerged(p)
      ? p.seeds.parts
      : [
          {
            first: p.seeds.first,
            planned: p.seeds.count,
            ran: p.scenarios,
            commit: p.commit ?? "unknown",
            machine: p.machine ?? thisMachine,
          },
        ],
  );
  return {
    generatedAt: new Date().toISOString(),
    node: parts[0]?.node,
    machine: [...new Set(seeds.map((p) => p.machine ?? thisMachine))].join("; "),
    seeds: { count: sum("scenarios"), planned: seeds.reduce((n, p) => n + p.planned, 0), parts: seeds },
    // Known only when this process ran the parts (not for --merge).
    ...(elapsedMs === undefined ? {} : { wallMinutes: Math.round(elapsedMs / 600) / 100 }),
    ...Object.fromEntries(numeric.filter((k) => k !== "scenarios").map((k) => [k, sum(k)])),
    scenarios: sum("scenarios"),
    workflows: counts("workflows"),
    faultsByKind: counts("faultsByKind"),
    violations,
    results: parts
      .flatMap((p) => (isMerged(p) ? p.results : p.results.map(resultLine)))
      .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10)),
  };
}

function runPart(first: number, count: number, file: string): Promise<number> {
  return new Promise((done) => {
    const child = spawn(join(ROOT, "node_modules/.bin/jest"), ["--selectProjects", "reliability"], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_OPTIONS: "--disable-warning=ExperimentalWarning",
        RELIABILITY_FIRST_SEED: String(first),
        RELIABILITY_SEEDS: String(count),
        RELIABILITY_RESULTS: file,
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("exit", (code) => done(code ?? 1));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: "string", default: "1000" },
      first: { type: "string", default: "1" },
      parts: { type: "string", default: String(Math.max(1, cpus().length)) },
      out: { type: "string", default: "bench/results/reliability.json" },
      /** Merge the part files of an earlier (perhaps stopped) campaign in this directory instead of running one. */
      merge: { type: "string" },
    },
  });
  if (values.merge) {
    const dir = values.merge;
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    if (files.length === 0) throw new Error(`--merge: no .json part files in ${dir}`);
    const parts = files.map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Part | Merged);
    const merged = mergeParts(parts);
    writeMerged(values.out, merged);
    console.log(`campaign: merged ${files.length} parts, ${merged.scenarios} scenarios, into ${values.out}`);
    return;
  }
  const seeds = Number(values.seeds);
  const first = Number(values.first);
  const partCount = Number(values.parts);
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds: a positive whole number, not ${values.seeds}`);
  if (!Number.isInteger(first) || first < 1) throw new Error(`--first: a positive whole number, not ${values.first}`);
  if (!Number.isInteger(partCount) || partCount < 1)
    throw new Error(`--parts: a positive whole number, not ${values.parts}`);
  const dir = mkdtempSync(join(tmpdir(), "reliability-campaign-"));
  const size = Math.ceil(seeds / partCount);
  const plan = Array.from({ length: partCount }, (_, i) => ({
    first: first + i * size,
    count: Math.min(size, seeds - i * size),
    file: join(dir, `part-${i + 1}.json`),
  })).filter((p) => p.count > 0);
  console.log(`campaign: ${seeds} seeds from ${first} in ${plan.length} parts; parts' figures in ${dir}`);
  const started = Date.now();
  const codes = await Promise.all(plan.map((p) => runPart(p.first, p.count, p.file)));
  const parts = plan.map((p) => JSON.parse(readFileSync(p.file, "utf8")) as Part | Merged);
  const merged = mergeParts(parts, Date.now() - started);
  writeMerged(values.out, merged);
  const found = Object.entries(merged.violations as Record<string, unknown[]>).filter(([, v]) => v.length > 0);
  console.log(
    `campaign: ${merged.scenarios} scenarios; violations: ${found.length ? found.map(([k, v]) => `${k} ${v.length}`).join(", ") : "none"}`,
  );
  process.exitCode = codes.some((c) => c !== 0) || found.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`campaign: ${(error as Error).message}`);
    process.exitCode = 2;
  });
}
