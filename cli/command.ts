import type { Command } from "commander";
import { UsageError } from "./errors";
import type { Progress, Sink } from "./progress";
import { type Target, type TargetOptions, wantsAws } from "./target";

/** What the CLI reads and writes; the real process by default, fakes in unit tests. */
export type Io = {
  stdout: Sink;
  stderr: Sink;
  readStdin?: () => string;
  /** Called once an execution is following, so Ctrl-C can say what keeps running. */
  onFollow?: (executionArn: string, progress: Progress) => void;
};

export type GlobalOptions = TargetOptions & { json?: boolean };

/** What the program hands every command (cli/commands/): its I/O, how to end, the global options, the wait notice. */
export type CommandContext = {
  io: Io;
  /** Sets the exit code. */
  done: (code: number) => void;
  globals: (command: Command) => GlobalOptions;
  /** While `npm start` is still deploying, commands wait for it and say so on stderr. */
  waiting: (line: string) => void;
};

export const pretty = (value: unknown) => JSON.stringify(value, null, 2);

export function requireLocal(target: TargetOptions, command: string): void {
  if (wantsAws(target)) {
    throw new UsageError(`${command} works only on the local account; drop --aws, --profile and --region`);
  }
}

export function targetJson(target: Target) {
  return target.kind === "local"
    ? {
        kind: "local",
        endpoint: target.endpoint,
        region: target.region,
        accountId: target.accountId,
        stage: target.stage,
      }
    : { kind: "aws", region: target.region ?? null, profile: target.profile ?? null, stage: target.stage };
}
