// Replay: run(main, { replay: trace }) with no host — recorded reads and events, commands and
// checksums compared — and the ReplayDivergence the first difference raises.

import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Recorder,
  ReplayDivergence,
  Trace,
  gather,
  getRunningLoop,
  newEventLoop,
  run,
  runSync,
  sleep,
  wrap,
} from "../../src/index.ts";
import { CORES } from "../helpers.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Tasks and timers on whatever clock the loop has: the times it saw, in order. */
function* tasks() {
  const loop = getRunningLoop();
  const seen: string[] = [];
  function* worker(name: string, delay: number, n: number) {
    for (let i = 0; i < n; i++) {
      yield* sleep(delay);
      seen.push(`${name}${i}@${loop.time()}`);
    }
  }
  yield* gather(worker("a", 0.003, 3), worker("b", 0.002, 4), worker("c", 0, 5));
  return { seen, random: loop.random() };
}

/** Host promises: what they settle with comes back from the trace. */
function* wrapped() {
  const loop = getRunningLoop();
  const a = yield* wrap(new Promise<object>((resolve) => setTimeout(() => resolve({ bytes: new Uint8Array([1, 2, 3]), when: new Date(5), map: new Map([["k", [1n]]]) }), 3)));
  let failure: unknown = null;
  try {
    yield* wrap(Promise.reject(Object.assign(new TypeError("refused"), { code: "E_NOPE" })));
  } catch (e) {
    failure = e;
  }
  const hostile = { then() { throw new RangeError("no then for you"); } };
  let refused: unknown = null;
  try {
    wrap(hostile as PromiseLike<unknown>);
  } catch (e) {
    refused = e;
  }
  return { a, failure, refused, t: loop.time() };
}

async function record<T>(main: () => Generator<unknown, T>, options: Record<string, unknown> = {}): Promise<{ result: T; trace: Trace }> {
  const rec = new Recorder();
  const result = await run(main, { record: rec, ...options });
  return { result, trace: Trace.parse(rec.trace().toString()) };
}

function divergence(fn: () => unknown): ReplayDivergence {
  try {
    fn();
  } catch (exc) {
    expect(exc).toBeInstanceOf(ReplayDivergence);
    return exc as ReplayDivergence;
  }
  throw new Error("no divergence");
}

describe.each(CORES)("%s core", (core) => {
  it("a timer/task program recorded with runSync replays with runSync", () => {
    const rec = new Recorder();
    const recorded = runSync(tasks, { record: rec, core, seed: 4, schedule: "random" });
    const trace = Trace.parse(rec.trace().toString());
    expect(trace.header.sync).toBe(true);
    expect(runSync(tasks, { replay: trace })).toEqual(recorded);
    // the trace's options win: another seed or schedule given to the replay changes nothing
    expect(runSync(tasks, { replay: trace, seed: 99, schedule: "fifo" })).toEqual(recorded);
  });

  it("a real-clock program recorded with run() replays with run(): the same times, and re-recording the replay gives the same trace", async () => {
    const { result, trace } = await record(tasks, { core });
    const again = new Recorder();
    const replayed = await run(tasks, { replay: trace, record: again });
    expect(replayed).toEqual(result);
    expect(again.trace().toString()).toBe(trace.toString());
  });

  it("a wrap() program: settlements, rejections and a host's refusal come back from the trace", async () => {
    const { result, trace } = await record(wrapped, { core });
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    const replayed = await run(wrapped, { replay: trace });
    expect(replayed.a).toEqual(result.a);
    expect((replayed.a as { bytes: Uint8Array }).bytes).toBeInstanceOf(Uint8Array);
    expect(replayed.failure).toBeInstanceOf(TypeError);
    expect(replayed.failure).toMatchObject({ message: "refused", code: "E_NOPE" });
    expect(replayed.refused).toBeInstanceOf(RangeError);
    expect((replayed.refused as Error).message).toBe("no then for you");
    expect(replayed.t).toBe(result.t);
    // the program's own setTimeout runs (it is the program's code), but the replay waited for nothing
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
  });

  it("a loop recorded on the real clock (newEventLoop + runUntilComplete) replays under runSync: the trace answers every host wait", async () => {
    const rec = new Recorder();
    const loop = newEventLoop({ record: rec, core });
    const recorded = await loop.runUntilComplete(tasks());
    loop.close();
    const trace = rec.trace();
    expect(trace.header.sync).toBe(false);
    expect(runSync(tasks, { replay: trace })).toEqual(recorded);
  });
});

describe("divergences", () => {
  it("a trace from another program diverges at once, naming what differs", async () => {
    const { trace } = await record(tasks);
    const err = await run(function* () {
      yield* sleep(0.5);
      return 1;
    }, { replay: trace }).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(ReplayDivergence);
    expect(err.iteration).toBeLessThanOrEqual(1);
    expect(err.message).toMatch(/^replay diverged at iteration [01]: expected .*, got /);
    expect(err.message).toMatch(/another program/);
  });

  it("a runSync trace replayed by a program that does something else: the checksum names the ready handles", () => {
    const rec = new Recorder();
    runSync(function* () {
      yield* sleep(1);
      yield* sleep(1);
    }, { record: rec });
    const err = divergence(() => runSync(function* () {
      yield* sleep(1);
      getRunningLoop().callSoon(function extraCallback() {});
      yield* sleep(1);
    }, { replay: rec.trace() }));
    expect(err.iteration).toBe(4);
    expect(err.expected).toMatch(/^scheduler checksum 0x[0-9a-f]{8}$/);
    expect(err.actual).toMatch(/^checksum 0x[0-9a-f]{8}; \d+ ready: .*extraCallback\(\)/);
  });

  it("a program that reads Math.random() and branches on it diverges at the iteration after the branch", () => {
    function* flaky() {
      yield* sleep(1);
      if (Math.random() < 0.5) getRunningLoop().callSoon(() => {});
      yield* sleep(1);
    }
    vi.spyOn(Math, "random").mockReturnValue(0.2);
    const rec = new Recorder();
    runSync(flaky, { record: rec });
    vi.spyOn(Math, "random").mockReturnValue(0.7);
    const err = divergence(() => runSync(flaky, { replay: rec.trace() }));
    expect(err.iteration).toBe(4);
    expect(err.message).toMatch(/ready handles or timers differ/);
  });

  it("a program that stops early, or runs longer", () => {
    const rec = new Recorder();
    const five = function* () {
      for (let i = 0; i < 5; i++) yield* sleep(1);
    };
    runSync(five, { record: rec });
    const trace = rec.trace();
    // the same program against a trace that went on for three more (quiet) iterations
    const longer = new Trace(trace.header, [], Uint32Array.from([...trace._checksums, 1, 2, 3]), trace.iterations + 3);
    const early = divergence(() => runSync(five, { replay: longer }));
    expect(early.iteration).toBe(trace.iterations + 1);
    expect(early.message).toMatch(/stopped early/);
    // and against a trace cut two iterations short
    const shorter = new Trace(trace.header, [], trace._checksums.slice(0, trace.iterations - 1), trace.iterations - 2);
    const late = divergence(() => runSync(five, { replay: shorter }));
    expect(late.iteration).toBe(trace.iterations - 1);
    expect(late.message).toMatch(/runs longer than the recorded one/);
    // a program with fewer steps: the checksum counts ready handles and timers, not what they
    // run, so here the first difference is the end
    const three = divergence(() => runSync(function* () {
      for (let i = 0; i < 3; i++) yield* sleep(1);
    }, { replay: trace }));
    expect(three.message).toMatch(/stopped early/);
  });

  it("under runSync, a divergence with a task still waiting on the host ends with the divergence", async () => {
    const rec = new Recorder();
    const loop = newEventLoop({ record: rec });
    await loop.runUntilComplete(wrapped());
    loop.close();
    // the same start, then a wrapped promise the recording never had: the divergence, and
    // run's clean-up does not wait forever for a settlement no host will deliver
    const err = divergence(() => runSync(function* () {
      const never = wrap(new Promise(() => {}));
      yield* sleep(0.001);
      return yield* never;
    }, { replay: rec.trace() }));
    expect(err.iteration).toBeLessThanOrEqual(1);
  });

  it("a divergence ends a run() with tasks and timers still pending, without hanging", async () => {
    const { trace } = await record(tasks);
    const err = await run(function* () {
      const loop = getRunningLoop();
      loop.callLater(1000, () => {});
      yield* gather(sleep(0.003), sleep(0.01), sleep(0.02));
    }, { replay: trace }).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(ReplayDivergence);
  });
});
