import * as z from "zod/mini";
import { type Executions, TaskEndedError } from "../../ports/executions";
import { EXECUTION_ARN } from "../../validation";
import { NotAwaitingApprovalError } from "./errors";

/**
 * What an approver decides. There is no field for who decides: that is the caller's authenticated identity.
 * Approvals come only through Step Functions calls IAM authorizes (SendTaskSuccess/SendTaskFailure with the token
 * from GetExecutionHistory), never through an event anyone with events:PutEvents could put on a bus.
 */
export const ApprovalDecisionSchema = z.strictObject({
  executionArn: z.string().check(z.regex(EXECUTION_ARN, "executionArn must be an orphan-cleanup execution ARN")),
  decision: z.enum(["APPROVE", "DENY"]),
  reason: z.optional(z.string().check(z.maxLength(512))),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

/**
 * Approves or denies a waiting orphan-cleanup (`keystore-autopilot approve`). The task token is read from the
 * execution's own history (the approval task's parameters), so it never travels through events or logs; the
 * approver is the caller's ARN from sts:GetCallerIdentity, recorded in the task's output (or the denial's cause),
 * while CloudTrail records the SendTaskSuccess/SendTaskFailure caller independently.
 */
export async function resolveApproval(
  ports: {
    executions: Executions;
    /** The ARN of whoever calls, from their credentials (sts:GetCallerIdentity), never a name they type. */
    caller: () => Promise<string>;
  },
  req: ApprovalDecision,
): Promise<{ executionArn: string; decision: "APPROVE" | "DENY"; approver: string }> {
  const { executions } = ports;
  const status = await executions.status(req.executionArn);
  if (status !== "RUNNING") throw new NotAwaitingApprovalError(req.executionArn, `it is ${status}`);
  const task = await executions.waitingTask(req.executionArn);
  if (task === "ended") throw new NotAwaitingApprovalError(req.executionArn, "its approval has already ended");
  if (!task) throw new NotAwaitingApprovalError(req.executionArn, "it has not asked for one");
  const approver = await ports.caller();
  try {
    if (req.decision === "APPROVE") {
      await executions.succeedTask(task.taskToken, { approved: true, approvedBy: approver });
    } else {
      await executions.failTask(task.taskToken, {
        error: "ApprovalDeniedError",
        cause: req.reason ? `${req.reason} (denied by ${approver})` : `Denied by ${approver}`,
      });
    }
  } catch (error: unknown) {
    if (error instanceof TaskEndedError) {
      throw new NotAwaitingApprovalError(req.executionArn, "its approval has already ended");
    }
    throw error;
  }
  return { executionArn: req.executionArn, decision: req.decision, approver };
}
