// shrink: the fewest, smallest deviations from FIFO that still make a scenario fail the same way.
//
// A tape is a list of choices and FIFO is all zeros, so "how far from FIFO" is the number of
// nonzero entries. Delta debugging (Zeller & Hildebrandt's ddmin) over the set of nonzero
// positions finds a 1-minimal subset — zeroing any one more entry makes the failure go away —
// then each survivor is made as small as it can be (a choice c swaps a handle with the one c
// places before it: smaller is nearer FIFO), and trailing zeros are dropped (a tape that runs
// out continues as FIFO). Every candidate is a real replay: it "still fails" when it raises an
// error of the same class whose message has the same shape (numbers aside).
//
// Replays whose tape no longer fits the program (an entry out of range once earlier batches
// changed size) and runs that never end (the step limit) count as not failing. After each
// success the tape the replay actually consumed replaces the candidate, so entries that were
// never reached fall away by themselves.
//
// `explainSchedule` replays a tape with a recorder and says, for each deviation, which task ran
// out of order, in which iteration, instead of which, and at which `yield*` each was waiting.

import { ValueError, describe } from "../errors.js";
import { Tape } from "../loop/schedule.js";
import { Task } from "../tasks/tasks.js";
import type { CoreKind } from "../core/types.js";
import {
  StepLimitError,
  checkRunOptions,
  checkScenario,
  runScenario,
  tracedRun,
  type Scenario,
} from "./explore.js";
import { ScheduleRecorder, describeOwner, formatFrame, hostCwd, type Suspension } from "./batch-trace.js";

/** Options of `shrink`. */
export interface ShrinkOptions {
  /** The scheduler core (default `wasm`). */
  core?: CoreKind;
  /** Replays shrink may spend (default 5,000); it returns the smallest failing tape found by then. */
  maxRuns?: number;
  /** Iterations a replay may take before it counts as not failing (default 1,000,000). */
  maxIterations?: number;
  /**
   * Whether an error is "the same failure" (default: the same class, and the same message once
   * numbers are set aside).
   */
  sameFailure?: (error: unknown, original: unknown) => boolean;
  /** Called after each replay with the replays so far and the deviations of the best tape. */
  onProgress?: (runs: number, deviations: number) => void;
}

/** The message with its numbers set aside: `balance is -20` and `balance is -40` have one shape. */
function messageShape(message: string): string {
  return message.replace(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, "#");
}

/**
 * The default notion of "the same failure": errors of the same class whose messages differ at
 * most in their numbers; non-Error values of the same type.
 *
 * @example
 * sameFailure(new RangeError("balance -20"), new RangeError("balance -40")); // true
 */
export function sameFailure(error: unknown, original: unknown): boolean {
  if (original instanceof Error) {
    return error instanceof Error && error.constructor === original.constructor && messageShape(error.message) === messageShape(original.message);
  }
  return !(error instanceof Error) && typeof error === typeof original;
}

/** The tape does not fit the program: raised by the loop for a choice out of range. */
function isTapeMisfit(error: unknown): boolean {
  return error instanceof ValueError && error.message.startsWith("schedule tape:");
}

function trimmed(choices: readonly number[]): number[] {
  let end = choices.length;
  while (end > 0 && choices[end - 1] === 0) end--;
  return choices.slice(0, end);
}

function nonzero(choices: readonly number[]): number[] {
  const at: number[] = [];
  for (let k = 0; k < choices.length; k++) if (choices[k] !== 0) at.push(k);
  return at;
}

const deviations = (choices: readonly number[]) => nonzero(choices).length;

/** Thrown inside shrink when maxRuns replays were spent: the best tape so far is the answer. */
class OutOfRuns extends Error {}

function checkTapeArg(tape: unknown, fn: string): Tape {
  if (tape instanceof Tape) return tape;
  if (Array.isArray(tape) || (tape !== null && typeof tape === "object") || typeof tape === "string") {
    try {
      return Tape.from(tape);
    } catch (exc) {
      throw new ValueError(`${fn}(tape): ${(exc as Error).message}`);
    }
  }
  throw new TypeError(`${fn}(tape): tape must be a Tape, its JSON, or an array of choices, got ${describe(tape)}`);
}

/**
 * The smallest tape found that still makes `scenario` fail the way `tape` does: the fewest
 * deviations from FIFO, each as small as it can be, without trailing zeros. Throws ValueError
 * if `tape` does not make the scenario fail.
 *
 * @example
 * const { failures } = explore(scenario, { seeds: 1000 });
 * const minimal = shrink(scenario, failures[0].tape);
 * console.log(minimal.deviations(), explainSchedule(scenario, minimal).toString());
 */
export function shrink(scenario: Scenario, tape: Tape | readonly number[], options: ShrinkOptions = {}): Tape {
  checkScenario(scenario, "shrink");
  const start = checkTapeArg(tape, "shrink");
  if (options === null || typeof options !== "object") {
    throw new TypeError(`shrink(scenario, tape, options): options must be an object, got ${describe(options)}`);
  }
  checkRunOptions(options, "shrink");
  const { core, maxRuns = 5000, maxIterations = 1_000_000, sameFailure: same = sameFailure, onProgress } = options;
  if (typeof maxRuns !== "number" || !(maxRuns >= 1)) {
    throw new ValueError(`shrink(options): maxRuns must be a positive number, got ${describe(maxRuns)}`);
  }
  if (typeof same !== "function") throw new TypeError(`shrink(options): sameFailure must be a function, got ${describe(same)}`);

  const limit = new ScheduleRecorder({ keep: false, limit: maxIterations });
  const first = runScenario(scenario, { schedule: start, core }, limit, "shrink");
  if (!first.failed) {
    throw new ValueError(`shrink(tape): the tape does not make the scenario fail (its replay ended without error): it belongs to another program, or the scenario is not deterministic`);
  }
  if (isTapeMisfit(first.error)) throw new ValueError(`shrink(tape): the tape does not fit this scenario: ${(first.error as Error).message}`);
  const original = first.error;
  let best = trimmed(first.tape.choices);
  let bestLength = first.tape.choices.length; // the choices the best run made, trailing zeros included
  let runs = 1;

  /** Replay `choices`; the tape it consumed (trimmed) if it fails the same way, else null. */
  const attempt = (choices: readonly number[]): number[] | null => {
    if (runs >= maxRuns) throw new OutOfRuns();
    runs++;
    const outcome = runScenario(scenario, { schedule: new Tape(choices), core }, limit, "shrink");
    let result: number[] | null = null;
    if (outcome.failed && !isTapeMisfit(outcome.error) && (original instanceof StepLimitError || !(outcome.error instanceof StepLimitError))) {
      if (same(outcome.error, original)) result = trimmed(outcome.tape.choices);
    }
    if (result !== null && deviations(result) <= deviations(best)) {
      best = result;
      bestLength = outcome.tape.choices.length;
    }
    onProgress?.(runs, deviations(best));
    return result;
  };

  try {
    // FIFO itself?
    if (best.length > 0 && attempt([]) !== null) return new Tape([]);
    ddmin(attempt, () => best, (t) => (best = t));
    minimizeValues(attempt, () => best, (t) => (best = t));
    // smaller values can make other deviations unnecessary: one more pass of single removals
    for (const at of nonzero(best)) {
      const cand = best.slice();
      cand[at] = 0;
      attempt(cand);
    }
    moveLater(attempt, () => best, () => bestLength, (t) => (best = t));
  } catch (exc) {
    if (!(exc instanceof OutOfRuns)) throw exc;
  }
  return new Tape(best);
}

/** ddmin over the nonzero positions of the current tape: keep chunks, or drop them. */
function ddmin(attempt: (c: readonly number[]) => number[] | null, get: () => number[], set: (t: number[]) => void): void {
  let granularity = 2;
  for (;;) {
    const cur = get();
    const at = nonzero(cur);
    if (at.length === 0) return;
    if (at.length === 1) {
      const r = attempt([]); // the one deviation could still be unneeded
      if (r !== null) set(r);
      return;
    }
    const n = Math.min(granularity, at.length);
    const chunks: number[][] = [];
    for (let k = 0; k < n; k++) chunks.push(at.slice(Math.floor((k * at.length) / n), Math.floor(((k + 1) * at.length) / n)));
    let reduced = false;
    // a chunk alone (every other deviation zeroed)
    for (const chunk of chunks) {
      const cand = new Array<number>(cur.length).fill(0);
      for (const k of chunk) cand[k] = cur[k];
      const r = attempt(trimmed(cand));
      if (r !== null && deviations(r) < at.length) {
        set(r);
        granularity = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && n > 2) {
      // a chunk's complement (that chunk zeroed)
      for (const chunk of chunks) {
        const cand = cur.slice();
        for (const k of chunk) cand[k] = 0;
        const r = attempt(trimmed(cand));
        if (r !== null && deviations(r) < at.length) {
          set(r);
          granularity = Math.max(granularity - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= at.length) return; // 1-minimal: no single deviation can go
      granularity = Math.min(n * 2, at.length);
    }
  }
}

/** Make each remaining choice as small as it can be (nearer FIFO), smallest candidates first. */
function minimizeValues(attempt: (c: readonly number[]) => number[] | null, get: () => number[], set: (t: number[]) => void): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const at of nonzero(get())) {
      const cur = get();
      const v = cur[at];
      if (v === undefined || v <= 1) continue;
      const candidates = new Set<number>();
      for (let c = 1; c < Math.min(v, 9); c++) candidates.add(c);
      for (let c = v >>> 1; c > 0; c >>>= 1) candidates.add(c);
      for (const c of [...candidates].sort((x, y) => x - y)) {
        if (c >= v) break;
        const cand = cur.slice();
        cand[at] = c;
        const r = attempt(cand);
        if (r !== null && deviations(r) <= deviations(cur)) {
          set(r);
          changed = true;
          break;
        }
      }
    }
  }
}

/** Replays spent moving deviations later, at most. */
const LATER_BUDGET = 400;

/**
 * Move each deviation as late in the run as it can go while the failure stays: one swap just
 * before the failure tells the story (bob checked the balance before alice took her money); the
 * same failure caused by an early swap whose effect ripples on is harder to read.
 */
function moveLater(
  attempt: (c: readonly number[]) => number[] | null,
  get: () => number[],
  length: () => number,
  set: (t: number[]) => void,
): void {
  let spent = 0;
  const at = nonzero(get()).reverse();
  for (const p of at) {
    const cur = get();
    if (cur[p] === 0) continue;
    let moved = false;
    for (let q = length() - 1; q > p && !moved; q--) {
      if (cur[q] !== undefined && cur[q] !== 0) continue;
      for (const c of [1, 2]) {
        if (spent++ >= LATER_BUDGET) return;
        const cand = cur.slice();
        while (cand.length <= q) cand.push(0);
        cand[p] = 0;
        cand[q] = c;
        const r = attempt(trimmed(cand));
        if (r !== null && deviations(r) <= deviations(cur)) {
          set(r);
          moved = true;
          break;
        }
      }
    }
  }
}

// ---- explaining a schedule ------------------------------------------------------------------------

/** One iteration whose batch did not run in FIFO order. */
export interface Deviation {
  iteration: number;
  /** The nonzero tape entries of this batch: `[index, choice]`. */
  entries: [number, number][];
  /** What ran out of order: the first handle that is not the one FIFO would run there. */
  moved: string;
  /** What FIFO would have run in its place. */
  instead: string;
  /** The batch in FIFO order, and as it ran. */
  fifo: string[];
  ran: string[];
  /** Where `moved` and `instead` were waiting when the iteration began (tasks only; null: not known or a first step). */
  movedWasAt: Suspension | null;
  insteadWasAt: Suspension | null;
  /** Where their steps in this iteration stopped: the next wait, or `"done"`. */
  movedRanTo: Suspension | "done" | null;
  insteadRanTo: Suspension | "done" | null;
  /** Whether `moved` and `instead` are task steps (else callbacks: no wait or step to show). */
  movedIsTask: boolean;
  insteadIsTask: boolean;
}

/** A `loop.random()` draw the tape changed (a nonzero entry that orders no batch). */
export interface RandomDeviation {
  /** The tape entries of the draw. */
  entries: [number, number][];
  /** Which draw (1 = the first `loop.random()` of the run). */
  draw: number;
}

/** What a tape does to a scenario, readably (`toString()`). */
export interface ScheduleReport {
  tape: Tape;
  deviations: Deviation[];
  randomDeviations: RandomDeviation[];
  failed: boolean;
  error: unknown;
  iterations: number;
  /** The report as text; paths relative to `cwd` (default: the host's working directory). */
  toString(cwd?: string): string;
}

function suspensionLines(s: Suspension, cwd: string | undefined, indent: string): string[] {
  const lines = [`yield* ${s.awaited}`];
  if (s.frames.length === 0) lines.push(`${indent}  (inside wasyncio: no frame of user code on the stack)`);
  for (const f of s.frames) lines.push(`${indent}  at ${formatFrame(f, cwd)}`);
  return lines;
}

/** `Task 'bob' resumed at yield* …, and ran to yield* …` over a few lines. */
function stepLines(who: string, from: Suspension | null, to: Suspension | "done" | null, cwd: string | undefined, indent: string): string[] {
  const lines: string[] = [];
  const pad = " ".repeat(who.length + 1);
  if (from === null) lines.push(`${indent}${who} started (its first step)`);
  else {
    const [head, ...rest] = suspensionLines(from, cwd, indent + pad);
    lines.push(`${indent}${who} resumed at ${head}`, ...rest);
  }
  if (to === "done") lines.push(`${indent}${pad}and ran to its end`);
  else if (to !== null) {
    const [head, ...rest] = suspensionLines(to, cwd, indent + pad);
    lines.push(`${indent}${pad}and ran to ${head}`, ...rest);
  }
  return lines;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : describe(error);
}

/**
 * Replay `tape` with a recorder and say what it changes: for each iteration whose batch ran out
 * of FIFO order, which task ran instead of which, and at which `yield*` (function, file, line)
 * each was waiting; then how the run ended.
 *
 * @example
 * console.log(String(explainSchedule(scenario, shrink(scenario, failures[0].tape))));
 * // 1 deviation from FIFO …
 * //   iteration 4: Task 'bob' ran before Task 'alice' …
 */
export function explainSchedule(scenario: Scenario, tape: Tape | readonly number[], options: { core?: CoreKind; maxIterations?: number } = {}): ScheduleReport {
  checkScenario(scenario, "explainSchedule");
  const t = checkTapeArg(tape, "explainSchedule");
  checkRunOptions(options, "explainSchedule");
  const run = tracedRun(scenario, { schedule: t, core: options.core, maxIterations: options.maxIterations }, true, "explainSchedule");
  const choices = run.outcome.tape.choices;
  const devs: Deviation[] = [];
  const covered = new Set<number>();
  for (const rec of run.records) {
    const n = rec.ran.length;
    for (let k = 0; k < n - 1; k++) covered.add(rec.tapeAt + k);
    const p = rec.ran.findIndex((o, k) => o !== rec.fifo[k]);
    if (p < 0) continue;
    const entries: [number, number][] = [];
    for (let k = 0; k < n - 1; k++) if (choices[rec.tapeAt + k]) entries.push([rec.tapeAt + k, choices[rec.tapeAt + k]]);
    const movedIndex = p;
    const insteadIndex = rec.ran.indexOf(rec.fifo[p]);
    devs.push({
      iteration: rec.iteration,
      entries,
      moved: describeOwner(rec.ran[movedIndex]),
      instead: describeOwner(rec.fifo[p]),
      fifo: rec.fifo.map(describeOwner),
      ran: rec.ran.map(describeOwner),
      movedWasAt: rec.where[movedIndex] ?? null,
      insteadWasAt: insteadIndex >= 0 ? (rec.where[insteadIndex] ?? null) : null,
      movedRanTo: rec.until[movedIndex] ?? null,
      insteadRanTo: insteadIndex >= 0 ? (rec.until[insteadIndex] ?? null) : null,
      movedIsTask: rec.ran[movedIndex] instanceof Task,
      insteadIsTask: rec.fifo[p] instanceof Task,
    });
  }
  const randomDeviations: RandomDeviation[] = [];
  for (let k = 0; k < choices.length; k++) {
    if (choices[k] === 0 || covered.has(k)) continue;
    // an entry no batch took: one half of a loop.random() draw
    const prev = randomDeviations.at(-1);
    if (prev !== undefined && prev.entries.at(-1)![0] === k - 1 && prev.entries.length === 1) prev.entries.push([k, choices[k]]);
    else randomDeviations.push({ entries: [[k, choices[k]]], draw: randomDeviations.length + 1 });
  }
  const report: ScheduleReport = {
    tape: t,
    deviations: devs,
    randomDeviations,
    failed: run.outcome.failed,
    error: run.outcome.error,
    iterations: run.outcome.iterations,
    toString(cwd?: string): string {
      const dir = cwd ?? hostCwd();
      const n = t.deviations();
      const lines = [
        `${n} deviation${n === 1 ? "" : "s"} from FIFO (tape: ${JSON.stringify(t.choices)})`,
      ];
      for (const d of devs) {
        const order = d.fifo.length > 2 ? ` (FIFO order: ${d.fifo.join(", ")}; ran: ${d.ran.join(", ")})` : ` (FIFO runs ${d.instead} first)`;
        lines.push(`  iteration ${d.iteration}: ${d.moved} ran before ${d.instead}${order}`);
        if (d.movedIsTask) lines.push(...stepLines(d.moved, d.movedWasAt, d.movedRanTo, dir, "    "));
        if (d.insteadIsTask) lines.push(...stepLines(`then ${d.instead}`, d.insteadWasAt, d.insteadRanTo, dir, "    "));
      }
      for (const r of randomDeviations) {
        lines.push(`  loop.random() draw ${r.draw} changed (tape entries ${r.entries.map(([k]) => k).join(", ")})`);
      }
      lines.push(run.outcome.failed ? `  then: ${errorText(run.outcome.error)}` : "  then: the run ended without error");
      return lines.join("\n");
    },
  };
  return report;
}
