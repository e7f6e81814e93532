// `wasyncio shrink TAPEFILE`: replay a failing tape, cut it down to the fewest and smallest
// deviations from FIFO that still fail the same way, print that schedule readably (which task ran
// out of order, where, instead of which) and write it beside the original.

import { resolve } from "node:path";
import { explainSchedule, explore, shrink } from "../index.js";
import {
  UsageError,
  errorLine,
  fmtInt,
  intOption,
  loadScenario,
  parse,
  readTapeFile,
  relativeTo,
  sh,
  shown,
  writeTapeFile,
  type Io,
} from "./common.js";

export const SHRINK_USAGE = `usage: wasyncio shrink TAPEFILE [--module FILE] [options]

Replay the failing schedule in TAPEFILE (a tape written by \`wasyncio explore\`, or a trace a
Recorder wrote of a runSync under a tape or a seeded schedule) against the scenario
FILE exports, and shrink it: the fewest deviations from FIFO, each as small as it can be, that
still fail with the same error. Prints the shrunk schedule — for each deviation, which task ran
before which, in which iteration, and at which yield* each was waiting — and writes it to
TAPEFILE's name with .shrunk.

options:
  --module FILE      the scenario's module (default: the one TAPEFILE names)
  --export NAME      the export to run (default: the one TAPEFILE names, else the default export)
  --core C           wasm or js (default: TAPEFILE's, else wasm)
  --explain          replay and explain TAPEFILE as it is, without shrinking it
  --max-runs N       replays shrinking may spend (default 5000)
  --out FILE         where the shrunk tape goes
  -h, --help         this text

exit codes: 0 shrunk (or explained), 1 the tape does not fail (the run did not replay), 2 bad usage`;

/** The `shrink` command. */
export async function shrinkCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    module: { type: "string" },
    export: { type: "string" },
    core: { type: "string" },
    explain: { type: "boolean" },
    "max-runs": { type: "string" },
    out: { type: "string" },
  });
  if (values.help) {
    io.out(SHRINK_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? "TAPEFILE is required" : `one TAPEFILE only, got ${positionals.join(" ")}`);
  const maxRuns = intOption(values["max-runs"], "max-runs", 1, 5000);
  const { tape: given, meta, path: tapePath } = readTapeFile(positionals[0], io.cwd);
  const moduleArg = values.module as string | undefined;
  const modulePath = moduleArg !== undefined ? resolve(io.cwd, moduleArg) : meta.module !== undefined ? resolve(tapePath, "..", meta.module) : null;
  if (modulePath === null) throw new UsageError(`${positionals[0]} does not name its module: give --module FILE`);
  const exportName = (values.export as string | undefined) ?? (moduleArg === undefined ? meta.export : undefined);
  const core = (values.core as string | undefined) ?? meta.core ?? "wasm";
  if (core !== "wasm" && core !== "js") throw new UsageError(`--core must be wasm or js, got ${JSON.stringify(core)}`);
  const { scenario, name } = await loadScenario(modulePath, exportName, io.cwd);
  let tape = given;
  if (tape === null) {
    // a trace recorded under a seeded random or PCT schedule: that seed's tape
    const schedule = meta.schedule === "pct" ? "pct" : "random";
    const again = explore(scenario as never, { seeds: [meta.seed!], schedule, pctDepth: meta.pctDepth, core, checkDeterminism: false });
    if (again.failures.length === 0) {
      io.out(`${shown(tapePath, io.cwd)}: seed ${meta.seed} under ${schedule} passes when run again: nothing to shrink.`);
      return 1;
    }
    tape = again.failures[0].tape;
  }

  const where = meta.seed !== undefined ? ` (seed ${meta.seed} under ${meta.schedule ?? "?"})` : "";
  const original = explainSchedule(scenario as never, tape, { core });
  if (!original.failed) {
    io.out(`${shown(tapePath, io.cwd)}${where}: the replay ended without error${meta.error ? `, but the tape was written for ${meta.error}` : ""}.`);
    io.out("The scenario does not replay: it depends on something the loop does not control (Date.now(), Math.random(), a raw setTimeout, state left from another run), or it changed since the tape was written.");
    return 1;
  }
  if (values.explain) {
    io.out(`${shown(tapePath, io.cwd)}${where}, replayed: ${errorLine(original.error)}`);
    io.out(original.toString(io.cwd));
    return 0;
  }
  io.out(`${shown(tapePath, io.cwd)}${where}: ${tape.deviations()} deviations from FIFO in ${tape.choices.length} choices, fails with ${errorLine(original.error)}`);
  let lastStatus = 0;
  const t0 = performance.now();
  const minimal = shrink(scenario as never, tape, {
    core,
    maxRuns,
    onProgress: (runs, deviations) => {
      if (!io.isTTY) return;
      const now = performance.now();
      if (now - lastStatus < 100) return;
      lastStatus = now;
      io.status(`shrink: ${fmtInt(runs)} replays, ${deviations} deviations left`);
    },
  });
  if (io.isTTY) io.status("");
  const report = explainSchedule(scenario as never, minimal, { core });
  const seconds = (performance.now() - t0) / 1000;
  io.out(`shrunk to ${minimal.deviations()} deviation${minimal.deviations() === 1 ? "" : "s"} from FIFO in ${seconds.toFixed(2)} s:`);
  io.out(report.toString(io.cwd));
  const outPath = values.out !== undefined ? resolve(io.cwd, values.out as string) : tapePath.replace(/(\.tape)?\.json$/, "") + ".shrunk.tape.json";
  writeTapeFile(outPath, minimal, {
    module: relativeTo(outPath, modulePath),
    export: name,
    core,
    error: errorLine(report.error),
    shrunkFrom: relativeTo(outPath, tapePath),
  });
  io.out(`shrunk tape: ${shown(outPath, io.cwd)}`);
  io.out(`replay it: npx wasyncio shrink ${sh(shown(outPath, io.cwd))} --explain`);
  return 0;
}
