import type { Command } from "commander";
import { EXECUTION_ARN } from "../../src/validation";
import { type CommandContext, pretty } from "../command";
import { EXIT, UsageError } from "../errors";
import { clientsFor, describeTarget, resolveTarget } from "../target";
import { requireStateMachineArn, workflowWithCommand } from "../workflows";

/** `approve <execution>`: approves or denies an orphan-cleanup window (its registry entry lists `approve`). */
export function approveCommand(program: Command, { io, done, globals, waiting }: CommandContext): void {
  program
    .command("approve")
    .description("approve (or --deny) an orphan-cleanup window that waits for approval")
    .argument("<execution>", "the orphan-cleanup execution: its ARN, or its name")
    .option("--deny", "refuse the window: the execution ends DENIED and nothing is touched")
    .option("--reason <text>", "why (recorded in the execution when denying)")
    .addHelpText(
      "after",
      `
A window that waits has published an OrphanCleanupApprovalRequested alert naming the execution. Approving lets it
disconnect the key store, delete the orphans it re-checks with KMS, and reconnect; denying ends it with nothing done.
The task token is read from the execution's own history: it never travels through events or logs. The approver
recorded is your ARN (sts:GetCallerIdentity). Needs states:DescribeExecution, states:GetExecutionHistory and
states:SendTaskSuccess/SendTaskFailure (README "Approvers"); there is no other way to approve.

Examples:
  keystore-autopilot approve cleanup-cks-1234567890abcdef0-2026112403
  keystore-autopilot approve cleanup-cks-1234567890abcdef0-2026112403 --deny --reason "quarter-end freeze"`,
    )
    .action(async (execution: string, options: { deny?: boolean; reason?: string }, command) => {
      const opts = globals(command);
      const target = await resolveTarget(opts, waiting);
      const { sfn, sts } = clientsFor(target);
      const { StepFunctionsExecutions } = await import("../../src/adapters/executions");
      const executions = new StepFunctionsExecutions(sfn);
      const { callerArn } = await import("../../src/adapters/caller-identity");
      let executionArn = execution;
      if (!EXECUTION_ARN.test(execution)) {
        if (!/^[A-Za-z0-9_-]{1,80}$/.test(execution)) {
          throw new UsageError(`'${execution}' is neither an execution ARN nor an execution name`);
        }
        const machine = await requireStateMachineArn(
          sfn,
          workflowWithCommand("approve"),
          opts.stage,
          describeTarget(target),
        );
        executionArn = `${machine.replace(":stateMachine:", ":execution:")}:${execution}`;
      }
      const { ApprovalDecisionSchema, resolveApproval } = await import("../../src/workflows/orphan-cleanup/approval");
      const { parseOrThrow } = await import("../../src/validation");
      const { NotAwaitingApprovalError } = await import("../../src/workflows/orphan-cleanup/errors");
      const decision = options.deny ? "DENY" : "APPROVE";
      let approver: string;
      try {
        ({ approver } = await resolveApproval(
          { executions, caller: () => callerArn(sts) },
          parseOrThrow(ApprovalDecisionSchema, {
            executionArn,
            decision,
            ...(options.reason ? { reason: options.reason } : {}),
          }),
        ));
      } catch (error: unknown) {
        if (error instanceof NotAwaitingApprovalError || (error as Error).name === "ExecutionDoesNotExist") {
          throw new UsageError((error as Error).message);
        }
        throw error;
      }
      io.stdout.write(
        opts.json
          ? `${pretty({ executionArn, decision, approver })}\n`
          : decision === "APPROVE"
            ? `Approved by ${approver}: ${executionArn} opens its maintenance window\n`
            : `Denied by ${approver}: ${executionArn} ends with nothing touched\n`,
      );
      done(EXIT.ok);
    });
}
