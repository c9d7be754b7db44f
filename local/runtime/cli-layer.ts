import { chmodSync, copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

const LOCAL_BIN = resolve(__dirname, "../bin");

/**
 * The local stand-in for the CloudHSM CLI layer: local/bin's cloudhsm-cli and configure-cli copied to
 * `<dir>/opt/cloudhsm/bin`, so their configuration (`<dir>/opt/cloudhsm/etc/cloudhsm-cli.cfg`, found beside the
 * binaries as in /opt/cloudhsm) belongs to one runtime or one test account and nothing is written into the repository.
 * Returns the CLI's path. Idempotent.
 */
export function installCliLayer(dir: string): string {
  const bin = join(dir, "opt", "cloudhsm", "bin");
  mkdirSync(bin, { recursive: true });
  mkdirSync(join(dir, "opt", "cloudhsm", "etc"), { recursive: true });
  for (const name of ["cloudhsm-cli", "configure-cli"]) {
    copyFileSync(join(LOCAL_BIN, name), join(bin, name));
    chmodSync(join(bin, name), 0o755);
  }
  return join(bin, "cloudhsm-cli");
}
