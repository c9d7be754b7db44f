import type { Command } from "commander";
import { type CommandContext, pretty, targetJson } from "../command";
import { EXIT } from "../errors";
import { collectStatus, renderStatus, statusPageLink } from "../status";
import { clientsFor, describeTarget, resolveTarget } from "../target";
import { listWorkflows } from "../workflows";

/** `status`: key stores, keys pending deletion and recent executions of every registered workflow. */
export function statusCommand(program: Command, { io, done, globals, waiting }: CommandContext): void {
  program
    .command("status")
    .description(
      "list key stores and their connection states, keys pending deletion with their due dates, recent executions",
    )
    .addHelpText(
      "after",
      `
Key stores come from DescribeCustomKeyStores; pending deletions are keys of CloudHSM key stores in PendingDeletion
(ListKeys + DescribeKey); executions are the 10 most recent of each registered workflow (ListExecutions). On the
local account, due dates are compared with its simulated clock, and the status ends with a link to its status page.

Examples:
  keystore-autopilot status
  keystore-autopilot status --json | jq '.pendingDeletions'
  keystore-autopilot --aws --region eu-west-1 status`,
    )
    .action(async (_options, command) => {
      const opts = globals(command);
      const target = await resolveTarget(opts, waiting);
      const clients = clientsFor(target);
      const now = target.kind === "local" ? target.now : new Date().toISOString();
      const report = await collectStatus(clients, { workflows: listWorkflows(), stage: opts.stage, now });
      io.stdout.write(
        opts.json
          ? `${pretty({ target: targetJson(target), ...report })}\n`
          : `${renderStatus(report, describeTarget(target), target.kind === "local" ? statusPageLink(target) : undefined)}\n`,
      );
      done(EXIT.ok);
    });
}
