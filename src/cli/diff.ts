// `wasyncio diff A B`: where two traces first differ (Trace.diff, sim/trace.ts). Exit codes: 0 the
// traces record the same run, 1 they differ, 2 bad input.

import { UsageError, parse, processIo, shown, type Io } from "./common.js";
import { readTrace } from "./replay.js";

export const DIFF_USAGE = `usage: wasyncio diff TRACE_A TRACE_B

Compare two traces (written by a Recorder) and print the first place they differ: the line of
each file, the loop iteration, what differs (the header's loop options, host events, the
scheduler's checksum, a command the program sent, a clock read) and both sides. Record a seeded
program twice and diff the traces to find where it stops being deterministic.

options:
  -h, --help   this text

exit codes: 0 the traces record the same run, 1 they differ, 2 bad input.`;

/**
 * The `diff` command: resolves with the exit code (0 same, 1 different, 2 bad input).
 *
 * @example
 * process.exitCode = await diffCommand(["a.trace", "b.trace"]);
 */
export async function diffCommand(argv: string[], io: Io = processIo()): Promise<number> {
  try {
    const { values, positionals } = parse(argv, {});
    if (values.help === true) {
      io.out(DIFF_USAGE);
      return 0;
    }
    if (positionals.length !== 2) throw new UsageError(`two traces are needed (wasyncio diff TRACE_A TRACE_B), got ${positionals.length}`);
    const [fa, fb] = positionals;
    const a = readTrace(fa, io.cwd);
    const b = readTrace(fb, io.cwd);
    const d = a.trace.diff(b.trace);
    const na = shown(a.path, io.cwd);
    const nb = shown(b.path, io.cwd);
    if (d === null) {
      io.out(`wasyncio diff: ${na} and ${nb} record the same run (${a.trace.iterations} iterations)`);
      return 0;
    }
    io.out(
      [
        `wasyncio diff: first difference at iteration ${d.iteration} (${na} line ${d.lines[0]}, ${nb} line ${d.lines[1]}): ${d.description}`,
        `  ${na}: ${d.expected}`,
        `  ${nb}: ${d.actual}`,
      ].join("\n"),
    );
    return 1;
  } catch (exc) {
    if (exc instanceof UsageError) {
      io.err(`wasyncio diff: ${exc.message}\n(wasyncio diff --help for its options)`);
      return 2;
    }
    throw exc;
  }
}
