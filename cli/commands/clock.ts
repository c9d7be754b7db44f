import type { Command } from "commander";
import { advanceClock, checkDuration, readClock } from "../clock";
import { type CommandContext, pretty, requireLocal } from "../command";
import { EXIT } from "../errors";
import { type LocalTarget, resolveTarget } from "../target";

/** `clock now|advance`: the local account's simulated clock (a local command). */
export function clockCommand(program: Command, { io, done, globals, waiting }: CommandContext): void {
  const clock = program
    .command("clock")
    .description("read or move the local account's simulated clock")
    .addHelpText(
      "after",
      `
Examples:
  keystore-autopilot clock now
  keystore-autopilot clock advance 31d     # a deletion window passes
  keystore-autopilot clock advance 1h30m`,
    );
  clock
    .command("advance")
    .description("move the local account's simulated clock forward (waits and schedules that fall due then run)")
    .argument("<duration>", "e.g. 31d, 20m, 1h30m, 45s, 500ms")
    .addHelpText("after", "\nOnly the local account has a simulated clock: with --aws this is refused (exit 2).")
    .action(async (duration: string, _options, command) => {
      const opts = globals(command);
      requireLocal(opts, "clock advance");
      const checked = checkDuration(duration);
      const target = (await resolveTarget(opts, waiting)) as LocalTarget;
      const moved = await advanceClock(target, checked);
      io.stdout.write(
        opts.json
          ? `${pretty({ advancedBy: checked, before: moved.before, now: moved.now, notes: moved.notes })}\n`
          : `Simulated clock advanced by ${checked}: now ${moved.now}\n${moved.notes.map((n) => `Note: ${n}\n`).join("")}`,
      );
      done(EXIT.ok);
    });
  clock
    .command("now")
    .description("print the local account's simulated time")
    .action(async (_options, command) => {
      const opts = globals(command);
      requireLocal(opts, "clock now");
      const target = (await resolveTarget(opts, waiting)) as LocalTarget;
      const { now } = await readClock(target);
      io.stdout.write(opts.json ? `${pretty({ now })}\n` : `${now}\n`);
      done(EXIT.ok);
    });
}
