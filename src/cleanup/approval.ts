import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import * as z from "zod/mini";
import { parseOrThrow } from "../validation";
import { NotAwaitingApprovalError } from "./errors";

export const OPERATOR_SOURCE = "keystore-autopilot.operator";
export const APPROVAL_DETAIL_TYPE = "Orphan Cleanup Approval";
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{1,80}$/;

export const ApprovalDecisionSchema = z.strictObject({
  executionArn: z.string().check(z.regex(EXECUTION_ARN, "executionArn must be an orphan-cleanup execution ARN")),
  decision: z.enum(["APPROVE", "DENY"]),
  reason: z.optional(z.string().check(z.maxLength(512))),
  by: z.optional(z.string().check(z.maxLength(128))),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

/** The operator event that resolves an approval, as EventBridge delivers it. */
export const ApprovalEventSchema = z.object({
  source: z.literal(OPERATOR_SOURCE),
  "detail-type": z.literal(APPROVAL_DETAIL_TYPE),
  detail: ApprovalDecisionSchema,
});

const APPROVAL_RESOURCE = "invoke.waitForTaskToken";
const CLOSING = new Set(["TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskAborted"]);

/**
 * Approves or denies a waiting orphan-cleanup. The task token is read from the execution's own history (the
 * approval task's parameters), so it never travels through events or logs. Used by the CLI (`approve`) and by the
 * operator-event handler: one way to do it.
 */
export async function resolveApproval(
  sfn: Pick<SFNClient, "send">,
  raw: unknown,
): Promise<{ executionArn: string; decision: "APPROVE" | "DENY" }> {
  const req = parseOrThrow(ApprovalDecisionSchema, raw);
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: req.executionArn }));
  if (execution.status !== "RUNNING") {
    throw new NotAwaitingApprovalError(req.executionArn, `it is ${execution.status}`);
  }
  const token = await waitingToken(sfn, req.executionArn);
  try {
    if (req.decision === "APPROVE") {
      await sfn.send(
        new SendTaskSuccessCommand({
          taskToken: token,
          output: JSON.stringify({ approved: true, ...(req.by ? { by: req.by } : {}) }),
        }),
      );
    } else {
      await sfn.send(
        new SendTaskFailureCommand({
          taskToken: token,
          error: "ApprovalDeniedError",
          cause: req.reason ?? `Denied${req.by ? ` by ${req.by}` : ""}`,
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
  return { executionArn: req.executionArn, decision: req.decision };
}

async function waitingToken(sfn: Pick<SFNClient, "send">, executionArn: string): Promise<string> {
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
