import { DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import type { Command } from "commander";
import { EXECUTION_ARN } from "../../src/validation";
import type { CommandContext } from "../command";
import { UsageError } from "../errors";
import { followAndReport } from "../report";
import { clientsFor, describeTarget, resolveTarget } from "../target";
import { listWorkflows, stateMachineName } from "../workflows";

/** `follow <execution-arn>`: follows an execution that runs (or ended), as start does. */
export function followCommand(program: Command, { io, done, globals, waiting }: CommandContext): void {
  program
    .command("follow")
    .description("follow an execution that is already running (or finished) to its result, as start does")
    .argument("<execution-arn>", "the execution's ARN, as start --no-follow or status --json print it")
    .addHelpText(
      "after",
      `
Shows the execution's history from its start, then follows it; exit codes as for start.

Examples:
  keystore-autopilot follow arn:aws:states:us-east-1:111122223333:execution:keystore-autopilot-dev-describeKeyStore:my-check-1`,
    )
    .action(async (executionArn: string, _options, command) => {
      const opts = globals(command);
      const match = EXECUTION_ARN.exec(executionArn);
      if (!match)
        throw new UsageError(
          `'${executionArn}' is not an execution ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<name>)`,
        );
      const [, machine, name] = match as unknown as [string, string, string];
      const workflow = listWorkflows().find((w) => stateMachineName(w, opts.stage) === machine)?.name ?? machine;
      const target = await resolveTarget(opts, waiting);
      const { sfn } = clientsFor(target);
      try {
        await sfn.send(new DescribeExecutionCommand({ executionArn }));
      } catch (error: unknown) {
        if ((error as Error).name === "ExecutionDoesNotExist") {
          throw new UsageError(`No execution ${executionArn} in ${describeTarget(target)}`);
        }
        throw error;
      }
      const heading = `Following ${workflow} execution ${name} on ${describeTarget(target)}`;
      done(await followAndReport(io, sfn, target, { executionArn, name, workflow, json: Boolean(opts.json), heading }));
    });
}
