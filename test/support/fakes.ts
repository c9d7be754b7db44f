import type { CliRun } from "../../src/adapters/cloudhsm-cli";
import { type Retirement, RetirementInProgressError, type Retirements } from "../../src/ports/retirements";
import type { SecretsStore } from "../../src/ports/secrets";

/** The unit tests' shared fakes: one of each, so a port's change is made once. */

type StoredSecret = { versions: Map<string, string>; stages: Map<string, string> };

/**
 * An in-memory secrets store with Secrets Manager's staging labels: `initial` values are AWSCURRENT versions; a
 * version written to a secret never ensured is SecretNotFoundError, as Secrets Manager answers. `data` shows what was
 * written.
 */
export function memorySecrets(
  initial: Record<string, string> = {},
): SecretsStore & { data: Map<string, StoredSecret> } {
  const data = new Map<string, StoredSecret>(
    Object.entries(initial).map(([id, value]) => [
      id,
      { versions: new Map([["initial", value]]), stages: new Map([["AWSCURRENT", "initial"]]) },
    ]),
  );
  const get = (id: string) => {
    const s = data.get(id);
    if (!s) throw Object.assign(new Error("not found"), { name: "SecretNotFoundError" });
    return s;
  };
  return {
    data,
    exists: async (id) => data.get(id)?.stages.has("AWSCURRENT") === true,
    ensure: async (name) => {
      if (!data.has(name)) data.set(name, { versions: new Map(), stages: new Map() });
      return name;
    },
    current: async (id) => {
      const s = data.get(id);
      const v = s?.stages.get("AWSCURRENT");
      return v ? s?.versions.get(v) : undefined;
    },
    version: async (id, versionId) => data.get(id)?.versions.get(versionId),
    stages: async (id) => {
      const out: Record<string, string[]> = {};
      for (const [stage, v] of get(id).stages) out[v] = [...(out[v] ?? []), stage];
      return out;
    },
    put: async (id, versionId, value, stages) => {
      const s = get(id);
      s.versions.set(versionId, value);
      for (const stage of stages) s.stages.set(stage, versionId);
    },
    promote: async (id, versionId) => {
      const s = get(id);
      s.stages.set("AWSCURRENT", versionId);
      if (s.stages.get("AWSPENDING") === versionId) s.stages.delete("AWSPENDING");
    },
  };
}

/** A CloudHSM CLI run that succeeded with `data` (CloudHSM User Guide, cloudhsm_cli-reference: error_code 0). */
export const cliOk = (data: unknown): CliRun => ({ stdout: JSON.stringify({ error_code: 0, data }), exitCode: 0 });
/** A CloudHSM CLI run that failed with the message `data`. */
export const cliFailed = (data: string): CliRun => ({ stdout: JSON.stringify({ error_code: 1, data }), exitCode: 1 });

/** The retirements port in memory, with the adapter's rules: one in probation per key, a retry gets it as stored. */
export function memoryRetirements(): Retirements & { data: Map<string, Retirement> } {
  const data = new Map<string, Retirement>();
  return {
    data,
    begin: async (r) => {
      const existing = data.get(r.keyArn);
      if (existing?.state === "PROBATION") {
        if (existing.execution === r.execution) return existing;
        throw new RetirementInProgressError(r.keyArn, existing.execution);
      }
      const opened: Retirement = { ...r, state: "PROBATION", uses: [], moreUses: false };
      data.set(r.keyArn, opened);
      return opened;
    },
    takeOver: async (r, from) => {
      const existing = data.get(r.keyArn);
      if (existing?.state !== "PROBATION" || existing.execution !== from) {
        if (existing?.execution === r.execution) return existing;
        throw new RetirementInProgressError(r.keyArn, existing?.execution ?? "unknown");
      }
      const opened: Retirement = { ...r, state: "PROBATION", uses: [], moreUses: false };
      data.set(r.keyArn, opened);
      return opened;
    },
    get: async (keyArn) => data.get(keyArn),
    recordUse: async (keyArn, use) => {
      const r = data.get(keyArn);
      if (r?.state !== "PROBATION") return "not-retiring";
      r.uses.push(use);
      return "recorded";
    },
    finish: async (keyArn, execution, state) => {
      const r = data.get(keyArn);
      if (r?.execution === execution) r.state = state;
    },
  };
}
