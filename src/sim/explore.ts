// explore: run one scenario under many schedules and collect the ones that fail.
//
// A scenario is a generator function (`function*`), run by `runSync` once per seed under the
// `random` or `pct` schedule. Every run's tape (`loop.tape()`) is kept with its failure, so a
// failing seed replays exactly (`runSync(scenario, { schedule: tape })`) and `shrink` can cut it
// down. What counts as a failure: the scenario raises, or an error reaches the loop's exception
// handler (a task's exception nobody retrieved, a callback that threw) — which explore captures
// instead of printing it a thousand times.
//
// A tape only replays a program that is deterministic given its schedule. Code that reads the
// host around the loop (`Date.now()`, `Math.random()`, a raw `setTimeout`, state left over from
// an earlier run) breaks that, silently. So explore runs a seed twice more with a recorder on —
// the first seed, and the first failing seed from its tape — and reports the first iteration
// where the two runs differ, naming what ran there.

import { ValueError, describe } from "../errors.js";
import { Tape } from "../loop/schedule.js";
import type { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running.js";
import { Task, isCoroutine, currentTask, type Coro } from "../tasks/tasks.js";
import { runSync } from "../runners.js";
import type { CoreKind } from "../core/types.js";
import { ScheduleRecorder, StepLimitError, describeOwner, formatFrame, hostCwd, type BatchRecord } from "./batch-trace.js";

/** A scenario: a generator function, called once per run. */
export type Scenario = () => Coro<unknown>;

/** The schedules explore draws from. */
export type ExploreSchedule = "random" | "pct";

/** Options of `explore`. */
export interface ExploreOptions {
  /** How many seeds (0 … seeds-1), or the seeds themselves. */
  seeds: number | readonly number[];
  /** `random` (default: a uniform permutation of every batch) or `pct`. */
  schedule?: ExploreSchedule;
  /** PCT's bug depth (default 3). */
  pctDepth?: number;
  /** The scheduler core (default `wasm`). */
  core?: CoreKind;
  /** Iterations a run may take before it counts as a failure (`StepLimitError`); default 1,000,000. */
  maxIterations?: number;
  /** Stop after this many failures (default: run every seed). */
  maxFailures?: number;
  /**
   * Check that runs replay (default true): the first seed — or the first failing seed, then from
   * its tape — runs three more times with a recorder, and the first difference is reported.
   */
  checkDeterminism?: boolean;
  /** Called after each seed with the seeds run and the failures so far. */
  onProgress?: (ran: number, failures: number) => void;
}

/** One failing seed: the error, and the tape that replays the run. */
export interface ExploreFailure {
  seed: number;
  schedule: ExploreSchedule;
  error: unknown;
  tape: Tape;
}

/** Two runs of one seed that did not run the same way. */
export interface Divergence {
  seed: number;
  schedule: ExploreSchedule;
  /** The first iteration where the runs differ. */
  iteration: number;
  /** What the first run ran there (or its outcome, when one run ended sooner). */
  first: string;
  /** What the second run ran there. */
  second: string;
  message: string;
}

/** What `explore` found. */
export interface ExploreResult {
  /** Seeds run. */
  ran: number;
  /** The failing seeds, in the order they ran. */
  failures: ExploreFailure[];
  /** The first nondeterminism found (then a tape may not replay its failure), else null. */
  divergence: Divergence | null;
}

/** Where one run ended: its error (`failed`), its tape, and what it ran when recorded. */
export interface RunOutcome {
  failed: boolean;
  error: unknown;
  tape: Tape;
  /** Iterations the run took. */
  iterations: number;
}

/** The scenario is not usable (not a generator function): raised out of explore, not a failure. */
class BadScenario extends TypeError {}

const DEFAULT_MAX_ITERATIONS = 1_000_000;

/** @internal Check a scenario argument: a function. */
export function checkScenario(scenario: unknown, fn: string): asserts scenario is Scenario {
  if (typeof scenario !== "function") {
    throw new TypeError(`${fn}(scenario): scenario must be a generator function (function*), got ${describe(scenario)}`);
  }
}

/**
 * @internal Run `scenario` once under `schedule` on a fresh loop (runSync). The error it raised,
 * or else the first one reported to the loop's exception handler, is its failure.
 */
export function runScenario(
  scenario: Scenario,
  options: { seed?: number; schedule: ExploreSchedule | Tape; pctDepth?: number; core?: CoreKind },
  recorder: ScheduleRecorder,
  fn: string,
): RunOutcome {
  let loop: EventLoop | null = null;
  let reported: unknown = undefined;
  function* main(): Coro<unknown> {
    const running = getRunningLoop();
    loop = running;
    currentTask()?.setName("main"); // not Task-N: N counts every task this process made, so it differs run to run
    running.setExceptionHandler((_loop, context) => {
      if (reported === undefined && context.exception !== undefined) reported = context.exception;
    });
    recorder.attach(running, currentTask() as Task<unknown> | null);
    const coro = scenario();
    if (!isCoroutine(coro)) {
      const hint = (coro as unknown) instanceof Promise ? " (an async function? write function* and yield*)" : "";
      throw new BadScenario(`${fn}(scenario): scenario must be a generator function (function*) returning a coroutine; calling it returned ${describe(coro)}${hint}`);
    }
    return yield* coro;
  }
  let error: unknown = undefined;
  let failed = false;
  try {
    runSync(main, { clock: "virtual", seed: options.seed, schedule: options.schedule, pctDepth: options.pctDepth, core: options.core });
  } catch (exc) {
    if (exc instanceof BadScenario) throw exc;
    failed = true;
    error = exc;
  } finally {
    recorder.detach();
  }
  if (!failed && reported !== undefined) {
    failed = true;
    error = reported;
  }
  const ran = loop as EventLoop | null;
  return { failed, error, tape: ran !== null ? ran.tape() : new Tape([]), iterations: ran !== null ? ran.iteration : 0 };
}

function checkSeeds(seeds: unknown): readonly number[] {
  if (typeof seeds === "number") {
    if (!Number.isSafeInteger(seeds) || seeds < 1) {
      throw new ValueError(`explore(options): seeds must be a positive count or a non-empty array of seeds, got ${describe(seeds)}`);
    }
    return Array.from({ length: seeds }, (_, k) => k);
  }
  if (Array.isArray(seeds)) {
    if (seeds.length === 0) throw new ValueError("explore(options): seeds must be a positive count or a non-empty array of seeds, got an empty array");
    seeds.forEach((s, k) => {
      if (typeof s !== "number" || !Number.isSafeInteger(s) || s < 0) {
        throw new ValueError(`explore(options): seeds[${k}] must be a non-negative safe integer, got ${describe(s)}`);
      }
    });
    return seeds;
  }
  throw new ValueError(`explore(options): seeds must be a positive count or a non-empty array of seeds, got ${describe(seeds)}`);
}

/** @internal Check the options explore and shrink share. */
export function checkRunOptions(options: { schedule?: unknown; pctDepth?: unknown; core?: unknown; maxIterations?: unknown }, fn: string): void {
  const { schedule, pctDepth, core, maxIterations } = options;
  if (schedule !== undefined && schedule !== "random" && schedule !== "pct") {
    throw new ValueError(`${fn}(options): schedule must be 'random' or 'pct', got ${describe(schedule)}`);
  }
  if (pctDepth !== undefined && (typeof pctDepth !== "number" || !Number.isInteger(pctDepth) || pctDepth < 1)) {
    throw new ValueError(`${fn}(options): pctDepth must be a positive integer, got ${describe(pctDepth)}`);
  }
  if (core !== undefined && core !== "wasm" && core !== "js") {
    throw new ValueError(`${fn}(options): core must be 'wasm' or 'js', got ${describe(core)}`);
  }
  if (maxIterations !== undefined && (typeof maxIterations !== "number" || !(maxIterations >= 1))) {
    throw new ValueError(`${fn}(options): maxIterations must be a positive number, got ${describe(maxIterations)}`);
  }
}

/**
 * Run `scenario` once per seed under a random or PCT schedule, and return the seeds that fail
 * with their errors and tapes. A tape replays its run: `runSync(scenario, { schedule: tape })`;
 * `shrink(scenario, tape)` cuts it down to the deviations from FIFO the failure needs.
 *
 * @example
 * const { ran, failures } = explore(function* () {
 *   const account = { balance: 100 };
 *   yield* gather(withdraw(account, 60), withdraw(account, 60));
 *   if (account.balance < 0) throw new Error(`overdrawn: ${account.balance}`);
 * }, { seeds: 1000, schedule: "pct" });
 * if (failures.length > 0) console.log(`seed ${failures[0].seed}:`, failures[0].error);
 *
 * explore is synchronous: each seed's loop is closed (and collectable) before the next starts —
 * what stays is the `failures` list (each with its error and tape; `maxFailures` bounds it) —
 * but the host gets no turn until it returns: the CLI and simTest explore in chunks so their
 * progress line and Ctrl+C get one.
 */
export function explore(scenario: Scenario, options: ExploreOptions): ExploreResult {
  checkScenario(scenario, "explore");
  if (options === null || typeof options !== "object") {
    throw new TypeError(`explore(scenario, options): options must be an object with seeds, got ${describe(options)}`);
  }
  const seeds = checkSeeds(options.seeds);
  checkRunOptions(options, "explore");
  const { schedule = "random", pctDepth, core, maxIterations = DEFAULT_MAX_ITERATIONS, maxFailures = Infinity, checkDeterminism = true, onProgress } = options;
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new TypeError(`explore(options): onProgress must be a function, got ${describe(onProgress)}`);
  }
  const failures: ExploreFailure[] = [];
  let ran = 0;
  const limit = new ScheduleRecorder({ keep: false, limit: maxIterations });
  for (const seed of seeds) {
    const outcome = runScenario(scenario, { seed, schedule, pctDepth, core }, limit, "explore");
    ran++;
    if (outcome.failed) failures.push({ seed, schedule, error: outcome.error, tape: outcome.tape });
    onProgress?.(ran, failures.length);
    if (failures.length >= maxFailures) break;
  }
  let divergence: Divergence | null = null;
  if (checkDeterminism) {
    const first = failures[0];
    // a failure must replay from its tape; with none, the first seed must run the same twice
    divergence = first !== undefined
      ? checkTwice(scenario, { seed: first.seed, schedule, pctDepth, core, maxIterations }, first.tape, first)
      : checkTwice(scenario, { seed: seeds[0], schedule, pctDepth, core, maxIterations }, null);
  }
  return { ran, failures, divergence };
}

/** A traced run: what each iteration ran, and how the run ended. */
export interface TracedRun {
  outcome: RunOutcome;
  records: BatchRecord[];
  recorder: ScheduleRecorder;
}

/** @internal Run once with a recorder (and, with `probe`, where each task waits). */
export function tracedRun(
  scenario: Scenario,
  options: { seed?: number; schedule: ExploreSchedule | Tape; pctDepth?: number; core?: CoreKind; maxIterations?: number },
  probe: boolean,
  fn: string,
): TracedRun {
  const recorder = new ScheduleRecorder({ keep: true, probe, limit: options.maxIterations ?? DEFAULT_MAX_ITERATIONS });
  const outcome = runScenario(scenario, options, recorder, fn);
  return { outcome, records: recorder.records, recorder };
}

/** Whether a run ended with `failed`'s error (same class and message). */
function sameEnd(outcome: RunOutcome, failed: { error: unknown }): boolean {
  if (!outcome.failed) return false;
  const a = outcome.error;
  const b = failed.error;
  if (a instanceof Error && b instanceof Error) return a.constructor === b.constructor && a.message === b.message;
  return a === b;
}

function outcomeText(outcome: RunOutcome): string {
  if (!outcome.failed) return "the run ended without error";
  const e = outcome.error;
  return `the run ended with ${e instanceof Error ? `${e.name}: ${e.message}` : describe(e)}`;
}

function batchText(run: TracedRun, rec: BatchRecord, cwd = hostCwd()): string {
  const parts = rec.ran.map((o, k) => {
    const where = rec.where[k];
    const at = where !== null && where.frames.length > 0 ? ` (waiting at ${formatFrame(where.frames[0], cwd)})` : "";
    return `${describeOwner(o)} [${run.recorder.label(o)}]${at}`;
  });
  return `[${parts.join(", ")}] at time ${rec.time}`;
}

/**
 * @internal Where two recorded runs first differ (what ran, in which order, at what loop time,
 * and how they ended), or null.
 */
export function firstDivergence(a: TracedRun, b: TracedRun, cwd?: string): { iteration: number; first: string; second: string } | null {
  const n = Math.max(a.records.length, b.records.length);
  for (let k = 0; k < n; k++) {
    const ra = a.records[k];
    const rb = b.records[k];
    if (ra === undefined || rb === undefined) {
      const iteration = (ra ?? rb)!.iteration;
      return {
        iteration,
        first: ra === undefined ? `nothing: ${outcomeText(a.outcome)} after iteration ${a.outcome.iterations}` : batchText(a, ra, cwd),
        second: rb === undefined ? `nothing: ${outcomeText(b.outcome)} after iteration ${b.outcome.iterations}` : batchText(b, rb, cwd),
      };
    }
    const same =
      ra.iteration === rb.iteration &&
      ra.time === rb.time &&
      ra.ran.length === rb.ran.length &&
      ra.ran.every((o, i) => a.recorder.label(o) === b.recorder.label(rb.ran[i]));
    if (!same) return { iteration: Math.min(ra.iteration, rb.iteration), first: batchText(a, ra, cwd), second: batchText(b, rb, cwd) };
  }
  const ea = a.outcome.error;
  const eb = b.outcome.error;
  if (a.outcome.failed !== b.outcome.failed || (ea instanceof Error && eb instanceof Error && (ea.constructor !== eb.constructor || ea.message !== eb.message))) {
    const last = Math.max(a.outcome.iterations, b.outcome.iterations);
    return { iteration: last, first: outcomeText(a.outcome), second: outcomeText(b.outcome) };
  }
  // the same batches in the same order, yet other choices: loop.random() draws differ
  const ta = a.outcome.tape.choices;
  const tb = b.outcome.tape.choices;
  const n2 = Math.max(ta.length, tb.length);
  for (let k = 0; k < n2; k++) {
    if ((ta[k] ?? 0) === (tb[k] ?? 0)) continue;
    const at = a.records.filter((r) => r.tapeAt <= k).at(-1);
    const entry = (t: readonly number[]) => (k < t.length ? `tape entry ${k} is ${t[k]} (of ${t.length} choices)` : `no tape entry ${k} (${t.length} choices)`);
    return { iteration: at?.iteration ?? 1, first: entry(ta), second: entry(tb) };
  }
  return null;
}

/**
 * @internal Run a seed (or its failure's tape) twice with recorders and compare. `tape`: the
 * tape explore's run made — the second run replays it, so a failure that does not replay is
 * found too.
 */
export function checkTwice(
  scenario: Scenario,
  options: { seed: number; schedule: ExploreSchedule; pctDepth?: number; core?: CoreKind; maxIterations?: number },
  tape: Tape | null,
  failed?: { error: unknown },
  cwd?: string,
): Divergence | null {
  // three runs, not two: a coin flip of Math.random() hides from one comparison half the time
  const a = tracedRun(scenario, options, true, "explore");
  let d: ReturnType<typeof firstDivergence> = null;
  if (failed !== undefined && !sameEnd(a.outcome, failed)) {
    // explore's own run failed; run again, the seed ends otherwise
    d = { iteration: a.outcome.iterations, first: outcomeText({ ...a.outcome, failed: true, error: failed.error }), second: outcomeText(a.outcome) };
  }
  for (let k = 0; k < 2 && d === null; k++) {
    const b = tracedRun(scenario, { ...options, schedule: tape ?? options.schedule }, true, "explore");
    d = firstDivergence(a, b, cwd);
  }
  if (d === null) return null;
  const how = tape !== null ? `seed ${options.seed} (${options.schedule}), its runs and the replays of its tape,` : `two runs of seed ${options.seed} (${options.schedule})`;
  const message =
    `${how} differ from iteration ${d.iteration}:\n` +
    `  first run:  ${d.first}\n` +
    `  second run: ${d.second}\n` +
    "The scenario depends on something the loop does not control — Date.now(), Math.random(), a raw setTimeout or promise, " +
    "or state left over from an earlier run — so its seeds and tapes do not replay. Take such inputs through the loop " +
    "(loop.time(), loop.random(), wrap()) and start each run from fresh state.";
  return { seed: options.seed, schedule: options.schedule, iteration: d.iteration, first: d.first, second: d.second, message };
}

export { StepLimitError };
