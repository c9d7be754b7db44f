import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../support/local-account";

describe("npm run demo", () => {
  it("exits 0 and finds the orphaned key material when run on a fresh local account", () => {
    const run = spawnSync(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "--import", "tsx", "local/demo.ts"],
      {
        cwd: ROOT,
        env: { ...process.env, LOCAL_ACCOUNT_DATA: join(mkdtempSync(join(tmpdir(), "demo-")), "data") },
        encoding: "utf8",
        timeout: 90_000,
      },
    );

    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("backingKeysDeletionStatus: SUCCESS, FAILURE");
    expect(run.stdout).toMatch(/orphaned key material found: arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36}/);
    expect(run.stdout).not.toContain("DemoKmsuserPassw0rd");
    expect(run.stdout).not.toContain("DemoAdminPassw0rd");
  });
});
