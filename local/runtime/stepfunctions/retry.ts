import type { Retrier } from "../asl-rewrite";

/**
 * A Retrier's defaults, as AWS documents them: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0, JitterStrategy NONE
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 * aws-local-stepfunctions keeps its own copy, not exported;
 * test/unit/local/runtime/stepfunctions/retry.contract.test.ts runs the library and fails when its retries differ from
 * `retryDelay` over these.
 */
export const RETRIER_DEFAULTS = { intervalSeconds: 1, maxAttempts: 3, backoffRate: 2 } as const;

/**
 * The library's choice of retrier for `error` (the first whose ErrorEquals matches; none once it is exhausted) and
 * the seconds to wait before the retry: IntervalSeconds × BackoffRate^attempt, capped by MaxDelaySeconds, FULL jitter.
 * Counts the attempt in `attempts` (one count per retrier). Undefined when the error is not retried.
 */
export function retryDelay(retry: Retrier[], attempts: number[], error: Error): number | undefined {
  if ((error as { isRetryable?: boolean }).isRetryable === false) return undefined;
  const index = retry.findIndex((r) =>
    r.ErrorEquals.some(
      (e) => e === error.name || e === "States.ALL" || (e === "States.TaskFailed" && error.name !== "States.Timeout"),
    ),
  );
  const retrier = retry[index];
  if (!retrier) return undefined;
  const attempt = attempts[index] ?? 0;
  if (attempt >= (retrier.MaxAttempts ?? RETRIER_DEFAULTS.maxAttempts)) return undefined;
  let delay =
    (retrier.IntervalSeconds ?? RETRIER_DEFAULTS.intervalSeconds) *
    (retrier.BackoffRate ?? RETRIER_DEFAULTS.backoffRate) ** attempt;
  if (retrier.MaxDelaySeconds !== undefined) delay = Math.min(delay, retrier.MaxDelaySeconds);
  if (retrier.JitterStrategy === "FULL") delay = Math.random() * delay;
  attempts[index] = attempt + 1;
  return delay;
}
