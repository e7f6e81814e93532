// Recording: a driver around the loop's driver writes down every input that crossed (clock and
// entropy reads, polled events) with its iteration, every command, and a checksum per iteration.

import v8 from "node:v8";
import vm from "node:vm";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Recorder,
  Trace,
  ValueError,
  gather,
  getRunningLoop,
  newEventLoop,
  run,
  runSync,
  sleep,
  wrap,
} from "../../src/index.ts";
import { firstDivergence, recordRun, recordRunAsync } from "../../src/sim/recorder.ts";
import { CORES } from "../helpers.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Timers, random draws and (with `schedule: 'random'`) shuffled batches. */
function* seeded() {
  const loop = getRunningLoop();
  const order: string[] = [];
  function* worker(name: string, n: number) {
    for (let i = 0; i < n; i++) {
      yield* sleep(loop.random());
      order.push(`${name}${i}`);
    }
  }
  yield* gather(worker("a", 4), worker("b", 4), worker("c", 4));
  return order;
}

/** Reads Math.random() itself and branches on it: not replayable, and firstDivergence says where. */
function* flaky() {
  const loop = getRunningLoop();
  yield* sleep(1);
  yield* sleep(1);
  if (Math.random() < 0.5) loop.callSoon(() => {});
  yield* sleep(1);
  return "done";
}

describe.each(CORES)("%s core", (core) => {
  it("records the clock reads, events and commands of a real-clock run, each with its iteration", async () => {
    const rec = new Recorder();
    const result = await run(function* () {
      const loop = getRunningLoop();
      const t0 = loop.time();
      yield* sleep(0.002);
      const v = yield* wrap(Promise.resolve({ n: 1, bytes: new Uint8Array([104, 105]) }));
      return { waited: loop.time() - t0 >= 0.002, v };
    }, { record: rec, core });
    expect(result.waited).toBe(true);
    const trace = rec.trace();
    expect(trace.header).toMatchObject({ clock: "real", core, seed: null, sync: false });
    const records = trace._records;
    // iteration 0: the seed's entropy (no seed given) and run()'s SIGINT handler
    expect(records[0].i).toBe(0);
    expect(records[0].r).toHaveLength(1);
    expect(records[0].c?.[0]).toMatchObject({ op: "addSignal", name: "SIGINT" });
    // the wrapped promise: a settle command, then the settled event with its value as data
    const settle = records.find((r) => r.c?.some((c) => (c as { op: string }).op === "settle"))!;
    const settled = records.find((r) => r.e !== undefined)!;
    expect(settled.i).toBeGreaterThan(settle.i);
    expect(settled.e).toEqual([{ kind: "settled", id: 2, ok: true, value: { n: 1, bytes: { $b: "aGk=" } } }]);
    // every clock read is there
    expect(records.reduce((n, r) => n + (r.t?.length ?? 0), 0)).toBeGreaterThan(2);
    // a checksum for every iteration
    expect(trace.iterations).toBeGreaterThan(3);
    expect(trace._checksums.length).toBe(trace.iterations + 1);
  });

  it("records nothing but checksums for a virtual-clock runSync program, and the same run twice gives the same text", () => {
    const a = new Recorder();
    const b = new Recorder();
    const ra = runSync(seeded, { record: a, core, seed: 5, schedule: "random" });
    const rb = runSync(seeded, { record: b, core, seed: 5, schedule: "random" });
    expect(rb).toEqual(ra);
    expect(b.trace().toString()).toBe(a.trace().toString());
    expect(a.trace()._records).toEqual([]);
    // another seed is another run
    const c = new Recorder();
    runSync(seeded, { record: c, core, seed: 6, schedule: "random" });
    expect(c.trace().toString()).not.toBe(a.trace().toString());
  });

  it("run() on the virtual clock records the same text twice too", async () => {
    const texts: string[] = [];
    for (let k = 0; k < 2; k++) {
      const rec = new Recorder();
      await run(seeded, { record: rec, core, clock: "virtual", seed: 9, schedule: "pct" });
      texts.push(rec.trace().toString());
    }
    expect(texts[1]).toBe(texts[0]);
  });

  it("recording does not change what the program does", () => {
    const plain = runSync(seeded, { core, seed: 3, schedule: "random" });
    const recorded = runSync(seeded, { core, seed: 3, schedule: "random", record: new Recorder() });
    expect(recorded).toEqual(plain);
  });
});

describe("recordRun and firstDivergence (explore's determinism check)", () => {
  it("a seeded program recorded twice has no divergence", () => {
    const a = recordRun(seeded, { seed: 2, schedule: "random" });
    const b = recordRun(seeded, { seed: 2, schedule: "random" });
    expect(a.ok && b.ok).toBe(true);
    expect(firstDivergence(a.trace, b.trace)).toBeNull();
    expect(a.trace.diff(b.trace)).toBeNull();
  });

  it("a program that branches on Math.random() diverges at the iteration after the branch", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.1);
    const a = recordRun(flaky);
    vi.spyOn(Math, "random").mockReturnValue(0.9);
    const b = recordRun(flaky);
    expect(a.result).toBe("done");
    const d = firstDivergence(a.trace, b.trace)!;
    expect(d).not.toBeNull();
    expect(d.description).toMatch(/scheduler state differs/);
    // each sleep is two iterations (the timer fires, then the task resumes): the branch runs in
    // iteration 5, and its callSoon makes iteration 6's batch differ
    expect(d.iteration).toBe(6);
    expect(d.expected).toMatch(/^checksum 0x[0-9a-f]{8}$/);
    expect(d.actual).not.toBe(d.expected);
  });

  it("different seeds differ in the header; a program that ran longer differs at its end", () => {
    const a = recordRun(seeded, { seed: 1 });
    const b = recordRun(seeded, { seed: 2 });
    expect(firstDivergence(a.trace, b.trace)).toMatchObject({ iteration: 0, description: "the header's seed differs", expected: "seed 1", actual: "seed 2", lines: [1, 1] });
    const short = recordRun(function* () { yield* sleep(1); });
    const long = recordRun(function* () { yield* sleep(1); yield* sleep(1); });
    const d = firstDivergence(short.trace, long.trace)!;
    expect(d.description).toMatch(/scheduler state|went on longer/);
  });

  it("returns main's error with the trace up to it", () => {
    const r = recordRun(function* () {
      yield* sleep(1);
      throw new RangeError("boom");
    });
    expect(r.ok).toBe(false);
    expect(r.error).toBeInstanceOf(RangeError);
    expect(r.trace.iterations).toBeGreaterThan(0);
  });

  it("recordRunAsync records a run() and names the scenario", async () => {
    const r = await recordRunAsync(function* () { yield* sleep(0.001); return 7; }, { scenario: { module: "m.mjs", export: "main" } });
    expect(r).toMatchObject({ ok: true, result: 7 });
    expect(r.trace.header.scenario).toEqual({ module: "m.mjs", export: "main" });
    expect(r.trace.header.clock).toBe("real");
  });

  it("refuses bad arguments at the call", () => {
    expect(() => recordRun(seeded, { record: new Recorder() } as never)).toThrow(ValueError);
    expect(() => recordRun(seeded, null as never)).toThrow(TypeError);
    expect(() => firstDivergence({} as Trace, {} as Trace)).toThrow(TypeError);
  });
});

describe("values a trace cannot hold", () => {
  it("a wrapped promise that resolves to a Response is refused when it is recorded, with a way out", async () => {
    const rec = new Recorder();
    const run1 = run(function* () {
      const res = yield* wrap(Promise.resolve(new Response("hello")));
      return res;
    }, { record: rec });
    await expect(run1).rejects.toThrow(ValueError);
    await expect(run1).rejects.toThrow(/the value a wrapped promise \(resource 2\) settled with is a Response .*wrap\(fetch\(url\)\.then\(\(r\) => r\.text\(\)\)\)/);
    expect(() => rec.trace()).toThrow(/the recording stopped: .*Response/);
  });

  it("so is a function, and a rejection with a non-Error value that is not data", async () => {
    const rec = new Recorder();
    await expect(run(function* () { return yield* wrap(Promise.resolve(() => 1)); }, { record: rec })).rejects.toThrow(/is a function/);
    const rec2 = new Recorder();
    await expect(run(function* () { return yield* wrap(Promise.reject(new WeakMap())); }, { record: rec2 })).rejects.toThrow(/is a WeakMap/);
  });

  it("plain data, bytes and errors are recorded", async () => {
    const rec = new Recorder();
    const out = await run(function* () {
      const a = yield* wrap(Promise.resolve([1, "two", { three: new Date(3) }]));
      let b: unknown = null;
      try {
        yield* wrap(Promise.reject(new TypeError("nope")));
      } catch (e) {
        b = e;
      }
      return { a, b };
    }, { record: rec });
    expect(out.b).toBeInstanceOf(TypeError);
    expect(rec.trace().toString()).toMatch(/"\$err":\{"name":"TypeError","message":"nope"/);
  });
});

describe("options", () => {
  it("a Recorder records one loop", () => {
    const rec = new Recorder();
    runSync(function* () {}, { record: rec });
    expect(() => runSync(function* () {}, { record: rec })).toThrow(/already records another loop/);
    expect(() => new Recorder().trace()).toThrow(/nothing was recorded/);
  });

  it("bad record/replay options are refused at the call", () => {
    expect(() => newEventLoop({ record: {} as Recorder })).toThrow(/record must be a Recorder/);
    expect(() => newEventLoop({ replay: "trace" as unknown as Trace })).toThrow(/replay must be a Trace/);
    const rec = new Recorder();
    runSync(function* () {}, { record: rec });
    expect(() => newEventLoop({ replay: rec.trace(), driver: newEventLoop()._host })).toThrow(/replay and driver cannot be combined/);
    expect(() => new Recorder({ scenario: 5 as never })).toThrow(TypeError);
    expect(() => new Recorder({ scenario: { module: "m.mjs", export: "" } })).toThrow(/scenario.export/);
    expect(() => new Recorder(null as never)).toThrow(TypeError);
  });

  it("String(recorder) says how far it got", () => {
    const rec = new Recorder();
    expect(String(rec)).toBe("<Recorder (not started)>");
    runSync(function* () { yield* sleep(1); }, { record: rec });
    expect(String(rec)).toMatch(/^<Recorder \d+ iterations>$/);
  });
});

describe("reports the GC would trigger", () => {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;

  /** A future fails and is dropped unretrieved; the GC collects it while main still runs. */
  async function dropAFailure(options: object): Promise<{ during: number; atClose: number }> {
    const calls = { during: 0, atClose: 0 };
    let mainDone = false;
    await run(function* () {
      const loop = getRunningLoop();
      loop.setExceptionHandler((_loop, ctx) => {
        if (/never retrieved/.test(String(ctx.message))) calls[mainDone ? "atClose" : "during"]++;
      });
      (function drop() {
        loop.createFuture().setException(new RangeError("dropped"));
      })();
      yield* sleep(0.001);
      for (let k = 0; k < 5 && calls.during === 0; k++) {
        gc();
        yield* sleep(0.02); // the host runs the finalizer between slices
      }
      mainDone = true;
    }, options);
    return calls;
  }

  it("without a recorder the finalizer reports a dropped failure while the program runs", async () => {
    expect(await dropAFailure({})).toEqual({ during: 1, atClose: 0 });
  });

  it("while recording (and replaying) the report waits for the loop to close, where a replay makes it too", async () => {
    const rec = new Recorder();
    expect(await dropAFailure({ record: rec })).toEqual({ during: 0, atClose: 1 });
  });
});
