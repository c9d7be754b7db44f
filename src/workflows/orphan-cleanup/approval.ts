import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
} from "@aws-sdk/client-sfn";
import * as z from "zod/mini";
import { callerArn } from "../../caller-identity";
import type { SfnPort, StsPort } from "../../ports/clients";
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

const APPROVAL_RESOURCE = "invoke.waitForTaskToken";
const CLOSING = new Set(["TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskAborted"]);

/**
 * Approves or denies a waiting orphan-cleanup (`keystore-autopilot approve`). The task token is read from the
 * execution's own history (the approval task's parameters), so it never travels through events or logs; the
 * approver is the caller's ARN from sts:GetCallerIdentity, recorded in the task's output (or the denial's cause),
 * while CloudTrail records the SendTaskSuccess/SendTaskFailure caller independently.
 */
export async function resolveApproval(
  ports: { sfn: SfnPort; sts: StsPort },
  req: ApprovalDecision,
): Promise<{ executionArn: string; decision: "APPROVE" | "DENY"; approver: string }> {
  const { sfn } = ports;
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: req.executionArn }));
  if (execution.status !== "RUNNING") {
    throw new NotAwaitingApprovalError(req.executionArn, `it is ${execution.status}`);
  }
  const token = await waitingToken(sfn, req.executionArn);
  const approver = await callerArn(ports.sts);
  try {
    if (req.decision === "APPROVE") {
      await sfn.send(
        new SendTaskSuccessCommand({
          taskToken: token,
          output: JSON.stringify({ approved: true, approvedBy: approver }),
        }),
      );
    } else {
      await sfn.send(
        new SendTaskFailureCommand({
          taskToken: token,
          error: "ApprovalDeniedError",
          cause: req.reason ? `${req.reason} (denied by ${approver})` : `Denied by ${approver}`,
        }),
      );
    }
  } catch (error: unknown) {
    const name = (error as Error).name;
    if (name === "TaskTimedOut" || name === "TaskDoesNotExist" || name === "InvalidToken") {
      throw new NotAwaitingApprovalError(req.executionArn, "its approval has already ended");
    }
    throw error;
  }
  return { executionArn: req.executionArn, decision: req.decision, approver };
}

async function waitingToken(sfn: SfnPort, executionArn: string): Promise<string> {
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100, nextToken }),
    );
    for (const event of page.events ?? []) {
      const found = approvalEvent(event);
      if (found === "closed") throw new NotAwaitingApprovalError(executionArn, "its approval has already ended");
      if (found) return found;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  throw new NotAwaitingApprovalError(executionArn, "it has not asked for one");
}

/** The token of an approval task that was scheduled, `closed` for one that ended, undefined for anything else. */
function approvalEvent(event: HistoryEvent): string | "closed" | undefined {
  if (event.type && CLOSING.has(event.type)) {
    const details =
      event.taskSucceededEventDetails ??
      event.taskFailedEventDetails ??
      event.taskTimedOutEventDetails ??
      (event as { taskAbortedEventDetails?: { resource?: string } }).taskAbortedEventDetails;
    return details?.resource === APPROVAL_RESOURCE ? "closed" : undefined;
  }
  if (event.type !== "TaskScheduled" || event.taskScheduledEventDetails?.resource !== APPROVAL_RESOURCE)
    return undefined;
  try {
    const parameters = JSON.parse(event.taskScheduledEventDetails.parameters ?? "{}") as {
      Payload?: { taskToken?: unknown };
    };
    return typeof parameters.Payload?.taskToken === "string" ? parameters.Payload.taskToken : undefined;
  } catch {
    return undefined;
  }
}
