// The trace: everything nondeterministic that crossed the host boundary during one run, as
// versioned JSON lines (the README's "Record and replay" section is the reference for the format).
//
//   line 1   header      {"wasyncio":"trace","version":1,"host":"node",…,"clock":"real","seed":null,…}
//   then     iterations  {"i":12,"k":3405691582,"t":[0.41],"e":[…events…],"c":[…commands…]}
//                        {"i":13,"ks":"<base64 u32 LE checksums of iterations 13, 14, …>"}
//                        {"i":40,"n":500,"k":2882400018}   (500 iterations with the same checksum)
//   last     end         {"end":539,"lines":9}
//
// Every iteration has its scheduler checksum ("k") exactly once: on its own line when something
// else happened in it (clock reads "t", entropy reads "r", polled events "e", commands "c"), else
// packed with its quiet neighbours ("ks", or "n" for a run of equal checksums). Iteration 0 is
// before the loop's first iteration (the seed's entropy read). Values that JSON cannot hold are
// tagged objects with one `$` key: bytes {"$b":base64}, undefined {"$u":1}, NaN/±Infinity/-0
// {"$n":"NaN"}, BigInt {"$big":"12"}, Date {"$date":ms}, Error {"$err":{name,message,…}}, Map
// {"$map":[[k,v],…]}, Set {"$set":[…]}, other typed arrays {"$ta":[type,base64]}, ArrayBuffer
// {"$ab":base64}; a plain object with a `$` key is wrapped as {"$o":{…}}. A host object in a
// command (a TLS context, a promise) is written as {"$host":"<what>"}: commands are compared,
// never rebuilt. An event value that is none of these (a Response a wrapped promise resolved
// with, a function) is refused when it is recorded: a replay could not give it back.

import { installLoopIo } from "../streams/install.js";
import { ValueError, describe } from "../errors.js";
import type { Driver, Feature } from "../io/driver.js";
import type { EventLoop, LoopOptions } from "../loop/event-loop.js";

/** The trace format's version; a trace with a newer one is refused by `Trace.parse`. */
export const TRACE_VERSION = 1;

/** Checksums per packed `ks` line at most (a damaged line loses at most this many). */
const KS_CHUNK = 1024;
/** Clock reads in one iteration from which they are written packed (`tb`: float64 LE, base64). */
const PACK_READS = 4;
/** Equal checksums in a row that get their own run-length line (`n`). */
const RUN_MIN = 8;

import {
  brief,
  bytesReplacer,
  decodeEvent,
  decodeValue,
  describeCommandJson,
  describeEventJson,
  fromBase64,
  hex32,
  jsonEqual,
  numberJson,
  toBase64,
  type Json,
} from "./codec.js";
import { ReplayDriver } from "./replay.js";

export type { Json };

/** Where a recorded program comes from: the CLI's `replay` loads `module` and runs `export`. */
export interface TraceScenario {
  /** A path (absolute, or relative to the trace file) or a URL of an ES module. */
  module: string;
  /** The export that is the program's main (a generator function); default `"default"`. */
  export: string;
}

/** The first line of a trace: the format, the host, and the loop options of the recorded run. */
export interface TraceHeader {
  wasyncio: "trace";
  version: number;
  /** The host the run was recorded on (`node`, `deno`, …). */
  host: string;
  /** The host's features (`tcp`, `subprocess`, …): a replay's `supports()` answers from these. */
  features: string[];
  clock: "real" | "virtual";
  core: "wasm" | "js";
  /** The seed the user gave, or null (the loop then read one from the host: entropy at iteration 0). */
  seed: number | null;
  /** `fifo`, `random`, `pct`, or a tape's choices. */
  schedule: "fifo" | "random" | "pct" | number[];
  pctDepth: number;
  debug: boolean;
  /** Whether runSync drove the loop (else run() or runForever). */
  sync: boolean;
  /** The program, when it was recorded through recordRun/the CLI with a scenario; else null. */
  scenario: TraceScenario | null;
}

/**
 * @internal What one iteration recorded (only iterations that recorded something have one).
 * Events and commands are kept encoded (JSON values): copies made when they crossed, so nothing
 * the program does later changes them.
 */
export interface IterationRecord {
  i: number;
  /** now() values, in the order the loop read them. */
  t?: number[];
  /** entropy() values. */
  r?: number[];
  /** The batch of events poll() returned at the start of the iteration. */
  e?: Json[];
  /** Commands sent while this was the current iteration. */
  c?: Json[];
}

// ---- the trace --------------------------------------------------------------------------------

/** @internal How loop options are written in a header. */
export interface RecordedOptions {
  clock: "real" | "virtual";
  core: "wasm" | "js";
  seed: number | null;
  schedule: "fifo" | "random" | "pct" | number[];
  pctDepth: number;
  debug: boolean;
}

const HEADER_KEYS = ["wasyncio", "version", "host", "features", "clock", "core", "seed", "schedule", "pctDepth", "debug", "sync", "scenario"] as const;

/**
 * A recorded run: every input that crossed the host boundary (clock and entropy reads, host
 * events with their bytes, settlements of wrapped promises), every command the program sent (its
 * outputs, compared on replay) and the scheduler's checksum at each iteration. Get one from
 * `recorder.trace()` or `Trace.parse(text)`; `toString()` is the JSON-lines text
 * (the README's "Record and replay" section); `run(main, { replay: trace })` replays it with no host.
 *
 * @example
 * const rec = new Recorder();
 * await run(main, { record: rec });
 * writeFileSync("run.trace", rec.trace().toString());
 * await run(main, { replay: Trace.parse(readFileSync("run.trace", "utf8")) });
 */
export class Trace {
  /** The header: format version, host, and the recorded run's loop options. */
  readonly header: Readonly<TraceHeader>;
  /** How many iterations the recorded loop ran. */
  readonly iterations: number;
  /** @internal */ readonly _records: readonly IterationRecord[];
  /** @internal index = iteration (0 unused) */ readonly _checksums: Uint32Array;
  /** @internal line numbers from parse: [first iteration, line] in order */ _lines: number[][] | null = null;
  private _text: string | null = null;

  /** @internal Use `recorder.trace()` or `Trace.parse(text)`. */
  constructor(header: TraceHeader, records: IterationRecord[], checksums: Uint32Array, iterations: number) {
    this.header = Object.freeze({ ...header });
    this._records = records;
    this._checksums = checksums;
    this.iterations = iterations;
  }

  /** @internal The loop options a replay runs with (the recorded ones). */
  _loopOptions(): LoopOptions {
    const h = this.header;
    return {
      clock: h.clock,
      core: h.core,
      seed: h.seed ?? undefined,
      schedule: typeof h.schedule === "string" ? h.schedule : [...h.schedule],
      pctDepth: h.pctDepth,
      debug: h.debug,
    };
  }

  /** @internal The driver a replay runs on (sim/replay.ts). */
  _replayDriver(loop: EventLoop): Driver {
    // the recorded program may call any of the loop's I/O methods (a Node TCP program replayed
    // in a browser): a replay has them all, whatever this build's host
    installLoopIo();
    return new ReplayDriver(this, loop);
  }

  /** The JSON-lines text: a header line, iteration lines, an end line; `Trace.parse` reads it. */
  toString(): string {
    if (this._text === null) this._text = this._layout().lines.join("\n") + "\n";
    return this._text;
  }

  /** @internal The text's lines, and for each line the first iteration it covers. */
  _layout(): { lines: string[]; starts: number[][] } {
    const lines: string[] = [];
    const starts: number[][] = [];
    const h = this.header;
    const header: Record<string, unknown> = {};
    for (const key of HEADER_KEYS) header[key] = h[key];
    lines.push(JSON.stringify(header));
    const sums = this._checksums;
    const end = this.iterations;
    let next = 1; // the first iteration whose checksum is not written yet
    const quiet = (to: number) => {
      // iterations next..to-1 recorded nothing but their checksum
      let a = next;
      while (a < to) {
        // a run of equal checksums long enough for its own line?
        let b = a + 1;
        while (b < to && sums[b] === sums[a]) b++;
        if (b - a >= RUN_MIN) {
          starts.push([a, lines.length + 1]);
          lines.push(`{"i":${a},"n":${b - a},"k":${sums[a]}}`);
          a = b;
          continue;
        }
        // else pack until the next long run (or the chunk is full)
        let c = a;
        while (c < to && c - a < KS_CHUNK) {
          let r = c + 1;
          while (r < to && sums[r] === sums[c]) r++;
          if (r - c >= RUN_MIN) break;
          c = r;
        }
        if (c - a > KS_CHUNK) c = a + KS_CHUNK;
        const chunk = new Uint8Array((c - a) * 4);
        const view = new DataView(chunk.buffer);
        for (let k = a; k < c; k++) view.setUint32((k - a) * 4, sums[k], true);
        starts.push([a, lines.length + 1]);
        lines.push(`{"i":${a},"ks":"${toBase64(chunk)}"}`);
        a = c;
      }
      next = to;
    };
    for (const rec of this._records) {
      if (rec.i > next) quiet(rec.i);
      const line: Record<string, Json> = { i: rec.i };
      if (rec.i >= 1 && rec.i <= end) line.k = sums[rec.i];
      if (rec.t !== undefined) {
        // many clock reads (a real-clock program scheduling timers): their exact bits, packed
        if (rec.t.length >= PACK_READS) {
          const packed = new DataView(new ArrayBuffer(rec.t.length * 8));
          for (let k = 0; k < rec.t.length; k++) packed.setFloat64(k * 8, rec.t[k], true);
          line.tb = toBase64(new Uint8Array(packed.buffer));
        }
        else line.t = rec.t.map(numberJson);
      }
      if (rec.r !== undefined) line.r = rec.r.map(numberJson);
      if (rec.e !== undefined) line.e = rec.e;
      if (rec.c !== undefined) line.c = rec.c;
      starts.push([rec.i, lines.length + 1]);
      lines.push(JSON.stringify(line, rec.e !== undefined || rec.c !== undefined ? bytesReplacer : undefined));
      if (rec.i >= next) next = rec.i + 1;
    }
    quiet(end + 1);
    lines.push(`{"end":${end},"lines":${lines.length + 1}}`);
    return { lines, starts };
  }

  /**
   * The first place this trace and `other` differ (`firstDivergence(this, other)`), or null when
   * they record the same run. `expected` is this trace's side, `actual` the other's.
   *
   * @example
   * const d = Trace.parse(a).diff(Trace.parse(b));
   * if (d) console.log(`iteration ${d.iteration}: ${d.expected} vs ${d.actual}`);
   */
  diff(other: Trace): TraceDivergence | null {
    return firstDivergence(this, other);
  }

  /** @internal The line of the text that holds iteration `i` (its record or its checksum). */
  _lineOf(i: number): number {
    const starts = this._lines ?? (this._lines = this._layout().starts);
    let line = 1;
    for (const [first, at] of starts) {
      if (first > i) break;
      line = at;
    }
    return line;
  }

  /**
   * Read a trace's text. A damaged line (not JSON, or a field of the wrong shape), a last line
   * cut short, a missing end line, or an unknown or newer version is a `ValueError` naming the
   * line and what is wrong.
   *
   * @example
   * const trace = Trace.parse(readFileSync("run.trace", "utf8"));
   */
  static parse(text: string): Trace {
    if (typeof text !== "string") throw new TypeError(`Trace.parse(text): text must be a string, got ${describe(text)}`);
    const raw = text.split("\n");
    const endsWithNewline = raw.length > 1 && raw[raw.length - 1] === "";
    if (endsWithNewline) raw.pop();
    const count = raw.length;
    const fail = (line: number, what: string): never => {
      throw new ValueError(`Trace.parse: line ${line}: ${what}`);
    };
    const parseLine = (k: number): Record<string, Json> => {
      const src = raw[k];
      let v: unknown;
      try {
        v = JSON.parse(src);
      } catch (exc) {
        if (k === count - 1 && !endsWithNewline) {
          fail(k + 1, `the line is cut short (the text ends inside it): the trace was truncated`);
        }
        fail(k + 1, `not valid JSON (${(exc as Error).message}): ${src.length > 80 ? src.slice(0, 77) + "…" : src}`);
      }
      if (v === null || typeof v !== "object" || Array.isArray(v)) fail(k + 1, `expected a JSON object, got ${describe(v)}`);
      return v as Record<string, Json>;
    };
    if (count === 0 || (count === 1 && raw[0].trim() === "")) throw new ValueError("Trace.parse: the text is empty: not a trace");

    // line 1: the header
    let head: Record<string, Json>;
    try {
      head = parseLine(0);
    } catch (exc) {
      throw new ValueError(`Trace.parse: line 1: not a wasyncio trace header (${(exc as Error).message.replace(/^Trace\.parse: line 1: /, "")})`);
    }
    if (head.wasyncio !== "trace") fail(1, `not a wasyncio trace header (it needs "wasyncio":"trace")`);
    const version = head.version;
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1) fail(1, `unknown trace version ${describe(version)}`);
    if ((version as number) > TRACE_VERSION) {
      fail(1, `trace version ${version} is newer than this wasyncio reads (version ${TRACE_VERSION}): upgrade wasyncio to replay it`);
    }
    const header = checkHeader(head, fail);

    // the body
    const records: IterationRecord[] = [];
    const starts: number[][] = [];
    let sums = new Uint32Array(1024);
    let covered = 0; // iterations 1..covered have their checksum
    let sawZero = false;
    let end = -1;
    const setSum = (i: number, k: number) => {
      if (i >= sums.length) {
        const grown = new Uint32Array(Math.max(sums.length * 2, i + 1));
        grown.set(sums);
        sums = grown;
      }
      sums[i] = k;
    };
    for (let k = 1; k < count; k++) {
      const line = k + 1;
      const o = parseLine(k);
      if (end >= 0) fail(line, `text after the end line (line ${k})`);
      if ("end" in o) {
        if (typeof o.end !== "number" || !Number.isInteger(o.end) || o.end < 0) fail(line, `"end" must be the number of iterations, got ${describe(o.end)}`);
        if (o.end !== covered) fail(line, `the end line says ${o.end} iterations, but the lines before it hold checksums for ${covered}`);
        if (k !== count - 1) fail(line + 1, `text after the end line (line ${line})`);
        if (o.lines !== undefined && o.lines !== count) fail(line, `the end line says the trace has ${describe(o.lines)} lines, but it has ${count}: lines were lost or added`);
        end = o.end as number;
        continue;
      }
      if (typeof o.i !== "number" || !Number.isInteger(o.i) || o.i < 0) fail(line, `"i" (the iteration) must be a non-negative integer, got ${describe(o.i)}`);
      const i = o.i as number;
      const checkSum = (v: Json, what: string) => {
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff) fail(line, `${what} must be a 32-bit checksum, got ${describe(v)}`);
        return v as number;
      };
      if ("ks" in o) {
        if (i !== covered + 1) fail(line, `checksums start at iteration ${i}, but the next iteration is ${covered + 1}`);
        const bytes = typeof o.ks === "string" ? fromBase64(o.ks) : null;
        if (bytes === null || bytes.length === 0 || bytes.length % 4 !== 0) fail(line, `"ks" must be base64 of 32-bit checksums`);
        const view = new DataView(bytes!.buffer, bytes!.byteOffset, bytes!.byteLength);
        for (let j = 0; j < bytes!.length / 4; j++) setSum(i + j, view.getUint32(j * 4, true));
        starts.push([i, line]);
        covered = i + bytes!.length / 4 - 1;
        continue;
      }
      if ("n" in o) {
        if (i !== covered + 1) fail(line, `checksums start at iteration ${i}, but the next iteration is ${covered + 1}`);
        const n = o.n;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 1) fail(line, `"n" must be a positive count of iterations, got ${describe(n)}`);
        const sum = checkSum(o.k, `"k"`);
        for (let j = 0; j < (n as number); j++) setSum(i + j, sum);
        starts.push([i, line]);
        covered = i + (n as number) - 1;
        continue;
      }
      // an iteration that recorded something
      if (i === 0) {
        if (sawZero || covered > 0) fail(line, `iteration 0 must come first, once`);
        sawZero = true;
        if ("k" in o) fail(line, `iteration 0 (before the loop ran) has no checksum`);
      } else {
        if (i !== covered + 1) fail(line, `iteration ${i} comes after iteration ${covered}: iterations must follow each other (is a line missing?)`);
        setSum(i, checkSum(o.k, `"k" (the checksum of iteration ${i})`));
        covered = i;
      }
      const rec: IterationRecord = { i };
      for (const key of Object.keys(o)) {
        const v = o[key];
        switch (key) {
          case "i":
          case "k":
            break;
          case "tb": {
            const bytes = typeof v === "string" ? fromBase64(v) : null;
            if (bytes === null || bytes.length === 0 || bytes.length % 8 !== 0) fail(line, `"tb" must be base64 of 64-bit floats (clock reads)`);
            if (rec.t !== undefined) fail(line, `both "t" and "tb"`);
            const packed = new DataView(bytes!.buffer, bytes!.byteOffset, bytes!.byteLength);
            rec.t = Array.from({ length: bytes!.length / 8 }, (_, k) => packed.getFloat64(k * 8, true));
            break;
          }
          case "t":
          case "r":
            if (!Array.isArray(v)) fail(line, `"${key}" must be a list of numbers`);
            if (key === "t" && rec.t !== undefined) fail(line, `both "t" and "tb"`);
            rec[key] = (v as Json[]).map((x) => {
              const d = typeof x === "number" ? x : safeDecode(x, line, key, fail);
              if (typeof d !== "number") fail(line, `"${key}" must be a list of numbers, got ${describe(x)}`);
              return d as number;
            });
            break;
          case "e":
            if (!Array.isArray(v)) fail(line, `"e" must be a list of events`);
            for (const ev of v as Json[]) {
              if (ev === null || typeof ev !== "object" || Array.isArray(ev) || ev instanceof Uint8Array || typeof ev.kind !== "string" || typeof ev.id !== "number") {
                fail(line, `an event must be an object with a "kind" and an "id", got ${brief(ev)}`);
              }
              safeDecode(ev, line, "e", fail, true);
            }
            rec.e = v as Json[];
            break;
          case "c":
            if (!Array.isArray(v)) fail(line, `"c" must be a list of commands`);
            for (const cmd of v as Json[]) {
              if (cmd === null || typeof cmd !== "object" || Array.isArray(cmd) || cmd instanceof Uint8Array || typeof cmd.op !== "string") {
                fail(line, `a command must be an object with an "op", got ${brief(cmd)}`);
              }
            }
            rec.c = v as Json[];
            break;
          default:
            fail(line, `unknown field ${JSON.stringify(key)} in an iteration line`);
        }
      }
      starts.push([i, line]);
      records.push(rec);
    }
    if (end < 0) {
      throw new ValueError(`Trace.parse: the trace ends at line ${count} without its end line ({"end": …}): it was truncated`);
    }
    const trace = new Trace(header, records, sums.slice(0, end + 1), end);
    trace._lines = starts;
    return trace;
  }
}

function safeDecode(v: Json, line: number, key: string, fail: (line: number, what: string) => never, event = false): unknown {
  try {
    return event ? decodeEvent(v) : decodeValue(v);
  } catch (exc) {
    return fail(line, `"${key}": ${(exc as Error).message}`);
  }
}

function checkHeader(h: Record<string, Json>, fail: (line: number, what: string) => never): TraceHeader {
  const bad = (field: string, want: string) => fail(1, `header field "${field}" must be ${want}, got ${describe(h[field])}`);
  if (typeof h.host !== "string") bad("host", "the host's name");
  if (!Array.isArray(h.features) || !h.features.every((f) => typeof f === "string")) bad("features", "a list of feature names");
  if (h.clock !== "real" && h.clock !== "virtual") bad("clock", "'real' or 'virtual'");
  if (h.core !== "wasm" && h.core !== "js") bad("core", "'wasm' or 'js'");
  if (h.seed !== null && (typeof h.seed !== "number" || !Number.isSafeInteger(h.seed) || h.seed < 0)) bad("seed", "null or a non-negative integer");
  const s = h.schedule;
  const tape = Array.isArray(s) && s.every((c) => typeof c === "number" && Number.isInteger(c) && c >= 0 && c <= 0xffffffff);
  if (!tape && s !== "fifo" && s !== "random" && s !== "pct") bad("schedule", "'fifo', 'random', 'pct' or a tape's choices");
  if (typeof h.pctDepth !== "number" || !Number.isInteger(h.pctDepth) || h.pctDepth < 1) bad("pctDepth", "a positive integer");
  if (typeof h.debug !== "boolean") bad("debug", "true or false");
  if (typeof h.sync !== "boolean") bad("sync", "true or false");
  const sc = h.scenario;
  if (sc !== null && (typeof sc !== "object" || Array.isArray(sc) || sc instanceof Uint8Array || typeof sc.module !== "string" || typeof sc.export !== "string")) {
    bad("scenario", "null or { module, export }");
  }
  return {
    wasyncio: "trace",
    version: h.version as number,
    host: h.host as string,
    features: h.features as string[],
    clock: h.clock as "real" | "virtual",
    core: h.core as "wasm" | "js",
    seed: h.seed as number | null,
    schedule: (tape ? [...(s as number[])] : s) as TraceHeader["schedule"],
    pctDepth: h.pctDepth as number,
    debug: h.debug as boolean,
    sync: h.sync as boolean,
    scenario: sc === null ? null : { module: (sc as { module: string }).module, export: (sc as { export: string }).export },
  };
}

// ---- comparing two traces -------------------------------------------------------------------

/** The first place two traces differ (`firstDivergence`). */
export interface TraceDivergence {
  /** The iteration (0: the header or before the loop ran). */
  iteration: number;
  /** What the first trace holds there, in words. */
  expected: string;
  /** What the second trace holds there, in words. */
  actual: string;
  /** What differs: "scheduler checksum", "command", "host events", "clock reads"… */
  description: string;
  /** The line of each trace's text that holds it. */
  lines: [number, number];
}

const COMPARED_HEADER = ["host", "features", "clock", "core", "seed", "schedule", "pctDepth", "debug", "sync"] as const;

/**
 * The first difference between two traces of (supposedly) the same program, or `null` when they
 * are the same run: the header's loop options, then iteration by iteration the host events, the
 * scheduler checksum, the commands and the clock and entropy reads. Run a seeded program twice
 * with `recordRun` and compare: code that reads `Math.random()` or `Date.now()` itself and branches
 * on it shows up here.
 *
 * @example
 * const a = recordRun(main, { seed: 1 }), b = recordRun(main, { seed: 1 });
 * const d = firstDivergence(a.trace, b.trace); // null: deterministic
 */
export function firstDivergence(a: Trace, b: Trace): TraceDivergence | null {
  if (!(a instanceof Trace) || !(b instanceof Trace)) {
    throw new TypeError(`firstDivergence(a, b): both must be Traces, got ${describe(a)} and ${describe(b)}`);
  }
  for (const key of COMPARED_HEADER) {
    const x = a.header[key] as Json;
    const y = b.header[key] as Json;
    if (!jsonEqual(x, y)) {
      return { iteration: 0, expected: `${key} ${JSON.stringify(x)}`, actual: `${key} ${JSON.stringify(y)}`, description: `the header's ${key} differs`, lines: [1, 1] };
    }
  }
  const ra = a._records;
  const rb = b._records;
  let ka = 0;
  let kb = 0;
  const last = Math.min(a.iterations, b.iterations);
  const empty: IterationRecord = { i: -1 };
  const at = (i: number, what: string, expected: string, actual: string): TraceDivergence => ({
    iteration: i,
    expected,
    actual,
    description: what,
    lines: [a._lineOf(i), b._lineOf(i)],
  });
  for (let i = 0; i <= last; i++) {
    while (ka < ra.length && ra[ka].i < i) ka++;
    while (kb < rb.length && rb[kb].i < i) kb++;
    const x = ka < ra.length && ra[ka].i === i ? ra[ka] : empty;
    const y = kb < rb.length && rb[kb].i === i ? rb[kb] : empty;
    const ev = firstListDifference(x.e, y.e, describeEventJson, "no (more) host events");
    if (ev !== null) return at(i, "host events differ", ev[0], ev[1]);
    if (i >= 1 && a._checksums[i] !== b._checksums[i]) {
      return at(i, "the scheduler state differs (checksum of the ready handles and timers)", `checksum ${hex32(a._checksums[i])}`, `checksum ${hex32(b._checksums[i])}`);
    }
    const cmd = firstListDifference(x.c, y.c, describeCommandJson, "no (more) commands");
    if (cmd !== null) return at(i, "commands differ", cmd[0], cmd[1]);
    const t = firstListDifference(x.t as Json[] | undefined, y.t as Json[] | undefined, (v) => `clock read ${v}`, "no (more) clock reads");
    if (t !== null) return at(i, "clock reads differ", t[0], t[1]);
    const r = firstListDifference(x.r as Json[] | undefined, y.r as Json[] | undefined, (v) => `entropy read ${v}`, "no (more) entropy reads");
    if (r !== null) return at(i, "entropy reads differ", r[0], r[1]);
  }
  if (a.iterations !== b.iterations) {
    const i = last + 1;
    return at(
      i,
      "one run went on longer",
      a.iterations >= i ? `iteration ${i} (the run went on to iteration ${a.iterations})` : `the end (after iteration ${a.iterations})`,
      b.iterations >= i ? `iteration ${i} (the run went on to iteration ${b.iterations})` : `the end (after iteration ${b.iterations})`,
    );
  }
  return null;
}

function firstListDifference(x: Json[] | undefined, y: Json[] | undefined, say: (v: Json) => string, none: string): [string, string] | null {
  const n = Math.max(x?.length ?? 0, y?.length ?? 0);
  for (let k = 0; k < n; k++) {
    const p = x !== undefined && k < x.length ? x[k] : undefined;
    const q = y !== undefined && k < y.length ? y[k] : undefined;
    if (p === undefined || q === undefined || !jsonEqual(p, q)) {
      return [p === undefined ? none : say(p), q === undefined ? none : say(q)];
    }
  }
  return null;
}

/** @internal The features a header lists (every Feature the host supports). */
const FEATURE_LIST = ["tcp", "tls", "unix", "tcpServer", "udp", "subprocess", "signals", "workers", "websocket"] as const satisfies readonly Feature[];
export const FEATURES: readonly Feature[] = FEATURE_LIST;
// a Feature added to io/driver.ts must be listed above: this stops compiling until it is
type AllFeatures = Exclude<Feature, (typeof FEATURE_LIST)[number]> extends never ? true : never;
const allFeatures: AllFeatures = true;
void allFeatures;
