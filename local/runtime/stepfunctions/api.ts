import { z } from "zod";
import { AwsServiceError } from "../../account/errors";
import type { Operation } from "../../account/protocol";
import type { ExecutionRecord, Executions } from "./executions";
import { withoutData } from "./history";
import { type Machine, roleArn } from "./machines";
import type { TaskTokens } from "./task-tokens";

/**
 * The `AWSStepFunctions` wire operations (JSON 1.0) as a table: each entry's zod schema follows the request's length
 * and value constraints on its API Reference page
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html), and `operations` parses
 * before the handler runs, answering ValidationException (one of the errors common to all actions,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html). Handlers throw AwsServiceError
 * with the error names each operation's page lists; the account puts them on the wire.
 */

export type ApiDeps = {
  accountId: string;
  machines: Map<string, Machine>;
  executions: Executions;
  tokens: TaskTokens;
};

type ApiOperation = { input: z.ZodType; handle: (deps: ApiDeps, input: never) => unknown };
const op = <S extends z.ZodType>(input: S, handle: (deps: ApiDeps, input: z.infer<S>) => unknown): ApiOperation => ({
  input,
  handle,
});

const arn = z.string().min(1).max(256);
const maxResults = z.number().int().min(0).max(1000).optional();
const taskToken = z.string().min(1).max(2048);
const error = z.string().max(256).optional();
const cause = z.string().max(32768).optional();
const seconds = (ms: number) => ms / 1000;

export const OPERATIONS: Record<string, ApiOperation> = {
  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListStateMachines.html */
  ListStateMachines: op(z.object({ maxResults, nextToken: z.string().optional() }), ({ machines }) => ({
    stateMachines: [...machines.values()].map((m) => ({
      stateMachineArn: m.config.arn,
      name: m.config.name,
      type: m.config.type,
      creationDate: seconds(m.creationDate),
    })),
  })),

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html */
  DescribeStateMachine: op(z.object({ stateMachineArn: arn }), ({ machines, accountId }, { stateMachineArn }) => {
    const machine = machines.get(stateMachineArn);
    if (!machine) {
      throw new AwsServiceError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${stateMachineArn}'`);
    }
    return {
      stateMachineArn,
      name: machine.config.name,
      status: "ACTIVE",
      definition: JSON.stringify(machine.config.definition),
      roleArn: roleArn(accountId, machine),
      type: machine.config.type,
      creationDate: seconds(machine.creationDate),
      loggingConfiguration: { level: "OFF", includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }),

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html */
  StartExecution: op(
    z.object({
      stateMachineArn: arn,
      name: z.string().min(1).max(80).optional(),
      input: z.string().optional(),
      traceHeader: z.string().optional(),
    }),
    ({ executions }, request) => executions.start(request),
  ),

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html */
  DescribeExecution: op(z.object({ executionArn: arn }), ({ executions }, { executionArn }) =>
    describe(mustGet(executions, executionArn)),
  ),

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html */
  StopExecution: op(z.object({ executionArn: arn, error, cause }), ({ executions }, request) => ({
    stopDate: seconds(executions.stop(request.executionArn, request.error, request.cause)),
  })),

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html */
  ListExecutions: op(
    z.object({
      stateMachineArn: arn,
      statusFilter: z.enum(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]).optional(),
      maxResults,
      nextToken: z.string().max(3096).optional(),
    }),
    ({ machines, executions }, request) => {
      if (!machines.has(request.stateMachineArn)) {
        throw new AwsServiceError(
          "StateMachineDoesNotExist",
          `State Machine Does Not Exist: '${request.stateMachineArn}'`,
        );
      }
      const all = executions
        .list(request.stateMachineArn)
        .filter((r) => !request.statusFilter || r.status === request.statusFilter);
      const { items, nextToken } = page(all, request.maxResults || 100, request.nextToken);
      return {
        executions: items.map((r) => ({
          executionArn: r.executionArn,
          stateMachineArn: r.stateMachineArn,
          name: r.name,
          status: r.status,
          startDate: seconds(r.startDate),
          ...(r.stopDate !== undefined ? { stopDate: seconds(r.stopDate) } : {}),
          redriveCount: r.redriveCount,
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    },
  ),

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html */
  GetExecutionHistory: op(
    z.object({
      executionArn: arn,
      maxResults,
      reverseOrder: z.boolean().optional(),
      nextToken: z.string().max(3096).optional(),
      includeExecutionData: z.boolean().optional(),
    }),
    ({ executions }, request) => {
      mustGet(executions, request.executionArn);
      let events: Record<string, unknown>[] = executions
        .history(request.executionArn)
        .map((e) => ({ ...e, timestamp: seconds(e.timestamp) }));
      if (request.reverseOrder) events = events.reverse();
      if (request.includeExecutionData === false) events = events.map(withoutData);
      const { items, nextToken } = page(events, request.maxResults || 100, request.nextToken);
      return { events: items, ...(nextToken ? { nextToken } : {}) };
    },
  ),

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html */
  SendTaskSuccess: op(z.object({ taskToken, output: z.string().max(262144) }), ({ tokens }, request) => {
    tokens.succeed(request.taskToken, request.output);
    return {};
  }),

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html */
  SendTaskFailure: op(z.object({ taskToken, error, cause }), ({ tokens }, request) => {
    tokens.fail(request.taskToken, request.error, request.cause);
    return {};
  }),

  /** https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskHeartbeat.html */
  SendTaskHeartbeat: op(z.object({ taskToken }), ({ tokens }, request) => {
    tokens.heartbeat(request.taskToken);
    return {};
  }),
};

/** The dispatcher: every operation parses its input against its schema, then runs its handler. */
export function operations(deps: ApiDeps): Record<string, Operation> {
  return Object.fromEntries(
    Object.entries(OPERATIONS).map(([name, { input, handle }]) => [
      name,
      { input, run: (request: never) => handle(deps, request) },
    ]),
  );
}

/** `InvalidArn` for what is not an execution ARN, `ExecutionDoesNotExist` for one that names no execution. */
function mustGet(executions: Executions, executionArn: string): ExecutionRecord {
  const record = executions.record(executionArn);
  if (record) return record;
  if (!/^arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(executionArn)) {
    throw new AwsServiceError("InvalidArn", `Invalid Arn: 'Resource type not valid in this context: ${executionArn}'`);
  }
  throw new AwsServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
}

function describe(r: ExecutionRecord) {
  return {
    executionArn: r.executionArn,
    stateMachineArn: r.stateMachineArn,
    name: r.name,
    status: r.status,
    startDate: seconds(r.startDate),
    ...(r.stopDate !== undefined ? { stopDate: seconds(r.stopDate) } : {}),
    input: r.input,
    inputDetails: { included: true },
    ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.cause !== undefined ? { cause: r.cause } : {}),
    redriveCount: r.redriveCount,
    ...(r.redriveDate !== undefined ? { redriveDate: seconds(r.redriveDate) } : {}),
    redriveStatus: "NOT_REDRIVABLE",
  };
}

/** `InvalidToken` for a nextToken that is not one of ours. */
function page<T>(items: T[], size: number, token: string | undefined): { items: T[]; nextToken?: string } {
  let start = 0;
  if (token) {
    start = Number(Buffer.from(token, "base64url").toString("utf8"));
    if (!Number.isInteger(start) || start < 0)
      throw new AwsServiceError("InvalidToken", "Invalid Token: 'Invalid nextToken'");
  }
  const slice = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString("base64url") : undefined;
  return { items: slice, ...(next ? { nextToken: next } : {}) };
}
