import { spawn } from "node:child_process";
import { join } from "node:path";
import { type LocalAccountProcess, ROOT } from "../../local/account/process";

const BIN = join(ROOT, "bin/keystore-autopilot");

export type CliRun = { code: number | null; stdout: string; stderr: string };

/**
 * The `keystore-autopilot` bin as a user runs it against `account` (stdout and stderr are pipes, so progress goes to
 * stderr); `stdin` is what the user types.
 */
export function runAutopilot(account: LocalAccountProcess, args: string[], stdin = ""): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        LOCAL_ACCOUNT_ENDPOINT: account.endpoint,
        LOCAL_ACCOUNT_DATA: account.dataDir,
        NO_COLOR: "1",
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
