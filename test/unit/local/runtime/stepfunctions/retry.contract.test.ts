/**
 * The runtime waits Retry intervals on the simulated clock itself and overrides the library's to 0, so its retrier
 * (local/runtime/stepfunctions/retry.ts) must choose and wait as aws-local-stepfunctions does. The library keeps its
 * defaults (MaxAttempts, IntervalSeconds, BackoffRate, JitterStrategy) unexported: this test runs the library itself on
 * jest's fake clock and compares the intervals it waits between attempts with the runtime's, so an upgrade that
 * changes them fails here. The fake clock makes the intervals exact; nothing waits in real time.
 */
import { StateMachine } from "aws-local-stepfunctions";
import type { Retrier } from "../../../../../local/runtime/asl-rewrite";
import { retryDelay } from "../../../../../local/runtime/stepfunctions/retry";

class FlakyError extends Error {
  override name = "FlakyError";
}

/** The seconds the library waits before each retry of a Task that always fails, until it gives up. */
async function libraryIntervals(retry: Retrier[]): Promise<number[]> {
  const attempts: number[] = [];
  const definition = {
    StartAt: "Call",
    States: {
      Call: { Type: "Task", Resource: "arn:aws:lambda:eu-west-1:123456789012:function:f", Retry: retry, End: true },
    },
  };
  const execution = new StateMachine(definition as never, { validationOptions: { noValidate: true } }).run(
    {},
    {
      overrides: {
        taskResourceLocalHandlers: {
          Call: async () => {
            attempts.push(Date.now());
            throw new FlakyError("always");
          },
        },
      },
    },
  );
  let settled = false;
  const outcome = execution.result.then(
    () => "succeeded",
    () => "failed",
  );
  void outcome.then(() => {
    settled = true;
  });
  for (let step = 0; step < 1000 && !settled; step++) await jest.advanceTimersByTimeAsync(250);
  expect(await outcome).toBe("failed");
  return attempts.slice(1).map((at, i) => (at - (attempts[i] as number)) / 1000);
}

/** The seconds the runtime waits before each retry of the same Task. */
function runtimeIntervals(retry: Retrier[]): number[] {
  const counts = retry.map(() => 0);
  const intervals: number[] = [];
  for (;;) {
    const delay = retryDelay(retry, counts, new FlakyError("always"));
    if (delay === undefined) return intervals;
    intervals.push(delay);
  }
}

describe("runtime retrier against aws-local-stepfunctions", () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse("2026-01-01T00:00:00Z") });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  // The third column is what AWS's Retry fields give (IntervalSeconds x BackoffRate^attempt, capped by
  // MaxDelaySeconds; defaults 1 s, 2.0, 3 attempts): https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
  it.each<[string, Retrier[], number[]]>([
    ["every field left to its default", [{ ErrorEquals: ["States.ALL"] }], [1, 2, 4]],
    [
      "IntervalSeconds, BackoffRate and MaxAttempts given",
      [{ ErrorEquals: ["FlakyError"], IntervalSeconds: 3, BackoffRate: 1.5, MaxAttempts: 2 }],
      [3, 4.5],
    ],
    [
      "MaxDelaySeconds capping the backoff",
      [{ ErrorEquals: ["States.TaskFailed"], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 4, MaxDelaySeconds: 10 }],
      [2, 6, 10, 10],
    ],
    ["MaxAttempts 0", [{ ErrorEquals: ["States.ALL"], MaxAttempts: 0 }], []],
    [
      "the first matching retrier chosen",
      [
        { ErrorEquals: ["OtherError"], IntervalSeconds: 7 },
        { ErrorEquals: ["FlakyError"], IntervalSeconds: 5, MaxAttempts: 1 },
        { ErrorEquals: ["States.ALL"], IntervalSeconds: 9 },
      ],
      [5],
    ],
  ])("returns the library's retry intervals with %s", async (_case, retry, documented) => {
    const runtime = runtimeIntervals(retry);

    const library = await libraryIntervals(retry);

    expect(library).toEqual(runtime);
    expect(runtime).toEqual(documented);
  });
});
