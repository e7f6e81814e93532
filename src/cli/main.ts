// `npx wasyncio …`: the command-line tool's dispatcher. `explore` and `shrink` are here
// (cli/explore.ts, cli/shrink.ts); `replay` and `diff` come from cli/replay.ts and cli/diff.ts.
// Exit codes: 0 ok, 1 failures found (or a run that does not replay), 2 bad usage.

import { exploreCommand, EXPLORE_USAGE } from "./explore.js";
import { shrinkCommand, SHRINK_USAGE } from "./shrink.js";
import { UsageError, processIo, type Io } from "./common.js";
import { replayCommand } from "./replay.js";
import { diffCommand } from "./diff.js";

export const USAGE = `usage: wasyncio <command> [options]

commands:
  explore FILE --seeds N   run a scenario under N schedules and report the seeds that fail
  shrink TAPEFILE          cut a failing schedule down to the deviations from FIFO that matter
  replay TRACE             replay a recorded trace, with no real I/O
  diff A B                 where two traces first differ

\`wasyncio <command> --help\` describes each. Exit codes: 0 ok, 1 failures found (or a run
that does not replay), 2 bad usage.`;

/**
 * Run the CLI with `argv` (the arguments after `wasyncio`); resolves with the exit code.
 *
 * @example
 * process.exitCode = await main(["explore", "examples/bank/bank.mjs", "--seeds", "1000"]);
 */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [cmd, ...rest] = argv;
  const usage = { explore: EXPLORE_USAGE, shrink: SHRINK_USAGE } as Record<string, string>;
  try {
    switch (cmd) {
      case undefined:
        io.err(USAGE);
        return 2;
      case "-h":
      case "--help":
      case "help":
        io.out(rest[0] !== undefined && usage[rest[0]] !== undefined ? usage[rest[0]] : USAGE);
        return 0;
      case "explore":
        return await exploreCommand(rest, io);
      case "shrink":
        return await shrinkCommand(rest, io);
      case "replay":
        return await replayCommand(rest, io);
      case "diff":
        return await diffCommand(rest, io);
      default:
        io.err(`wasyncio: unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
        return 2;
    }
  } catch (exc) {
    if (exc instanceof UsageError) {
      io.err(`wasyncio ${cmd}: ${exc.message}\n(wasyncio ${cmd} --help for its options)`);
      return 2;
    }
    throw exc;
  }
}
