import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import type { Command } from "commander";
import { KEY_ARN } from "../../src/validation";
import type { CommandContext } from "../command";
import { UsageError } from "../errors";
import { startAndReport } from "../report";
import { checkExecutionName, defaultExecutionName } from "../start";
import { clientsFor, describeTarget, resolveTarget } from "../target";
import { requireStateMachineArn, validateInput, workflowWithCommand } from "../workflows";

/** A whole number option, or a usage error naming it. */
function days(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${option} must be a whole number of days, not '${value}'`);
  return Number(value);
}

/**
 * `retire <key>`: starts retire-key for a key (its ARN, id or alias, resolved with DescribeKey) and follows it
 * through the probation: sugar over `start retire-key`, with the input built from the options.
 */
export function retireCommand(program: Command, { io, done, globals, waiting }: CommandContext): void {
  program
    .command("retire")
    .description("retire a KMS key of a CloudHSM key store: disable it, watch for uses, then schedule its deletion")
    .argument("<key>", "the key: ARN, key id or alias/<name>")
    .option("--probation-days <n>", "days the key stays disabled, watched for uses, before its deletion (0-90)", "14")
    .option("--pending-window-days <n>", "ScheduleKeyDeletion's waiting period (7-30)", "30")
    .option("--force", "schedule the deletion even if the key was used during the probation")
    .option("-n, --name <name>", "execution name (default: retire-key-<UTC time>-<random>)")
    .option("--no-follow", "print the execution ARN and return at once")
    .addHelpText(
      "after",
      `
The key is disabled at once; every use during the probation is refused by KMS and recorded (CloudTrail must log read
events). After the probation its deletion is scheduled, unless someone used it (then it stays Disabled, the
execution fails with KeyUsedDuringProbation and an alert names the callers) or --force is given. The deletion
follow-up takes over from there. The probation is a Wait: it costs nothing while it waits.

Examples:
  keystore-autopilot retire arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
  keystore-autopilot retire alias/legacy-payments --probation-days 30 --pending-window-days 7
  keystore-autopilot retire 1234abcd-12ab-34cd-56ef-1234567890ab --no-follow --json`,
    )
    .action(
      async (
        key: string,
        options: { probationDays: string; pendingWindowDays: string; force?: boolean; name?: string; follow: boolean },
        command,
      ) => {
        const opts = globals(command);
        const workflow = workflowWithCommand("retire");
        const probationDays = days("--probation-days", options.probationDays);
        const pendingWindowInDays = days("--pending-window-days", options.pendingWindowDays);
        const chosen = options.name !== undefined ? checkExecutionName(options.name) : undefined;
        const target = await resolveTarget(opts, waiting);
        const { sfn, kms } = clientsFor(target);
        let keyArn = key;
        if (!KEY_ARN.test(key)) {
          const found = await kms.send(new DescribeKeyCommand({ KeyId: key })).catch((error: unknown) => {
            if ((error as Error).name === "NotFoundException") throw new UsageError(`no KMS key ${key} here`);
            throw error;
          });
          keyArn = found.KeyMetadata?.Arn ?? key;
        }
        const input = validateInput(workflow, {
          keyArn,
          ...(probationDays !== undefined ? { probationDays } : {}),
          ...(pendingWindowInDays !== undefined ? { pendingWindowInDays } : {}),
          ...(options.force ? { force: true } : {}),
        });
        const where = describeTarget(target);
        const stateMachineArn = await requireStateMachineArn(sfn, workflow, opts.stage, where);
        const name =
          chosen ?? defaultExecutionName(workflow.name, target.kind === "local" ? new Date(target.now) : new Date());
        const code = await startAndReport(io, sfn, target, {
          workflow,
          stateMachineArn,
          name,
          input,
          follow: options.follow,
          json: Boolean(opts.json),
          heading: `Retiring ${keyArn} as ${name} on ${where}`,
        });
        done(code);
      },
    );
}
