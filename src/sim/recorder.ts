// Recording: a driver that wraps the loop's driver (any host's). It forwards every call and
// writes down what crossed: each now() and entropy() value with the iteration it was read in,
// each batch of events poll() returned with its iteration (bytes as base64), every command the
// program sent (its outputs, which a replay compares), and the scheduler core's checksum of every
// iteration (from `observe`, which turns checksums on). The loop options of the run go in the
// trace's header. `run(main, { record: recorder })` installs it; `recorder.trace()` is the Trace.
//
// It polls every iteration (`pollsEveryIteration`): the inner driver's queue is only ever filled
// by host callbacks, which run between slices, so this takes the same batches at the same
// iterations as the loop would, and tells the recorder where each iteration starts.

import { ValueError, describe } from "../errors.js";
import type { Command, Driver, Feature, HostEvent, WakeReason } from "../io/driver.js";
import { run, runSync, type Main, type RunOptions } from "../runners.js";
import { ByteStore, encodeCommand, encodeEvent, encodeValue, type Json } from "./codec.js";
import {
  FEATURES,
  Trace,
  TRACE_VERSION,
  firstDivergence,
  type IterationRecord,
  type RecordedOptions,
  type TraceHeader,
  type TraceScenario,
} from "./trace.js";

export { firstDivergence };
export type { TraceDivergence } from "./trace.js";

/** Options of `new Recorder()`. */
export interface RecorderOptions {
  /**
   * The program being recorded, written in the trace's header so `wasyncio replay TRACE` can
   * load it: an ES module (a path, absolute or relative to where the trace file will be, or a
   * URL) and the export that is its main (default `"default"`).
   */
  scenario?: { module: string; export?: string } | null;
}

function checkScenario(scenario: unknown, where: string): TraceScenario | null {
  if (scenario === undefined || scenario === null) return null;
  const s = scenario as { module?: unknown; export?: unknown };
  if (typeof s !== "object" || typeof s.module !== "string" || s.module === "") {
    throw new TypeError(`${where}: scenario must be { module: string, export?: string }, got ${describe(scenario)}`);
  }
  if (s.export !== undefined && (typeof s.export !== "string" || s.export === "")) {
    throw new TypeError(`${where}: scenario.export must be a non-empty string, got ${describe(s.export)}`);
  }
  return { module: s.module, export: s.export ?? "default" };
}

/**
 * Records one loop's run: pass it as `run(main, { record: recorder })` (or to `runSync`,
 * `newEventLoop`), then `recorder.trace()` is the `Trace` of what crossed the host boundary.
 * One recorder records one loop.
 *
 * @example
 * const rec = new Recorder();
 * await run(main, { record: rec });
 * const text = rec.trace().toString(); // JSON lines
 */
export class Recorder {
  private _driver: RecordingDriver | null = null;
  private readonly _scenario: TraceScenario | null;

  constructor(options: RecorderOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`new Recorder(options): options must be an object, got ${describe(options)}`);
    }
    this._scenario = checkScenario(options.scenario, "new Recorder(options)");
  }

  /**
   * What was recorded so far, as a `Trace` (a snapshot: recording goes on). Throws the error
   * that stopped the recording, if one did (a value a trace cannot hold).
   */
  trace(): Trace {
    const d = this._driver;
    if (d === null) throw new ValueError("Recorder.trace(): nothing was recorded: pass the recorder to run(main, { record: recorder }) first");
    if (d.failure !== null) {
      throw new ValueError(`Recorder.trace(): the recording stopped: ${d.failure instanceof Error ? d.failure.message : describe(d.failure)}`, { cause: d.failure });
    }
    return d.snapshot();
  }

  /** @internal What was recorded up to a failure (recordRun returns it with the error). */
  _partialTrace(): Trace | null {
    return this._driver?.snapshot() ?? null;
  }

  /** @internal The loop wraps its driver (newEventLoop with `record`). */
  _wrap(inner: Driver, options: RecordedOptions): Driver {
    if (this._driver !== null) {
      throw new ValueError("newEventLoop(options): this Recorder already records another loop: use a new Recorder for each run");
    }
    const features = FEATURES.filter((f) => inner.supports(f));
    const header: TraceHeader = {
      wasyncio: "trace",
      version: TRACE_VERSION,
      host: inner.host,
      features,
      clock: options.clock,
      core: options.core,
      seed: options.seed,
      schedule: typeof options.schedule === "string" ? options.schedule : [...options.schedule],
      pctDepth: options.pctDepth,
      debug: options.debug,
      sync: false,
      scenario: this._scenario,
    };
    return (this._driver = new RecordingDriver(inner, header));
  }

  toString(): string {
    const d = this._driver;
    return d === null ? "<Recorder (not started)>" : `<Recorder ${d.iteration} iterations${d.failure !== null ? ", stopped" : ""}>`;
  }
}

/** @internal The driver a Recorder puts around the loop's driver. */
export class RecordingDriver implements Driver {
  readonly host: string;
  readonly pollsEveryIteration = true;
  /** Set when the inner driver is a replay (recording a replay): runSync goes through it. */
  readonly runSync?: (drive: (sync: boolean) => void) => void;
  iteration = 0;
  failure: unknown = null;
  private readonly records: IterationRecord[] = [];
  private cur: IterationRecord | null = null;
  private sums = new Uint32Array(1024);
  private end = 0;
  private readonly bytes = new ByteStore();

  constructor(
    private readonly inner: Driver,
    private readonly header: TraceHeader,
  ) {
    this.host = inner.host;
    this.runSync = (drive) => {
      this.header.sync = true;
      if (inner.runSync !== undefined) inner.runSync(drive);
      else drive(true);
    };
  }

  private open(): IterationRecord {
    const rec: IterationRecord = { i: this.iteration };
    this.records.push(rec);
    return (this.cur = rec);
  }

  snapshot(): Trace {
    const records = this.records.map((r) => {
      const copy: IterationRecord = { i: r.i };
      if (r.t !== undefined) copy.t = r.t.slice();
      if (r.r !== undefined) copy.r = r.r.slice();
      if (r.e !== undefined) copy.e = r.e.slice();
      if (r.c !== undefined) copy.c = r.c.slice();
      return copy;
    });
    return new Trace({ ...this.header, features: [...this.header.features] }, records, this.sums.slice(0, this.end + 1), this.end);
  }

  attach(wake: (reason: WakeReason) => void): void {
    this.inner.attach(wake);
  }

  detach(): void {
    this.inner.detach();
  }

  now(): number {
    const v = this.inner.now();
    if (this.failure === null) {
      const rec = this.cur ?? this.open();
      if (rec.t === undefined) rec.t = [v];
      else rec.t.push(v);
    }
    return v;
  }

  entropy(): number {
    const v = this.inner.entropy();
    if (this.failure === null) {
      const rec = this.cur ?? this.open();
      (rec.r ??= []).push(v);
    }
    return v;
  }

  arm(delay: number): void {
    this.inner.arm(delay);
  }

  disarm(): void {
    this.inner.disarm();
  }

  yieldToHost(): void {
    this.inner.yieldToHost();
  }

  keepAlive(on: boolean): void {
    (this.inner as { keepAlive?(on: boolean): void }).keepAlive?.(on);
  }

  send(command: Command): void {
    let entry: { [key: string]: Json } | null = null;
    if (this.failure === null) {
      const rec = this.cur ?? this.open();
      entry = encodeCommand(command, this.bytes) as { [key: string]: Json };
      if (rec.c === undefined) rec.c = [entry];
      else rec.c.push(entry);
    }
    try {
      this.inner.send(command);
    } catch (exc) {
      // the host refused it at the call (a thenable whose then throws, a missing feature): a
      // replay throws the same error there
      if (entry !== null) entry.$throws = encodeValue(exc, false, "error");
      throw exc;
    }
  }

  poll(iteration: number): HostEvent[] | null {
    this.iteration = iteration;
    this.cur = null;
    const events = this.inner.poll(iteration);
    if (events !== null && this.failure === null) {
      const encoded = new Array<Json>(events.length);
      try {
        for (let j = 0; j < events.length; j++) encoded[j] = encodeEvent(events[j], this.bytes);
      } catch (exc) {
        // a value a replay could not give back: the recording stops, the run fails with it
        this.failure = exc;
        throw exc;
      }
      this.open().e = encoded;
    }
    return events;
  }

  observe(iteration: number, checksum: number, ready?: number): void {
    let sums = this.sums;
    if (iteration >= sums.length) {
      sums = new Uint32Array(Math.max(sums.length * 2, iteration + 1));
      sums.set(this.sums);
      this.sums = sums;
    }
    sums[iteration] = checksum;
    if (iteration > this.end) this.end = iteration;
    this.inner.observe?.(iteration, checksum, ready);
  }

  supports(feature: Feature): boolean {
    return this.inner.supports(feature);
  }

  hostObject(id: number): unknown {
    return this.inner.hostObject(id);
  }
}

// ---- helpers for explore/shrink and tests -----------------------------------------------------------

/** Options of `recordRun`: run options (no `record`), and the scenario to name in the header. */
export interface RecordRunOptions extends Omit<RunOptions, "record"> {
  scenario?: { module: string; export?: string } | null;
}

/** What `recordRun` returns: main's result or error, and the trace of the run either way. */
export type RecordedRun<T> = { ok: true; result: T; error?: undefined; trace: Trace } | { ok: false; error: unknown; result?: undefined; trace: Trace };

function split(options: RecordRunOptions, where: string): { recorder: Recorder; rest: RunOptions } {
  if (options === null || typeof options !== "object") throw new TypeError(`${where}(main, options): options must be an object, got ${describe(options)}`);
  const { scenario, ...rest } = options;
  if ((rest as RunOptions).record !== undefined) throw new ValueError(`${where}(main, options): record is not an option here: ${where} makes its own Recorder`);
  return { recorder: new Recorder({ scenario }), rest };
}

function traceOf(recorder: Recorder): Trace {
  const t = recorder._partialTrace();
  if (t === null) throw new ValueError("recordRun: the loop was never made");
  return t;
}

/**
 * Run `main` under `runSync` with a recorder and return the outcome with the trace (also when
 * main fails: the trace then records up to the failure). The explore/shrink tools run a seed
 * twice this way and compare the traces with `firstDivergence`.
 *
 * @example
 * const a = recordRun(scenario, { seed: 7, schedule: "random" });
 * const b = recordRun(scenario, { seed: 7, schedule: "random" });
 * firstDivergence(a.trace, b.trace); // null when the scenario is deterministic
 */
export function recordRun<T>(main: Main<T>, options: RecordRunOptions = {}): RecordedRun<T> {
  const { recorder, rest } = split(options, "recordRun");
  let result: T;
  try {
    result = runSync(main, { ...rest, record: recorder });
  } catch (error) {
    if (recorder._partialTrace() === null) throw error; // bad arguments: nothing ran
    return { ok: false, error, trace: traceOf(recorder) };
  }
  return { ok: true, result, trace: traceOf(recorder) };
}

/**
 * `recordRun` with `run()`: the real clock by default, and host I/O allowed.
 *
 * @example
 * const { trace } = await recordRunAsync(echoProgram);
 */
export async function recordRunAsync<T>(main: Main<T>, options: RecordRunOptions = {}): Promise<RecordedRun<T>> {
  const { recorder, rest } = split(options, "recordRunAsync");
  let result: T;
  try {
    result = await run(main, { ...rest, record: recorder });
  } catch (error) {
    if (recorder._partialTrace() === null) throw error;
    return { ok: false, error, trace: traceOf(recorder) };
  }
  return { ok: true, result, trace: traceOf(recorder) };
}
