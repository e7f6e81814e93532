// `npx wasyncio …`: the command-line tool's dispatcher. `explore` and `shrink` are here
// (cli/explore.ts, cli/shrink.ts); `replay` and `diff` come from cli/replay.ts and cli/diff.ts.
// Exit codes: 0 ok, 1 failures found (or a run that does not replay), 2 bad usage.

import { exploreCommand, EXPLORE_USAGE } from "./explore.js";
import { shrinkCommand, SHRINK_USAGE } from "./shrink.js";
import { UsageError, processIo, type Io } from "./common.js";

export const USAGE = `usage: wasyncio <command> [options]

commands:
  explore FILE --seeds N   run a scenario under N schedules and report the seeds that fail
  shrink TAPEFILE          cut a failing schedule down to the deviations from FIFO that matter
  replay TRACE             replay a recorded trace, with no real I/O
  diff A B                 where two traces first differ

\`wasyncio <command> --help\` describes each. Exit codes: 0 ok, 1 failures found (or a run
that does not replay), 2 bad usage.`;

type Command = (argv: string[]) => number | Promise<number>;

/**
 * A command from a module the build may not have (replay.ts and diff.ts are written apart).
 * The imports are literal so the bundler includes the modules when they exist.
 */
async function optionalCommand(name: "replay" | "diff"): Promise<Command | string> {
  try {
    // @ts-ignore -- written by a colleague; absent until then (the build stubs it)
    const mod = (name === "replay" ? await import("./replay.js") : await import("./diff.js")) as Record<string, unknown>;
    const fn = mod[`${name}Command`];
    if (typeof fn === "function") return fn as Command;
    return `this build of wasyncio has no '${name}' command (src/cli/${name}.ts does not export ${name}Command)`;
  } catch (exc) {
    return `this build of wasyncio has no '${name}' command (src/cli/${name}.ts could not be loaded: ${(exc as Error).message})`;
  }
}

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
      case "diff": {
        const command = await optionalCommand(cmd);
        if (typeof command === "string") {
          io.err(`wasyncio ${cmd}: ${command}`);
          return 2;
        }
        return await command(rest);
      }
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
