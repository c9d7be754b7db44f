import type { Command } from "commander";
import { type CommandContext, pretty, requireLocal } from "../command";
import { EXIT } from "../errors";
import { Progress, painter } from "../progress";
import { redact, redactText } from "../redact";
import { type LocalTarget, resolveTarget } from "../target";
import { readJsonArgument } from "../workflows";

/** `invoke <function>`: one handler on the local runtime (a local command: the runtime is loaded only here). */
export function invokeCommand(program: Command, { io, done, globals, waiting }: CommandContext): void {
  program
    .command("invoke")
    .description("run one serverless.yml function's handler locally on an event, against the local account")
    .argument("<function>", "function key in serverless.yml (e.g. describeKeyStore), or its name or ARN")
    .requiredOption("-e, --event <file|json>", "the event: a JSON file (e.g. test/events/*.json), inline JSON, or -")
    .addHelpText(
      "after",
      `
The handler runs as the local runtime runs it: serverless.yml resolved by osls print (cached), the function's own
environment with the AWS SDK pointed at the local account, Lambda's context and timeout. Prints the result as JSON
(exit 0) or the error (exit 1). Function logs: <data dir>/logs/<function name>.log.

Examples:
  keystore-autopilot invoke describeKeyStore --event test/events/describe-key-store.json
  keystore-autopilot invoke describeKeyStore --event '{"customKeyStoreId":"cks-1234567890abcdef0"}' --json`,
    )
    .action(async (fn: string, options: { event: string }, command) => {
      const opts = globals(command);
      requireLocal(opts, "invoke");
      const event = readJsonArgument("--event", options.event, io.readStdin);
      const target = (await resolveTarget(opts, waiting)) as LocalTarget;
      // Loaded here only: the local runtime's modules (worker threads, SQLite) are not needed by the other commands.
      const { invokeLocally } = await import("../invoke");
      // On a terminal, a spinner while serverless.yml is resolved (osls print, slow only when it changed) and the handler runs.
      const progress = new Progress(io.stderr);
      progress.status(`invoking ${fn}`);
      let invoked: Awaited<ReturnType<typeof invokeLocally>>;
      try {
        invoked = await invokeLocally(target, { function: fn, event });
      } finally {
        progress.stop();
      }
      const paint = painter(io.stderr);
      if (opts.json) {
        const body = invoked.result.ok
          ? { functionName: invoked.functionName, ok: true, result: redact(invoked.result.result) }
          : {
              functionName: invoked.functionName,
              ok: false,
              errorType: invoked.result.error.errorType,
              errorMessage: redactText(invoked.result.error.errorMessage),
            };
        io.stdout.write(`${pretty(body)}\n`);
      } else if (invoked.result.ok) {
        io.stdout.write(`${pretty(redact(invoked.result.result))}\n`);
        io.stderr.write(`${paint.green("✔")} ${invoked.functionName} returned · logs: ${invoked.logFile}\n`);
      } else {
        const { errorType, errorMessage } = invoked.result.error;
        io.stderr.write(
          `${paint.red("✖")} ${invoked.functionName} failed: ${errorType}: ${redactText(errorMessage)} · logs: ${invoked.logFile}\n`,
        );
      }
      done(invoked.result.ok ? EXIT.ok : EXIT.failed);
    });
}
