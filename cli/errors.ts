/** Exit codes of the CLI: 0 success, 1 a workflow or call failed, 2 bad input or usage (nothing was started). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Bad input or usage: names what was wrong; the CLI exits 2 and has started nothing. */
export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The local account is not reachable at the endpoint the CLI would use. */
export class LocalAccountNotRunningError extends Error {
  readonly exitCode = EXIT.failed;
  constructor(readonly endpoint: string) {
    super(
      `The local account is not running at ${endpoint}. Start it with \`npm start\` (or use --aws for your AWS account).`,
    );
    this.name = "LocalAccountNotRunningError";
  }
}

/** The local account answers but has not finished deploying serverless.yml in time. */
export class LocalAccountNotReadyError extends Error {
  readonly exitCode = EXIT.failed;
  constructor(
    readonly endpoint: string,
    timeoutMs: number,
  ) {
    super(
      `The local account at ${endpoint} is still deploying serverless.yml after ${timeoutMs / 1000} seconds: see the \`npm start\` terminal for errors.`,
    );
    this.name = "LocalAccountNotReadyError";
  }
}

/** A workflow's state machine is not deployed where the CLI looked for it. */
export class WorkflowNotDeployedError extends Error {
  readonly exitCode = EXIT.failed;
  constructor(
    readonly workflow: string,
    readonly stateMachineName: string,
    where: string,
  ) {
    super(`Workflow ${workflow} is not deployed in ${where}: no state machine named ${stateMachineName}`);
    this.name = "WorkflowNotDeployedError";
  }
}

/** The exit code for anything thrown by a command: its own when it carries one, else 1. */
export function exitCodeOf(error: unknown): number {
  const code = (error as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === "number" ? code : EXIT.failed;
}
