// `wasyncio replay TRACE [--module FILE] [--export NAME]`: run the program a trace was recorded
// from against the trace, with no real I/O (sim/replay.ts). The program is the one the trace's
// header names (its `scenario`, written by `new Recorder({ scenario })` or recordRun), or
// --module/--export. Exit codes: 0 a faithful replay, 1 a divergence, 2 bad input.

import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ReplayDivergence, Trace, run, runSync } from "../index.js";
import { UsageError, errorLine, loadScenario, parse, processIo, shown, type Io } from "./common.js";

export const REPLAY_USAGE = `usage: wasyncio replay TRACE [--module FILE] [--export NAME]

Replay TRACE — a trace written by a Recorder (recorder.trace().toString()) — against the program
that recorded it, with no real I/O: every clock read, host event and wrapped-promise settlement
comes from the trace, and every command the program sends and the scheduler's state at every
iteration are compared with the recorded ones. The program runs under run() or runSync(), as it
was recorded.

options:
  --module FILE   the ES module that exports the program (default: the module the trace's
                  header names, relative to the trace's folder)
  --export NAME   the export that is the program's main (default: the header's, else the
                  module's default export or its only generator function)
  -h, --help      this text

exit codes: 0 the replay was faithful, 1 it diverged (the message names the iteration, what the
trace expected and what the program did), 2 bad input (no such file, not a trace, no program).`;

/** Read and parse a trace file; bad input is a UsageError naming the file. */
export function readTrace(file: string, cwd: string): { trace: Trace; path: string } {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (exc) {
    throw new UsageError(`${file}: ${(exc as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (exc as Error).message}`);
  }
  try {
    return { trace: Trace.parse(text), path };
  } catch (exc) {
    throw new UsageError(`${file} is not a wasyncio trace: ${(exc as Error).message}`);
  }
}

/** A result, short, for the summary line. */
function summary(value: unknown): string {
  if (value === undefined) return "undefined";
  try {
    const text = JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : typeof v === "bigint" ? `${v}n` : v));
    if (text !== undefined) return text.length > 200 ? text.slice(0, 197) + "…" : text;
  } catch {
    // a cycle, a throwing getter: fall through
  }
  return String(value);
}

/**
 * The `replay` command: resolves with the exit code (0 faithful, 1 diverged, 2 bad input).
 *
 * @example
 * process.exitCode = await replayCommand(["run.trace"]);
 */
export async function replayCommand(argv: string[], io: Io = processIo()): Promise<number> {
  try {
    const { values, positionals } = parse(argv, { module: { type: "string" }, export: { type: "string" } });
    if (values.help === true) {
      io.out(REPLAY_USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? "which trace? (wasyncio replay TRACE)" : `one trace at a time, got ${positionals.length}: ${positionals.join(" ")}`);
    const { trace, path } = readTrace(positionals[0], io.cwd);
    const scenario = trace.header.scenario;
    let module: string;
    let exportName: string | undefined;
    if (typeof values.module === "string") {
      module = resolve(io.cwd, values.module);
      exportName = typeof values.export === "string" ? values.export : undefined;
    } else if (scenario !== null) {
      module = scenario.module.startsWith("file:") ? fileURLToPath(scenario.module) : isAbsolute(scenario.module) ? scenario.module : resolve(dirname(path), scenario.module);
      exportName = typeof values.export === "string" ? values.export : scenario.export;
    } else {
      throw new UsageError(`${positionals[0]} does not name the program it recorded (no scenario in its header): give it with --module FILE`);
    }
    const { scenario: main, name } = await loadScenario(module, exportName, io.cwd);
    const runner = trace.header.sync ? "runSync" : "run";
    const what = `${shown(module, io.cwd)}${name === "default" ? "" : ` (${name})`}`;
    try {
      const result = trace.header.sync ? runSync(main as never, { replay: trace }) : await run(main as never, { replay: trace });
      io.out(`wasyncio replay: ${what} replayed ${trace.iterations} iterations of ${shown(path, io.cwd)} under ${runner}() faithfully; main returned ${summary(result)}`);
      return 0;
    } catch (exc) {
      if (exc instanceof ReplayDivergence) {
        io.err(`wasyncio replay: ${what} does not replay ${shown(path, io.cwd)}:\n${exc.message}`);
        return 1;
      }
      // the run matched the trace to its end (or a divergence would have been raised): main
      // failed as it did when it was recorded
      io.out(`wasyncio replay: ${what} replayed ${trace.iterations} iterations of ${shown(path, io.cwd)} under ${runner}() faithfully; main raised ${errorLine(exc)}`);
      return 0;
    }
  } catch (exc) {
    if (exc instanceof UsageError) {
      io.err(`wasyncio replay: ${exc.message}\n(wasyncio replay --help for its options)`);
      return 2;
    }
    throw exc;
  }
}
