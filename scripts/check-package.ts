/**
 * Run by scripts/package.sh after `osls package`: fails (exit 1) on any IAM, SDK client, VPC, name length, delivery,
 * workflow registry, alarm, log retention, tracing, task timeout, retry policy or bundle size violation in the packaged
 * directory, listing each one.
 * Usage: tsx scripts/check-package.ts <dir> <region>. `npm test` ends with the package step, so CI runs it.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  bundleSizes,
  checkArnForms,
  checkBundleSizes,
  checkCliVpc,
  checkIam,
  checkNameLengths,
  checkNothingDropped,
  checkObservability,
  checkOwnRoles,
  checkRetainedNames,
  checkRetryPolicies,
  checkRuleSources,
  checkSdkClients,
  checkSdkIntegrations,
  checkSecretKinds,
  checkSecretPolicies,
  checkSecretsKey,
  checkSignals,
  checkTaskTimeouts,
  checkWorkflowRegistry,
  MAX_ZIP_BYTES,
  packagedFunctions,
  type Template,
} from "./package-checks";
import { readZipEntry } from "./zip";

const dir = resolve(process.argv[2] ?? join(__dirname, "..", ".serverless"));
/** The Region it was packaged for: generated names contain it. */
const region = process.argv[3] ?? "us-east-1";
const template = JSON.parse(readFileSync(join(dir, "cloudformation-template-update-stack.json"), "utf8")) as Template;
const sizes = bundleSizes(dir);
/** Each function's handler source, read from its zip. */
const bundles = new Map<string, string>();
for (const fn of packagedFunctions(dir, template)) {
  const source = readZipEntry(fn.zip, fn.handlerFile);
  if (source !== undefined) bundles.set(fn.id, source);
}
const problems = [
  ...checkIam(template),
  ...checkArnForms(template),
  ...checkSecretKinds(template),
  ...checkSecretPolicies(template),
  ...checkSecretsKey(template),
  ...checkOwnRoles(template),
  ...checkSdkIntegrations(template),
  ...checkSdkClients(template, bundles),
  ...checkCliVpc(template),
  ...checkNameLengths(template, region),
  ...checkNothingDropped(template),
  ...checkRuleSources(template),
  ...checkRetainedNames(template),
  ...checkTaskTimeouts(template),
  ...checkWorkflowRegistry(template),
  ...checkRetryPolicies(template),
  ...checkObservability(template),
  ...checkSignals(template),
  ...checkBundleSizes(sizes),
];
const largest = sizes[0];
if (problems.length > 0) {
  console.error(`package checks: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(1);
}
console.log(
  `package checks: ok (IAM least privilege, ARNs built one way, secrets by kind and their policies, own roles, SDK clients match roles, CLI functions in the VPC, names within limits in ${region}, ` +
    `nothing dropped silently, rules match only AWS's and our own sources, no fixed name on retained resources, task timeouts, one retry policy per kind of error, every workflow registered, alarms, the dashboard and the store alarms, log retention, tracing; ${sizes.length} zips, ` +
    `largest ${largest?.file} ${((largest?.bytes ?? 0) / 1024).toFixed(1)} KiB <= ${MAX_ZIP_BYTES / 1024} KiB)`,
);
