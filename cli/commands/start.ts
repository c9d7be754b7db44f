import type { Command } from "commander";
import type { CommandContext } from "../command";
import { UsageError } from "../errors";
import { startAndReport } from "../report";
import { checkExecutionName, defaultExecutionName } from "../start";
import { clientsFor, describeTarget, resolveTarget } from "../target";
import {
  findWorkflow,
  inputFields,
  listWorkflows,
  readJsonArgument,
  requireStateMachineArn,
  validateInput,
} from "../workflows";

function workflowsHelp(): string {
  const lines = listWorkflows().map((w) => {
    const fields = inputFields(w);
    const commands = w.cli?.commands?.length ? `; commands: ${w.cli.commands.join(", ")}` : "";
    return `  ${w.name.padEnd(22)} input: {${fields.join(", ")}}  (state machine ${w.stateMachine}${commands})`;
  });
  return `\nWorkflows (src/workflows/index.ts):\n${lines.join("\n")}\n`;
}

/** `start <workflow>`: checks the input against the registry's schema, starts an execution and follows it. */
export function startCommand(program: Command, { io, done, globals, waiting }: CommandContext): void {
  program
    .command("start")
    .description("start a workflow execution and follow it state by state to its result")
    .argument("<workflow>", "workflow name (see the list below)")
    .option("-i, --input <file|json>", "input: a JSON file, inline JSON, or - for stdin", "{}")
    .option("-n, --name <name>", "execution name (default: <workflow>-<UTC time>-<random>)")
    .option("--no-follow", "print the execution ARN and return at once")
    .option("--dry-run", "for workflows that take dryRun (orphan-cleanup): report what would be done, touch nothing")
    .addHelpText(
      "after",
      () =>
        `${workflowsHelp()}
The input is checked against the workflow's schema before anything starts. Following shows each state entered
and left, failed attempts and retries, and waits (with their end on the local account's simulated clock).
Ends with SUCCEEDED and the output (exit 0) or FAILED with the error and its cause (exit 1).

Examples:
  keystore-autopilot start describe-key-store --input '{"customKeyStoreId":"cks-1234567890abcdef0"}'
  keystore-autopilot start describe-key-store --input test/events/describe-key-store.json --name my-check-1
  echo '{"customKeyStoreId":"cks-1234567890abcdef0"}' | keystore-autopilot start describe-key-store --input - --json`,
    )
    .action(
      async (
        workflowName: string,
        options: { input: string; name?: string; follow: boolean; dryRun?: boolean },
        command,
      ) => {
        const opts = globals(command);
        const workflow = findWorkflow(workflowName);
        let raw = readJsonArgument("--input", options.input, io.readStdin);
        if (options.dryRun) {
          if (!inputFields(workflow).some((f) => f.replace(/\?$/, "") === "dryRun")) {
            throw new UsageError(`${workflow.name} has no dry run (its input takes no dryRun)`);
          }
          if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
            throw new UsageError("--dry-run needs the input to be a JSON object");
          }
          raw = { ...raw, dryRun: true };
        }
        const input = validateInput(workflow, raw);
        const chosen = options.name !== undefined ? checkExecutionName(options.name) : undefined;
        const target = await resolveTarget(opts, waiting);
        // Default names carry the time the execution starts: the simulated time on the local account.
        const { sfn } = clientsFor(target);
        const where = describeTarget(target);
        const stateMachineArn = await requireStateMachineArn(sfn, workflow, opts.stage, where);
        // A workflow may name its executions itself (its registry entry's cli.executionName).
        const attemptName =
          chosen === undefined && workflow.cli?.executionName === "key-store-attempt"
            ? await (await import("../provision-name")).provisionExecutionName(sfn, stateMachineArn, input)
            : undefined;
        const name =
          chosen ??
          attemptName ??
          defaultExecutionName(workflow.name, target.kind === "local" ? new Date(target.now) : new Date());
        const code = await startAndReport(io, sfn, target, {
          workflow,
          stateMachineArn,
          name,
          input,
          follow: options.follow,
          json: Boolean(opts.json),
          heading: `Started ${workflow.name} as ${name} on ${where}`,
        });
        done(code);
      },
    );
}
