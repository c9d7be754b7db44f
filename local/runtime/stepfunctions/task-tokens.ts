import { randomBytes } from "node:crypto";
import { AwsServiceError } from "../../account/errors";
import { type SimClock, WaitAbortedError } from "../sim-clock";
import { TaskFailure } from "../task-errors";

type TokenWait = {
  executionArn: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  lastBeat: number;
};

/**
 * Task tokens of `.waitForTaskToken` Tasks: a token names its execution, so one that is no longer awaited (answered,
 * timed out, execution closed) is told apart from one that was never issued. SendTaskSuccess, SendTaskFailure and
 * SendTaskHeartbeat answer with the errors their API Reference pages list
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html).
 */
export class TaskTokens {
  private readonly waits = new Map<string, TokenWait>();

  constructor(
    private readonly now: () => number,
    private readonly sim: SimClock,
  ) {}

  issue(executionArn: string, stateName: string): string {
    return Buffer.from(
      JSON.stringify({ e: executionArn, s: stateName, n: randomBytes(24).toString("base64") }),
    ).toString("base64url");
  }

  /** Resolves with SendTaskSuccess's output; rejects on SendTaskFailure, a missed heartbeat or `signal`. */
  async await(token: string, heartbeatSeconds: number | undefined, signal: AbortSignal): Promise<unknown> {
    const executionArn = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { e: string }).e;
    const result = new Promise<unknown>((resolve, reject) => {
      this.waits.set(token, { executionArn, resolve, reject, lastBeat: this.now() });
    });
    const onAbort = () => {
      const wait = this.waits.get(token);
      this.waits.delete(token);
      wait?.reject(new WaitAbortedError());
    };
    signal.addEventListener("abort", onAbort, { once: true });
    if (heartbeatSeconds) void this.watchHeartbeat(token, heartbeatSeconds * 1000, signal);
    try {
      return await result;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** SendTaskSuccess: `InvalidOutput` when the output is not JSON, and the token stays open. */
  succeed(token: string, output: string): void {
    const wait = this.take(token);
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      this.waits.set(token, wait);
      throw new AwsServiceError("InvalidOutput", "Invalid Output: the output must be valid JSON");
    }
    wait.resolve(parsed);
  }

  /** SendTaskFailure: the Task fails with this error and cause (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html). */
  fail(token: string, error: string | undefined, cause: string | undefined): void {
    this.take(token).reject(new TaskFailure(error ?? "", cause ?? ""));
  }

  /** SendTaskHeartbeat (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskHeartbeat.html). */
  heartbeat(token: string): void {
    this.find(token).lastBeat = this.now();
  }

  /** The execution closed: its open tokens answer TaskTimedOut from now on. */
  releaseExecution(executionArn: string): void {
    for (const [token, wait] of this.waits) {
      if (wait.executionArn === executionArn) {
        this.waits.delete(token);
        wait.reject(new WaitAbortedError());
      }
    }
  }

  /** Shutdown: every waiting Task stops waiting. */
  releaseAll(): void {
    for (const wait of this.waits.values()) wait.reject(new WaitAbortedError());
    this.waits.clear();
  }

  /** `InvalidToken` for what was never a token; `TaskTimedOut` for one no longer awaited, as AWS says of a closed task. */
  private find(token: string): TokenWait {
    const wait = this.waits.get(token);
    if (wait) return wait;
    try {
      const decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { e?: unknown };
      if (typeof decoded.e !== "string") throw new Error("no execution");
    } catch {
      throw new AwsServiceError("InvalidToken", "Invalid Token: 'Invalid token'");
    }
    throw new AwsServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
  }

  private take(token: string): TokenWait {
    const wait = this.find(token);
    this.waits.delete(token);
    return wait;
  }

  private async watchHeartbeat(token: string, intervalMs: number, signal: AbortSignal): Promise<void> {
    try {
      for (;;) {
        const wait = this.waits.get(token);
        if (!wait) return;
        await this.sim.until(wait.lastBeat + intervalMs, signal);
        const current = this.waits.get(token);
        if (!current) return;
        if (this.now() >= current.lastBeat + intervalMs) {
          this.waits.delete(token);
          current.reject(
            new TaskFailure("States.HeartbeatTimeout", `No heartbeat within ${intervalMs / 1000} seconds`),
          );
          return;
        }
      }
    } catch {
      // Aborted with the task.
    }
  }
}
