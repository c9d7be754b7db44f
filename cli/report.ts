import { type Io, pretty } from "./command";
import { EXIT } from "./errors";
import { followExecution } from "./follow";
import { formatElapsed, Progress, painter } from "./progress";
import { redact, redactText } from "./redact";
import { startExecution } from "./start";
import type { Clients, Target } from "./target";
import type { Workflow } from "./workflows";

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

/**
 * Starts an execution whose input is validated, then follows it to its result, or with `follow` off prints its ARN
 * (or `{workflow, name, executionArn, status}` with --json) and returns. Returns the exit code.
 */
export async function startAndReport(
  io: Io,
  sfn: Clients["sfn"],
  target: Target,
  run: {
    workflow: Workflow;
    stateMachineArn: string;
    name: string;
    input: unknown;
    follow: boolean;
    json: boolean;
    heading: string;
  },
): Promise<number> {
  const { workflow, name } = run;
  const started = await startExecution(sfn, { workflow, stateMachineArn: run.stateMachineArn, name, input: run.input });
  if (!run.follow) {
    io.stdout.write(
      run.json
        ? `${pretty({ workflow: workflow.name, name, executionArn: started.executionArn, status: "RUNNING" })}\n`
        : `${started.executionArn}\n`,
    );
    return EXIT.ok;
  }
  return followAndReport(io, sfn, target, {
    executionArn: started.executionArn,
    name,
    workflow: workflow.name,
    json: run.json,
    heading: run.heading,
  });
}
