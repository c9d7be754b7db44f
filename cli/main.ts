import { Command, CommanderError } from "commander";
import type { CommandContext, GlobalOptions, Io } from "./command";
import { approveCommand } from "./commands/approve";
import { clockCommand } from "./commands/clock";
import { followCommand } from "./commands/follow";
import { invokeCommand } from "./commands/invoke";
import { preflightCommand } from "./commands/preflight";
import { proofCommand } from "./commands/proof";
import { retireCommand } from "./commands/retire";
import { signCommand } from "./commands/sign";
import { startCommand } from "./commands/start";
import { statusCommand } from "./commands/status";
import { EXIT, exitCodeOf } from "./errors";
import { painter } from "./progress";
import { redactText } from "./redact";

export type { Io } from "./command";

/** One file per command (cli/commands/), in the order --help lists them. */
const COMMANDS: ((program: Command, context: CommandContext) => void)[] = [
  startCommand,
  retireCommand,
  proofCommand,
  followCommand,
  statusCommand,
  invokeCommand,
  signCommand,
  approveCommand,
  preflightCommand,
  clockCommand,
];

/** The command tree. Every command has a description, its options and examples in --help. */
export function buildProgram(io: Io, done: (code: number) => void): Command {
  const program = new Command("keystore-autopilot");
  program
    .description(
      "Run and watch the keystore-autopilot workflows: on the local account (default, `npm start`) or in AWS (--aws).",
    )
    .version(require("../package.json").version as string)
    .option("--json", "machine-readable output on stdout (progress, if any, goes to stderr)")
    .option("--aws", "use your AWS account through the normal credential chain instead of the local account")
    .option("--profile <name>", "AWS profile (implies --aws)")
    .option("--region <region>", "AWS Region (implies --aws)")
    .option("--stage <stage>", "serverless.yml stage the workflows were deployed with", "dev")
    .option("--endpoint <url>", "local account endpoint (default: LOCAL_ACCOUNT_ENDPOINT or http://127.0.0.1:4599)")
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .addHelpText(
      "after",
      `
Exit codes: 0 success, 1 the workflow or a call failed, 2 bad input or usage (nothing was started).

Examples:
  npm start                                                   # in another terminal: the local account
  keystore-autopilot status
  keystore-autopilot start describe-key-store --input '{"customKeyStoreId":"cks-1234567890abcdef0"}'
  keystore-autopilot invoke describeKeyStore --event test/events/describe-key-store.json
  keystore-autopilot clock advance 31d
  keystore-autopilot --aws --profile prod --region eu-west-1 status --json`,
    );

  const context: CommandContext = {
    io,
    done,
    globals: (command: Command) => command.optsWithGlobals() as GlobalOptions,
    waiting: (line: string) => io.stderr.write(line),
  };
  for (const define of COMMANDS) define(program, context);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and resolves with the exit code; never throws. */
export async function run(argv: string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error: unknown) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const paint = painter(io.stderr);
    const named = error as Error;
    // Our own errors say everything in their message; others (SDK, network) are shown with their name.
    const own = typeof (error as { exitCode?: unknown } | null)?.exitCode === "number";
    const message = own || !named?.name || named.name === "Error" ? named?.message : `${named.name}: ${named.message}`;
    io.stderr.write(`${paint.red("Error:")} ${redactText(String(message ?? error))}\n`);
    return exitCodeOf(error);
  }
}

if (require.main === module) {
  run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    onFollow: (executionArn, progress) => {
      process.once("SIGINT", () => {
        progress.stop();
        process.stderr.write(`\nStopped following; the execution goes on: ${executionArn}\n`);
        process.exit(130);
      });
    },
  }).then((code) => {
    process.exitCode = code;
  });
}
