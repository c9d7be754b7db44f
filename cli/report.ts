import { type Io, pretty } from "./command";
import { EXIT } from "./errors";
import { followExecution } from "./follow";
import { formatElapsed, Progress, painter } from "./progress";
import { redact, redactText } from "./redact";
import type { Clients, Target } from "./target";

function parseOutput(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return redact(JSON.parse(text));
  } catch {
    return redactText(text);
  }
}

/**
 * Follows an execution with a progress display (stdout on a terminal; stderr with --json or when stdout is a pipe)
 * and prints its result: SUCCEEDED with the output, or the status with Error and Cause. Returns the exit code.
 */
export async function followAndReport(
  io: Io,
  sfn: Clients["sfn"],
  target: Target,
  execution: { executionArn: string; name: string; workflow: string; json: boolean; heading: string },
): Promise<number> {
  const { name } = execution;
  const sink = execution.json || !io.stdout.isTTY ? io.stderr : io.stdout;
  const progress = new Progress(sink);
  const paint = painter(sink);
  progress.line(paint.dim(execution.heading));
  io.onFollow?.(execution.executionArn, progress);
  let outcome: Awaited<ReturnType<typeof followExecution>>;
  try {
    outcome = await followExecution(sfn, execution.executionArn, progress, {
      simulated: target.kind === "local",
      pollMs: target.kind === "local" ? 200 : 1000,
    });
  } finally {
    progress.stop();
  }
  const took =
    outcome.startDate && outcome.stopDate
      ? ` in ${formatElapsed(outcome.stopDate.getTime() - outcome.startDate.getTime())}`
      : "";
  const succeeded = outcome.status === "SUCCEEDED";
  const output = parseOutput(outcome.output);
  const cause = outcome.cause === undefined ? undefined : redactText(outcome.cause);
  if (execution.json) {
    io.stdout.write(
      `${pretty({
        workflow: execution.workflow,
        name,
        executionArn: outcome.executionArn,
        status: outcome.status,
        ...(outcome.startDate ? { startDate: outcome.startDate.toISOString() } : {}),
        ...(outcome.stopDate ? { stopDate: outcome.stopDate.toISOString() } : {}),
        ...(output !== undefined ? { output } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      })}\n`,
    );
  } else {
    const out = painter(io.stdout);
    if (succeeded) {
      io.stdout.write(`${out.green(`✔ SUCCEEDED${took}`)} · ${name}\n${pretty(output ?? null)}\n`);
    } else {
      io.stdout.write(
        `${out.red(`✖ ${outcome.status}${took}`)} · ${name}\n  Error: ${outcome.error ?? "(none)"}\n  Cause: ${cause ?? "(none)"}\n`,
      );
    }
  }
  return succeeded ? EXIT.ok : EXIT.failed;
}
