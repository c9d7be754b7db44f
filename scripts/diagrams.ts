/**
 * `npm run diagrams`: one Mermaid `stateDiagram-v2` per state machine of serverless.yml, written to
 * docs/diagrams.md. The definitions come from the same resolution the local runtime uses (`osls print` through
 * local/runtime/serverless-config.ts: `${file()}` includes and CloudFormation references resolved), so every
 * statemachines/*.asl.yml wired into serverless.yml is drawn, new ones included. test/unit/scripts/diagrams.test.ts
 * fails when docs/diagrams.md is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadServerlessConfig, type RuntimeConfig } from "../local/runtime/serverless-config";

type Raw = Record<string, unknown>;
const asRecord = (v: unknown): Raw => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Raw) : {});
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export const ROOT = resolve(__dirname, "..");
export const DIAGRAMS_FILE = join(ROOT, "docs", "diagrams.md");

/** Names Task resources: function ARNs by serverless.yml key, state machine ARNs by key. */
export type Names = { functions: Map<string, string>; stateMachines: Map<string, string> };

const MERMAID_KEYWORDS = new Set(["state", "note", "end", "direction", "class", "classDef", "click", "style"]);

/** Mermaid-safe text for labels and descriptions: no line breaks, quotes or statement separators. */
const text = (s: string) => s.replace(/\s+/g, " ").replace(/"/g, "'").replace(/;/g, ",").replace(/#/g, "no.").trim();

const COMPARATORS: Record<string, string> = {
  Equals: "=",
  LessThan: "＜",
  GreaterThan: "＞",
  LessThanEquals: "≤",
  GreaterThanEquals: "≥",
  Matches: "matches",
};

/** A Choice rule as a short condition: `$.a.b = "X"`, `$.n ≥ 3`, `$.x is present`, `not (…)`, `… and …`. */
export function condition(rule: Raw): string {
  if (Array.isArray(rule.And)) return rule.And.map((r) => wrap(condition(asRecord(r)))).join(" and ");
  if (Array.isArray(rule.Or)) return rule.Or.map((r) => wrap(condition(asRecord(r)))).join(" or ");
  if (rule.Not !== undefined) return `not ${wrap(condition(asRecord(rule.Not)))}`;
  if (typeof rule.Condition === "string") return rule.Condition; // JSONata
  const variable = String(rule.Variable ?? "?");
  for (const [key, value] of Object.entries(rule)) {
    if (key === "Variable" || key === "Next") continue;
    if (key === "IsPresent") return `${variable} ${value ? "is present" : "is absent"}`;
    if (key === "IsNull") return `${variable} ${value ? "is null" : "is not null"}`;
    const type = /^Is(String|Numeric|Boolean|Timestamp)$/.exec(key);
    if (type) return `${variable} ${value ? "is" : "is not"} ${type[1]?.toLowerCase()}`;
    const m =
      /^(String|Numeric|Boolean|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals|Matches)(Path)?$/.exec(
        key,
      );
    if (m) {
      const op = COMPARATORS[m[2] ?? ""] ?? m[2];
      const operand = m[3] ? String(value) : typeof value === "string" ? `"${value}"` : JSON.stringify(value);
      return `${variable} ${op} ${operand}`;
    }
  }
  return variable;
}
const wrap = (s: string) => (/ (and|or) /.test(s) ? `(${s})` : s);

/** What a Task does, for its description: the function key, the SDK call, or the nested state machine. */
export function taskTarget(state: Raw, names: Names): string {
  const resource = String(state.Resource ?? "");
  const params = asRecord(state.Parameters ?? state.Arguments);
  const fn = names.functions.get(resource);
  if (fn) return `λ ${fn}`;
  const sdk = /^arn:aws:states:::aws-sdk:([^:]+):(.+)$/.exec(resource);
  if (sdk) return `${sdk[1]}:${sdk[2]}`;
  if (resource.startsWith("arn:aws:states:::lambda:invoke")) {
    const target = String(params.FunctionName ?? "");
    return `λ ${names.functions.get(target.replace(/:\$LATEST$/, "")) ?? target}`;
  }
  const nested = /^arn:aws:states:::states:startExecution(.*)$/.exec(resource);
  if (nested) {
    const arn = String(params.StateMachineArn ?? "");
    return `starts ${names.stateMachines.get(arn) ?? arn}${nested[1]}`;
  }
  const integration = /^arn:aws:states:::(.+)$/.exec(resource);
  return integration ? String(integration[1]) : resource;
}

/** Renders one state machine definition as the lines of a `stateDiagram-v2` (without the fence). */
export function renderDiagram(definition: Raw, names: Names): string[] {
  const lines = ["stateDiagram-v2"];
  const ids = new Map<string, string>();
  const failStates: string[] = [];
  const used = new Set<string>();
  const id = (name: string): string => {
    const known = ids.get(name);
    if (known) return known;
    let candidate = name.replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z]/.test(candidate) || MERMAID_KEYWORDS.has(candidate)) candidate = `s_${candidate}`;
    while (used.has(candidate)) candidate = `${candidate}_`;
    used.add(candidate);
    ids.set(name, candidate);
    return candidate;
  };

  // Declarations (renamed, choice and composite states) come before any transition that names them, so Mermaid
  // never creates a plain state first.
  const renderScope = (scope: Raw, indent: string) => {
    const states = Object.entries(asRecord(scope.States)).map(([name, raw]) => [name, asRecord(raw)] as const);
    const out = (line: string) => lines.push(`${indent}${line}`);
    for (const [name, state] of states) {
      const sid = id(name);
      if (sid !== name) out(`state "${text(name)}" as ${sid}`);
      if (state.Type === "Choice") out(`state ${sid} <<choice>>`);
      if (state.Type === "Map" || state.Type === "Parallel") {
        out(`state ${sid} {`);
        if (state.Type === "Map") renderScope(asRecord(state.ItemProcessor ?? state.Iterator), `${indent}  `);
        asList(state.Branches).forEach((branch, i) => {
          if (i > 0) lines.push(`${indent}  --`);
          renderScope(asRecord(branch), `${indent}  `);
        });
        out("}");
      }
    }
    out(`[*] --> ${id(String(scope.StartAt))}`);
    for (const [name, state] of states) {
      const sid = id(name);
      const type = String(state.Type);
      if (type === "Choice") {
        for (const rule of asList(state.Choices)) {
          const r = asRecord(rule);
          out(`${sid} --> ${id(String(r.Next))} : ${text(condition(r))}`);
        }
        if (state.Default !== undefined) out(`${sid} --> ${id(String(state.Default))} : otherwise`);
        continue;
      }
      if (type === "Map") out(`${sid} : Map over ${text(String(state.ItemsPath ?? state.Items ?? "$"))}`);
      else if (type === "Parallel") out(`${sid} : Parallel`);
      else if (type === "Task") out(`${sid} : ${text(taskTarget(state, names))}`);
      else if (type === "Wait") {
        const until = state.Seconds ?? state.SecondsPath ?? state.Timestamp ?? state.TimestampPath;
        out(`${sid} : wait ${text(String(until))}${state.Seconds !== undefined ? " s" : ""}`);
      } else if (type === "Fail") {
        out(`${sid} : ${text(String(state.Error ?? state.ErrorPath ?? "Fail"))}`);
        failStates.push(sid);
      }
      const retries = asList(state.Retry).map(asRecord);
      if (retries.length > 0) {
        const what = retries.map((r) => `${asList(r.ErrorEquals).join(", ")} ×${r.MaxAttempts ?? 3}`).join(" · ");
        out(`${sid} : retry ${text(what)}`);
      }
      for (const c of asList(state.Catch).map(asRecord)) {
        out(`${sid} --> ${id(String(c.Next))} : catch ${text(asList(c.ErrorEquals).join(", "))}`);
      }
      if (type === "Succeed" || type === "Fail" || state.End === true) out(`${sid} --> [*]`);
      else if (state.Next !== undefined) out(`${sid} --> ${id(String(state.Next))}`);
    }
  };

  renderScope(definition, "  ");
  if (failStates.length > 0) {
    lines.push("  classDef failed fill:#fde2e1,stroke:#c0392b,color:#7b241c");
    for (const sid of failStates) lines.push(`  class ${sid} failed`);
  }
  return lines;
}

export type Machine = { key: string; name: string; file?: string; definition: Raw };

/** The whole docs/diagrams.md. */
export function renderDocument(machines: Machine[], names: Names): string {
  const parts = [
    "# State machine diagrams",
    "",
    "Generated from the ASL files by `npm run diagrams` (scripts/diagrams.ts) through the same `osls print`",
    "resolution the local runtime uses; do not edit by hand: test/unit/scripts/diagrams.test.ts fails when this page",
    "is stale.",
    "",
    "Reading them: `λ key` is a Lambda task (the function's key in serverless.yml), `kms:…` a direct SDK",
    "integration; diamonds are Choice states with each branch's condition; `catch …` edges name the errors they",
    "take; `retry …` lists the retried errors and the attempts; Map and Parallel states are composite; red states",
    "are named `Fail` states.",
  ];
  for (const m of machines) {
    const comment = typeof m.definition.Comment === "string" ? m.definition.Comment : undefined;
    parts.push("", `## ${m.key}`, "");
    parts.push(`\`${m.name}\`${m.file ? ` from [${m.file}](../${m.file})` : ""}${comment ? `: ${comment}` : ""}.`);
    parts.push("", "```mermaid", ...renderDiagram(m.definition, names), "```");
  }
  return `${parts.join("\n")}\n`;
}

/** The state machines of a resolved serverless.yml, each with the ASL file its `${file()}` names. */
export function machinesOf(config: RuntimeConfig, serverlessYml: string): { machines: Machine[]; names: Names } {
  const files = [...serverlessYml.matchAll(/^\s+definition:\s*\$\{file\(([^)]+)\)\}/gm)].map((m) => m[1] ?? "");
  const list = Object.values(config.stateMachines);
  const machines = list.map((sm, i) => ({
    key: sm.key,
    name: sm.name,
    ...(files.length === list.length ? { file: files[i] } : {}),
    definition: sm.definition,
  }));
  const names: Names = {
    functions: new Map(Object.values(config.functions).map((f) => [f.arn, f.key])),
    stateMachines: new Map(list.map((sm) => [sm.arn, sm.key])),
  };
  return { machines, names };
}

/** Renders docs/diagrams.md from serverless.yml as it is now (osls print, cached by content hash). */
export async function generate(root = ROOT): Promise<string> {
  const config = await loadServerlessConfig({
    rootDir: root,
    cacheDir: join(tmpdir(), "keystore-autopilot-diagrams"),
    region: "us-east-1",
    accountId: "123456789012",
  });
  const { machines, names } = machinesOf(config, readFileSync(join(root, "serverless.yml"), "utf8"));
  return renderDocument(machines, names);
}

if (require.main === module) {
  generate()
    .then((doc) => {
      writeFileSync(DIAGRAMS_FILE, doc);
      console.log(`wrote ${DIAGRAMS_FILE}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
