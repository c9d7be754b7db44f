import { z } from "zod";
import type { AccountContext } from "../account";
import { AwsServiceError } from "../errors";
import { operation, type Service } from "../protocol";
import { compileFilterPattern } from "./filter-pattern";
import { getLogGroup, listLogEvents } from "./log-events";

/** Events per page when no `limit` is given; AWS's pages hold up to 10,000 events or 1 MB (API_FilterLogEvents). */
const DEFAULT_LIMIT = 10_000;

const LogStreamName = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^:*]*$/);

/**
 * FilterLogEvents' request as the CloudWatch Logs API Reference gives it
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html): the log group by
 * name or identifier (one of the two), stream names or a prefix (not both), a time range in ms, a filter pattern, a
 * page size and a token.
 */
const FilterLogEventsInput = z.object({
  logGroupName: z
    .string()
    .min(1)
    .max(512)
    .regex(/^[.\-_/#A-Za-z0-9]+$/)
    .optional(),
  logGroupIdentifier: z
    .string()
    .min(1)
    .max(2048)
    .regex(/^[\w#+=/:,.@-]*$/)
    .optional(),
  logStreamNames: z.array(LogStreamName).min(1).max(100).optional(),
  logStreamNamePrefix: LogStreamName.optional(),
  startTime: z.number().int().min(0).optional(),
  endTime: z.number().int().min(0).optional(),
  filterPattern: z.string().max(1024).optional(),
  nextToken: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
  interleaved: z.boolean().optional(),
  startFromHead: z.boolean().optional(),
  unmask: z.boolean().optional(),
});

type Token = { after: number; query: string };

/**
 * CloudWatch Logs (JSON 1.1, X-Amz-Target `Logs_20140328.<Operation>`): FilterLogEvents over the log groups the
 * account's services write, today the CloudHSM clusters' HSM audit logs (local/account/cloudhsm/audit-log.ts). Events
 * come back in timestamp order, interleaved across streams; `searchedLogStreams` is always empty, as AWS has answered
 * since its deprecation. A missing log group is ResourceNotFoundException, a bad combination of parameters or a
 * token from another query InvalidParameterException (the operation's documented errors).
 */
export function createLogsService(ctx: AccountContext): Service {
  return {
    target: "Logs_20140328",
    name: "logs",
    jsonVersion: "1.1",
    internalError: { code: "ServiceUnavailableException", status: 500 },
    operations: {
      FilterLogEvents: operation(FilterLogEventsInput, (request) => {
        if ((request.logGroupName === undefined) === (request.logGroupIdentifier === undefined)) {
          throw new AwsServiceError(
            "InvalidParameterException",
            "You must specify either logGroupIdentifier or logGroupName, but not both",
          );
        }
        if (request.logStreamNames && request.logStreamNamePrefix !== undefined) {
          throw new AwsServiceError(
            "InvalidParameterException",
            "logStreamNames and logStreamNamePrefix cannot both be specified",
          );
        }
        const name = groupName(request.logGroupName ?? (request.logGroupIdentifier as string));
        if (!getLogGroup(ctx, name)) {
          throw new AwsServiceError("ResourceNotFoundException", "The specified log group does not exist.");
        }
        // The token is bound to the query it continues, as AWS refuses one reused with other parameters.
        const { nextToken: _token, limit: _limit, ...query } = request;
        const fingerprint = JSON.stringify(query);
        const after = request.nextToken ? readToken(request.nextToken, fingerprint) : 0;
        const matches = compileFilterPattern(request.filterPattern);
        const streams = request.logStreamNames ? new Set(request.logStreamNames) : undefined;
        const limit = request.limit ?? DEFAULT_LIMIT;
        const found = listLogEvents(ctx, name).filter(
          (e) =>
            (!streams || streams.has(e.logStreamName)) &&
            (request.logStreamNamePrefix === undefined || e.logStreamName.startsWith(request.logStreamNamePrefix)) &&
            (request.startTime === undefined || e.timestamp >= request.startTime) &&
            (request.endTime === undefined || e.timestamp <= request.endTime) &&
            matches(e.message),
        );
        const page = found.slice(after, after + limit);
        const more = after + limit < found.length;
        return {
          events: page.map(({ seq: _seq, ...event }) => event),
          searchedLogStreams: [],
          ...(more ? { nextToken: writeToken({ after: after + limit, query: fingerprint }) } : {}),
        };
      }),
    },
  };
}

/** A log group identifier may be its name or its ARN (`arn:aws:logs:<region>:<account>:log-group:<name>[:*]`). */
function groupName(identifier: string): string {
  const arn = /^arn:[^:]+:logs:[^:]*:\d*:log-group:([^:]+)(:\*)?$/.exec(identifier);
  return arn ? (arn[1] as string) : identifier;
}

function writeToken(token: Token): string {
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function readToken(text: string, query: string): number {
  try {
    const token = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Token;
    if (token.query === query && Number.isInteger(token.after) && token.after >= 0) return token.after;
  } catch {
    // Not a token of this account: refused below.
  }
  throw new AwsServiceError("InvalidParameterException", "The specified nextToken is invalid.");
}
