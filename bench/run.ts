import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { connectBench } from "./connect.bench";
import { followUpBench } from "./follow-up.bench";
import { localAccountBench } from "./local-account.bench";
import { provisionBench } from "./provision.bench";
import { runtimeBench } from "./runtime.bench";

/** A benchmark returns named figures; the runner stamps the machine and writes bench/results/<name>.json. */
export type Figures = Record<string, number | string>;
type Bench = { name: string; run: () => Promise<Figures> };

const BENCHES: Bench[] = [
  { name: "local-account", run: localAccountBench },
  { name: "runtime", run: runtimeBench },
  { name: "connect", run: connectBench },
  { name: "follow-up", run: () => followUpBench() },
  // --- provision-key-store (issue 7) ---
  { name: "provision", run: provisionBench },
];

async function main(): Promise<void> {
  const only = process.argv[2];
  const dir = join(__dirname, "results");
  mkdirSync(dir, { recursive: true });
  const machine = {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  for (const bench of BENCHES.filter((b) => !only || b.name === only)) {
    console.log(`bench ${bench.name}...`);
    const figures = await bench.run();
    const result = { bench: bench.name, date: new Date().toISOString(), machine, figures };
    writeFileSync(join(dir, `${bench.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    console.table(figures);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
