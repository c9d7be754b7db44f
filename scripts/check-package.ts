/**
 * Run by scripts/package.sh after `osls package`: fails (exit 1) on any IAM, alarm, log retention, tracing or
 * bundle size violation in .serverless/, listing each one. `npm test` ends with the package step, so CI runs it.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  bundleSizes,
  checkBundleSizes,
  checkIam,
  checkObservability,
  checkOwnRoles,
  checkSdkIntegrations,
  MAX_ZIP_BYTES,
  type Template,
} from "./package-checks";

const dir = resolve(process.argv[2] ?? join(__dirname, "..", ".serverless"));
const template = JSON.parse(readFileSync(join(dir, "cloudformation-template-update-stack.json"), "utf8")) as Template;
const sizes = bundleSizes(dir);
const problems = [
  ...checkIam(template),
  ...checkOwnRoles(template),
  ...checkSdkIntegrations(template),
  ...checkObservability(template),
  ...checkBundleSizes(sizes),
];
const largest = sizes[0];
if (problems.length > 0) {
  console.error(`package checks: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(1);
}
console.log(
  `package checks: ok (IAM least privilege, own roles, alarms, log retention, tracing; ${sizes.length} zips, ` +
    `largest ${largest?.file} ${((largest?.bytes ?? 0) / 1024).toFixed(1)} KiB <= ${MAX_ZIP_BYTES / 1024} KiB)`,
);
