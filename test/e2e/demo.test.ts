import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CREDENTIALS, LocalAccountProcess, ROOT } from "../../local/account/process";

/** Runs `local/demo.ts` as `npm run demo` does, in its own process, to its end. */
function runDemo(dataDir: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "--import", "tsx", "local/demo.ts"],
      {
        cwd: ROOT,
        env: { ...process.env, LOCAL_ACCOUNT_DATA: dataDir },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (status) => resolvePromise({ status, stdout, stderr }));
  });
}

/** Every secret value (each version's password or private key) under the demo's key store and cluster. */
async function secretValues(sm: SecretsManagerClient, secretIds: string[]): Promise<string[]> {
  const values: string[] = [];
  for (const secretId of secretIds) {
    const described = await sm.send(new DescribeSecretCommand({ SecretId: secretId })).catch(() => undefined);
    for (const versionId of Object.keys(described?.VersionIdsToStages ?? {})) {
      const value = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }));
      const parsed = JSON.parse(value.SecretString ?? "{}") as { password?: string; privateKey?: string };
      if (parsed.password) values.push(parsed.password);
      // A PEM's body, without the armour lines every PEM shares.
      if (parsed.privateKey) values.push(parsed.privateKey.split("\n").slice(1, -2).join(""));
    }
  }
  return values;
}

describe("npm run demo", () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), "demo-")), "data");
  let run: { status: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    run = await runDemo(dataDir);
  }, 300_000);

  it("exits 0 with every step OK when run on a fresh local account", () => {
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^(\d+)\/\1 steps OK, /m);
    expect(run.stdout).not.toContain("✘");
    expect(run.stdout).toMatch(/^Executions: \d+ /m);
    expect(run.stdout).not.toMatch(/^Executions: .*(FAILED|TIMED_OUT|ABORTED)/m);
    expect(run.stdout).toContain(`LOCAL_ACCOUNT_DATA=${dataDir} npm start`);
    expect(run.stdout).toContain("npx keystore-autopilot status");
    expect(run.stdout).toContain("http://127.0.0.1:4599/_local/ui?token=");
  });

  it("returns a timeline with each workflow's execution and result when the store's life runs through them", () => {
    const lines = run.stdout;
    expect(lines).toMatch(/↳ provision-key-store demo-r1 SUCCEEDED: CONNECTED, 2 HSMs/);
    expect(lines).toMatch(/↳ connect-key-store cks-[0-9a-f]{16}-provision-\S+ SUCCEEDED: CONNECTED/);
    expect(lines).toMatch(/backingKeysDeletionStatus: SUCCESS, FAILURE/);
    expect(lines).toMatch(/↳ deletion-follow-up followup-[0-9a-f-]{36}-\d{14} SUCCEEDED: MATERIAL_DELETED/);
    expect(lines).toMatch(/↳ deletion-follow-up followup-[0-9a-f-]{36}-\d{14} SUCCEEDED: ORPHAN_REGISTERED/);
    expect(lines).toMatch(/↳ connect-key-store demo-reconnect SUCCEEDED: CONNECTED/);
    expect(lines).toMatch(/OrphanedKeyMaterial alert booked cleanup-cks-[0-9a-f]{16}-\d{10}/);
    expect(lines).toMatch(
      /↳ orphan-cleanup cleanup-cks-[0-9a-f]{16}-\d{10} SUCCEEDED: SUCCEEDED, CONNECTED, deleted 1, remaining 0/,
    );
    expect(lines).toContain("CloudTrail: 1 DisconnectCustomKeyStore, 1 ConnectCustomKeyStore");
    expect(lines).toMatch(/↳ connect-key-store demo-rotate SUCCEEDED: CONNECTED/);
    expect(lines).toMatch(/saw FAILED\/INVALID_CREDENTIALS, reset kmsuser and reconnected: CONNECTED/);
    expect(lines).toMatch(/↳ connect-key-store cks-[0-9a-f]{16}-watch-\S+ SUCCEEDED: CONNECTED/);
    expect(lines).toMatch(/↳ retire-key demo-retire SUCCEEDED: DELETION_SCHEDULED/);
    expect(lines).toMatch(/Decrypt by arn:aws:iam::\d{12}:\S+ reported; DELETION_SCHEDULED \(forced\)/);
    expect(lines).toMatch(
      /CLOSED: [0-9a-f]{8} \(KMS deleted it; \d+ backups gone\), [0-9a-f]{8} \(orphan-cleanup deleted it; \d+ backups gone\)/,
    );
    expect(lines).toMatch(/npx keystore-autopilot proof arn:aws:kms:\S+:key\/[0-9a-f-]{36}/);
    // Simulated and real time on every step line.
    expect(lines).toMatch(/^\[sim \+\d+d\d+h\s*\] \[real\s+[\d.]+s\] {2}✔ /m);
  });

  it("returns a summary table with one OK row per step", () => {
    const table = run.stdout.slice(run.stdout.indexOf("\nSummary\n"));
    for (const step of [
      "Provision a key store (provision-key-store, managed CA)",
      "Use the keys inside the HSMs",
      "Disconnect the store while KMS deletes the second key",
      "Fast-forward a day: the follow-ups end",
      "The cleanup window removes the orphan (orphan-cleanup)",
      "Rotate kmsuser's password (connect-key-store, mode rotate)",
      "Fast-forward 16d under a 7-day retention: the backups expire, the proofs close",
      "Every execution ended as it should",
    ]) {
      expect(table).toMatch(new RegExp(`^${step.replace(/[()]/g, "\\$&")}\\s+OK\\s`, "m"));
    }
    expect(table).toMatch(/Executions: .*1 orphan-cleanup SUCCEEDED/);
    expect(table).toMatch(/Executions: .*2 deletion-follow-up SUCCEEDED/);
    expect(table).toMatch(/Executions: .*1 retire-key SUCCEEDED/);
  });

  it("returns no password or CA private key in the demo's output or the function logs", async () => {
    const storeId = /(cks-[0-9a-f]{16}) CONNECTED on (cluster-\w+)/.exec(run.stdout);
    expect(storeId).not.toBeNull();
    const [, id, clusterId] = storeId as RegExpExecArray;
    const account = await LocalAccountProcess.start({ dataDir });
    try {
      const sm = new SecretsManagerClient({
        endpoint: account.endpoint,
        region: account.region,
        credentials: CREDENTIALS,
      });
      const secrets = await secretValues(sm, [
        `keystore-autopilot/kmsuser/${id}`,
        `keystore-autopilot/admin/${clusterId}`,
        `keystore-autopilot/initial-kmsuser/${clusterId}`,
        `keystore-autopilot/managed-ca/${clusterId}`,
      ]);
      // The admin password, the CA's private key, kmsuser's initial password and the labelled versions of its rotation
      // secret (Secrets Manager lists only versions that still carry a staging label).
      expect(new Set(secrets).size).toBeGreaterThanOrEqual(4);
      const logDir = join(dataDir, "logs");
      const logs = readdirSync(logDir).map((file) => readFileSync(join(logDir, file), "utf8"));
      const captured = [run.stdout, run.stderr, ...logs].join("\n");
      for (const secret of secrets) expect(captured.includes(secret)).toBe(false);
    } finally {
      await account.stop();
    }
  });
});
