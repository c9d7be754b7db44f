import { StateMachine } from "aws-local-stepfunctions";

/**
 * An error a Task reports to ASL: `name` is the `Error` that Retry/Catch match, `message` the `Cause`. Not retryable
 * errors (States.Runtime) are not catchable either, as in AWS.
 */
export class TaskFailure extends Error {
  constructor(
    name: string,
    cause: string,
    private readonly retryable = true,
  ) {
    super(cause);
    this.name = name;
  }

  /** Read by aws-local-stepfunctions to decide whether Retry may match. */
  get isRetryable(): boolean {
    return this.retryable;
  }

  get isCatchable(): boolean {
    return this.retryable;
  }
}

let TimeoutError: (new () => Error) | undefined;

/**
 * aws-local-stepfunctions excludes only its own States.Timeout class from the `States.TaskFailed` wildcard (as AWS
 * does), and does not export it. The runtime enforces timeouts on the simulated clock, so it borrows that class once
 * from a 1 ms timeout of a throwaway machine, to raise timeouts that Retry/Catch treat exactly like the library's.
 */
export async function loadTimeoutErrorClass(): Promise<void> {
  if (TimeoutError) return;
  const probe = new StateMachine(
    {
      StartAt: "T",
      States: {
        T: {
          Type: "Task",
          Resource: "arn:aws:lambda:us-east-1:123456789012:function:p",
          TimeoutSeconds: 0.001,
          End: true,
        },
      },
    } as never,
    { validationOptions: { noValidate: true } },
  );
  const run = probe.run(
    {},
    { overrides: { taskResourceLocalHandlers: { T: () => new Promise((r) => setTimeout(() => r(null), 50)) } } },
  );
  try {
    await run.result;
  } catch (error: unknown) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.name === "States.Timeout") TimeoutError = cause.constructor as new () => Error;
  }
}

/** A `States.Timeout` that `States.TaskFailed` does not match. */
export function statesTimeout(cause: string): Error {
  const error = TimeoutError ? new TimeoutError() : new TaskFailure("States.Timeout", cause);
  error.message = cause;
  return error;
}

export function statesRuntime(cause: string): TaskFailure {
  return new TaskFailure("States.Runtime", cause, false);
}
