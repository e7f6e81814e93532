// wasyncio/testing: `simTest`, a vitest test that runs a scenario under many schedules.
//
// A scenario is a generator function run by runSync once per seed, under the random schedule
// and under PCT (explore). The first failing seed is run again from its tape to check that it
// replays (explore's determinism check), shrunk to the fewest deviations from FIFO that still
// fail the same way (shrink), and the test fails with: the seed, the schedule, the shrunk
// schedule in words (which task ran before which, at which yield*), the tape's file, and one
// command that replays it — `WASYNCIO_REPLAY=<tape> npx vitest run <file> -t <name>` makes
// simTest run that one schedule and explain it instead of exploring.
//
// vitest is a peer of this entry, not a dependency of wasyncio: only vitest users import it.

import { expect, test } from "vitest";
import { Tape, ValueError, explainSchedule, explore, shrink, type Divergence, type ExploreFailure, type Scenario } from "./index.js";
import { exploreChunked } from "./cli/chunked.js";

/** Options of `simTest`. */
export interface SimTestOptions {
  /** How many seeds per schedule (default 1000), or the seeds. */
  seeds?: number | readonly number[];
  /** The schedules to explore (default both: `['random', 'pct']`). */
  schedules?: readonly ("random" | "pct")[];
  /** PCT's bug depth (default 3). */
  pctDepth?: number;
  /** The test's timeout in milliseconds (default 60,000). */
  timeout?: number;
  /** The scheduler core (default `wasm`). */
  core?: "wasm" | "js";
  /** Where failing tapes are written (default `.wasyncio` in the working directory, else the temp folder). */
  dir?: string;
}

/**
 * A simTest found a failing schedule (or a scenario that does not replay).
 *
 * @example
 * try { simCheck("bank", bank, { seeds: 100 }); }
 * catch (e) { if (e instanceof SimulationFailure) console.log(e.seed, e.schedule, e.tapeFile); }
 */
export class SimulationFailure extends Error {
  override name = "SimulationFailure";
  /** The failing seed and schedule, and the shrunk tape (null for a scenario that does not replay). */
  seed: number | null = null;
  schedule: "random" | "pct" | null = null;
  tape: Tape | null = null;
  /** Where the tape was written (null if it could not be). */
  tapeFile: string | null = null;
  /** The scenario's own error. */
  error: unknown = undefined;
}

interface NodeLike {
  fs: typeof import("node:fs");
  path: typeof import("node:path");
  os: typeof import("node:os");
  cwd: string;
  env: Record<string, string | undefined>;
}

/** The Node (or Bun, Deno) modules for files, when the host has them. */
function node(): NodeLike | null {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown; cwd(): string; env: Record<string, string | undefined> } }).process;
    const load = proc?.getBuiltinModule;
    if (proc === undefined || typeof load !== "function") return null;
    return {
      fs: load("node:fs") as typeof import("node:fs"),
      path: load("node:path") as typeof import("node:path"),
      os: load("node:os") as typeof import("node:os"),
      cwd: proc.cwd(),
      env: proc.env,
    };
  } catch {
    return null;
  }
}

function errorLine(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function describeArg(value: unknown): string {
  if (typeof value === "function") return `function ${value.name || "<anonymous>"}`;
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `an Array of ${value.length}`;
  return value === null ? "null" : typeof value === "object" ? "an object" : String(value);
}

const quote = (s: string) => (/^[\w./@:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "simtest";

function checkOptions(options: SimTestOptions, fn: string): Required<Pick<SimTestOptions, "schedules">> & SimTestOptions {
  if (options === null || typeof options !== "object") throw new TypeError(`${fn}(name, options, scenario): options must be an object, got ${describeArg(options)}`);
  const { seeds = 1000, schedules = ["random", "pct"], timeout, pctDepth, core } = options;
  if (typeof seeds === "number" ? !Number.isSafeInteger(seeds) || seeds < 1 : !Array.isArray(seeds) || seeds.length === 0) {
    throw new ValueError(`${fn}(options): seeds must be a positive count or a non-empty array of seeds, got ${describeArg(seeds)}`);
  }
  if (!Array.isArray(schedules) || schedules.length === 0 || schedules.some((s) => s !== "random" && s !== "pct")) {
    throw new ValueError(`${fn}(options): schedules must be a non-empty array of 'random' and 'pct', got ${describeArg(schedules)}`);
  }
  if (timeout !== undefined && (typeof timeout !== "number" || !(timeout > 0))) {
    throw new ValueError(`${fn}(options): timeout must be a positive number of milliseconds, got ${describeArg(timeout)}`);
  }
  if (pctDepth !== undefined && (typeof pctDepth !== "number" || !Number.isInteger(pctDepth) || pctDepth < 1)) {
    throw new ValueError(`${fn}(options): pctDepth must be a positive integer, got ${describeArg(pctDepth)}`);
  }
  if (core !== undefined && core !== "wasm" && core !== "js") throw new ValueError(`${fn}(options): core must be 'wasm' or 'js', got ${describeArg(core)}`);
  return { ...options, seeds, schedules };
}

/** Write a tape where the user can find it: `dir`, else ./.wasyncio, else the temp folder. */
function writeTape(host: NodeLike | null, dir: string | undefined, fileName: string, body: object): string | null {
  if (host === null) return null;
  const { fs, path, os } = host;
  const dirs = dir !== undefined ? [path.resolve(host.cwd, dir)] : [path.join(host.cwd, ".wasyncio"), path.join(os.tmpdir(), "wasyncio")];
  for (const d of dirs) {
    try {
      fs.mkdirSync(d, { recursive: true });
      const file = path.join(d, fileName);
      fs.writeFileSync(file, JSON.stringify(body, null, 2) + "\n");
      return file;
    } catch {
      // not writable: the next place
    }
  }
  return null;
}

/** The test file vitest is running (for the replay command), when it says. */
function testFile(): string | null {
  try {
    return expect.getState().testPath ?? null;
  } catch {
    return null;
  }
}

/** The tape file WASYNCIO_REPLAY names, when it is for the test called `name`. */
function replayRequest(host: NodeLike | null, name: string): { file: string; tape: Tape } | null {
  const file = host?.env.WASYNCIO_REPLAY;
  if (host === null || !file) return null;
  const path = host.path.resolve(host.cwd, file);
  let data: { test?: unknown };
  try {
    data = JSON.parse(host.fs.readFileSync(path, "utf8"));
  } catch (exc) {
    throw new ValueError(`WASYNCIO_REPLAY=${file}: cannot read the tape: ${(exc as Error).message}`);
  }
  if (data.test !== undefined && data.test !== name) return null; // a tape of another simTest
  return { file: path, tape: Tape.from(data) };
}

/** What exploring one schedule found: its first failure, and whether runs replay. */
interface Found {
  first: ExploreFailure | undefined;
  divergence: Divergence | null;
}

/** Turn what was found into a SimulationFailure (null: nothing failed). */
function failureOf(name: string, scenario: Scenario, o: SimTestOptions, schedule: "random" | "pct", found: Found, seedCount: number, host: NodeLike | null): SimulationFailure | null {
  const rel = (p: string) => (host !== null && p.startsWith(host.cwd + host.path.sep) ? p.slice(host.cwd.length + 1) : p);
  const { first, divergence } = found;
  if (first === undefined) {
    if (divergence === null) return null;
    const failure = new SimulationFailure(`simTest ${JSON.stringify(name)}: the scenario does not replay, so its failures could not be reproduced:\n${divergence.message}`);
    failure.schedule = schedule;
    return failure;
  }
  const lines = [`simTest ${JSON.stringify(name)}: seed ${first.seed} under ${schedule} fails: ${errorLine(first.error)}`];
  lines.push(`(the first failing seed of ${seedCount} under ${schedule})`);
  let tape = first.tape;
  if (divergence !== null) {
    lines.push("", `It does not replay: ${divergence.message}`);
  } else {
    tape = shrink(scenario, first.tape, { core: o.core });
    const report = explainSchedule(scenario, tape, { core: o.core });
    lines.push("", `shrunk to ${tape.deviations()} deviation${tape.deviations() === 1 ? "" : "s"} from FIFO:`, report.toString());
  }
  const file = testFile();
  const tapeFile = writeTape(host, o.dir, `${slug(name)}-${schedule}-seed${first.seed}.tape.json`, {
    version: tape.version,
    choices: tape.choices,
    test: name,
    file: file ?? undefined,
    seed: first.seed,
    schedule,
    pctDepth: schedule === "pct" ? (o.pctDepth ?? 3) : undefined,
    core: o.core ?? "wasm",
    error: errorLine(first.error),
    originalChoices: first.tape.choices,
  });
  lines.push("");
  if (tapeFile !== null) {
    lines.push(`tape: ${rel(tapeFile)}`);
    lines.push(`replay: WASYNCIO_REPLAY=${quote(rel(tapeFile))} npx vitest run ${file !== null ? quote(rel(file)) + " " : ""}-t ${quote(name)}`);
  } else {
    lines.push(`tape (not written: no file system here): ${JSON.stringify(tape.choices)}`);
  }
  const failure = new SimulationFailure(lines.join("\n"));
  failure.seed = first.seed;
  failure.schedule = schedule;
  failure.tape = tape;
  failure.tapeFile = tapeFile;
  failure.error = first.error;
  return failure;
}

/** WASYNCIO_REPLAY: replay that one tape and explain it; a failure if it fails. */
function replayOnly(name: string, scenario: Scenario, o: SimTestOptions, host: NodeLike | null): { done: boolean; failure: SimulationFailure | null } {
  const replay = replayRequest(host, name);
  if (replay === null) return { done: false, failure: null };
  const rel = (p: string) => (host !== null && p.startsWith(host.cwd + host.path.sep) ? p.slice(host.cwd.length + 1) : p);
  const report = explainSchedule(scenario, replay.tape, { core: o.core });
  const text = report.toString();
  if (!report.failed) {
    console.log(`simTest ${JSON.stringify(name)}: the tape ${rel(replay.file)} replays without error:\n${text}`);
    return { done: true, failure: null };
  }
  const failure = new SimulationFailure(`simTest ${JSON.stringify(name)}: the tape ${rel(replay.file)} fails: ${errorLine(report.error)}\n\n${text}`);
  failure.error = report.error;
  failure.tape = replay.tape;
  failure.tapeFile = replay.file;
  return { done: true, failure };
}

const seedList = (seeds: number | readonly number[]) => (typeof seeds === "number" ? Array.from({ length: seeds }, (_, k) => k) : seeds);

/**
 * Run `scenario` under every seed of every schedule in `options`, and throw a
 * `SimulationFailure` describing the first failing seed (shrunk, explained, its tape written to a
 * file) — what `simTest` runs as its test body. `name` names the test in messages and files.
 * Synchronous (simTest itself explores in chunks, yielding to the host between them).
 *
 * @example
 * simCheck("bank never overdraws", function* () { … }, { seeds: 200 });
 */
export function simCheck(name: string, scenario: Scenario, options: SimTestOptions = {}): void {
  const o = checkOptions(options, "simCheck");
  const host = node();
  const replay = replayOnly(name, scenario, o, host);
  if (replay.done) {
    if (replay.failure !== null) throw replay.failure;
    return;
  }
  const seeds = seedList(o.seeds!);
  for (const schedule of o.schedules) {
    const result = explore(scenario, { seeds, schedule, pctDepth: o.pctDepth, core: o.core, maxFailures: 1 });
    const failure = failureOf(name, scenario, o, schedule, { first: result.failures[0], divergence: result.divergence }, seeds.length, host);
    if (failure !== null) throw failure;
  }
}

/** simCheck, exploring in chunks with a macrotask between them (see cli/chunked.ts). */
async function simCheckChunked(name: string, scenario: Scenario, o: SimTestOptions): Promise<void> {
  const host = node();
  const replay = replayOnly(name, scenario, o, host);
  if (replay.done) {
    if (replay.failure !== null) throw replay.failure;
    return;
  }
  const seeds = seedList(o.seeds!);
  for (const schedule of o.schedules!) {
    const options = { schedule, pctDepth: o.pctDepth, core: o.core };
    const { failures } = await exploreChunked(scenario, seeds, { ...options, maxFailures: 1 });
    // the determinism check: the first failing seed (or the first seed) three more times
    const check = explore(scenario, { ...options, seeds: [failures[0]?.seed ?? seeds[0]], checkDeterminism: true });
    const failure = failureOf(name, scenario, o, schedule, { first: failures[0], divergence: check.divergence }, seeds.length, host);
    if (failure !== null) throw failure;
  }
}

/**
 * A vitest test that runs `scenario` (a generator function) under `seeds` seeds of each schedule
 * in `schedules` and fails with the first failing seed, shrunk and explained, its tape written
 * to `.wasyncio/`, and the command that replays it.
 *
 * @example
 * import { simTest } from "wasyncio/testing";
 * simTest("two withdrawals never overdraw", { seeds: 500 }, function* () {
 *   const account = { balance: 100 };
 *   yield* gather(withdraw(account, 60), withdraw(account, 60));
 *   if (account.balance < 0) throw new Error(`overdrawn: ${account.balance}`);
 * });
 */
export function simTest(name: string, options: SimTestOptions, scenario: Scenario): void;
export function simTest(name: string, scenario: Scenario): void;
export function simTest(name: string, a: SimTestOptions | Scenario, b?: Scenario): void {
  if (typeof name !== "string" || name === "") throw new TypeError(`simTest(name, …): name must be a non-empty string, got ${describeArg(name)}`);
  const options = typeof a === "function" ? {} : a;
  const scenario = typeof a === "function" ? a : b;
  if (typeof scenario !== "function") {
    throw new TypeError(`simTest(name, options, scenario): scenario must be a generator function (function*), got ${describeArg(scenario)}`);
  }
  const o = checkOptions(options, "simTest");
  test(name, () => simCheckChunked(name, scenario, o), o.timeout ?? 60_000);
}
