// explore (sim/explore.ts): a scenario under many seeds of the random and PCT schedules, each
// failure with a tape that replays it, and the determinism check that names where two runs of
// one seed part. The racy bank of examples/bank/ is the running example: its "wasyncio" import
// is this checkout's source here.

import { describe, expect, it, vi } from "vitest";
vi.mock("wasyncio", () => import("../../src/index.ts"));
import {
  RuntimeError,
  Tape,
  ValueError,
  createTask,
  explore,
  gather,
  getRunningLoop,
  runSync,
  sleep,
} from "../../src/index.ts";
import bank, { OverdraftError } from "../../examples/bank/bank.mjs";
import { CORES } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("the bank passes in FIFO order (alice takes the money, bob is refused)", () => {
    const account = runSync(bank, { core }) as { balance: number; log: string[] };
    expect(account.balance).toBe(40);
    expect(account.log).toEqual(["alice took 60", "bob refused"]);
  });

  it.each(["random", "pct"] as const)("%s: 1,000 seeds find the overdraft, and every failure replays from its tape", (schedule) => {
    const result = explore(bank, { seeds: 1000, schedule, core });
    expect(result.ran).toBe(1000);
    expect(result.failures.length).toBeGreaterThan(0);
    expect(result.failures.length).toBeLessThan(1000);
    expect(result.divergence).toBeNull();
    for (const f of result.failures.slice(0, 50)) {
      expect(f.schedule).toBe(schedule);
      expect(f.error).toBeInstanceOf(OverdraftError);
      expect(f.tape).toBeInstanceOf(Tape);
      expect(f.tape.deviations()).toBeGreaterThan(0);
      expect(() => runSync(bank, { core, schedule: f.tape })).toThrow(OverdraftError);
      // and it survives JSON, as the CLI writes it
      expect(() => runSync(bank, { core, schedule: Tape.from(JSON.stringify(f.tape)) })).toThrow(/balance is -20/);
    }
  });

  it("the same seeds give the same failures and tapes (explore is deterministic)", () => {
    const a = explore(bank, { seeds: 200, schedule: "pct", core });
    const b = explore(bank, { seeds: 200, schedule: "pct", core });
    expect(b.failures.map((f) => f.seed)).toEqual(a.failures.map((f) => f.seed));
    expect(b.failures.map((f) => f.tape.choices)).toEqual(a.failures.map((f) => f.tape.choices));
  });
});

it("the two cores make the same schedules: a tape found on one replays on the other", () => {
  const wasm = explore(bank, { seeds: 100, core: "wasm" });
  const js = explore(bank, { seeds: 100, core: "js" });
  expect(js.failures.map((f) => f.seed)).toEqual(wasm.failures.map((f) => f.seed));
  expect(() => runSync(bank, { core: "js", schedule: wasm.failures[0].tape })).toThrow(OverdraftError);
});

it("seeds as an array runs exactly those; onProgress counts; maxFailures stops early", () => {
  const all = explore(bank, { seeds: 40 }).failures.map((f) => f.seed);
  const picked = [all[0], all[0] + 1, all[1]];
  const progress: [number, number][] = [];
  const r = explore(bank, { seeds: picked, onProgress: (ran, failed) => progress.push([ran, failed]) });
  expect(r.ran).toBe(3);
  expect(r.failures.map((f) => f.seed)).toEqual(picked.filter((s) => all.includes(s)));
  expect(progress.map(([ran]) => ran)).toEqual([1, 2, 3]);
  expect(progress.at(-1)![1]).toBe(r.failures.length);
  const early = explore(bank, { seeds: 1000, maxFailures: 2 });
  expect(early.failures.length).toBe(2);
  expect(early.ran).toBe(all[1] + 1);
});

it("a scenario that never fails: no failures, no divergence", () => {
  const safe = function* () {
    const lock = { held: false };
    const worker = function* (k: number) {
      yield* sleep(0);
      expect(lock.held).toBe(false);
      lock.held = true;
      lock.held = k < 0; // never true across a yield
    };
    yield* gather(worker(1), worker(2), worker(3));
  };
  const r = explore(safe, { seeds: 300, schedule: "pct" });
  expect(r).toEqual({ ran: 300, failures: [], divergence: null });
});

it("an error that reaches the exception handler (a task nobody awaits) fails the seed, unprinted", () => {
  const errors = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    const orphan = function* () {
      const order: string[] = [];
      createTask((function* a() { yield* sleep(0); order.push("a"); })());
      createTask((function* b() {
        yield* sleep(0);
        order.push("b");
        if (order[0] === "b") throw new RangeError("b ran first");
      })());
      yield* sleep(0.1);
    };
    const r = explore(orphan, { seeds: 100 });
    expect(r.failures.length).toBeGreaterThan(0);
    expect(r.failures.length).toBeLessThan(100);
    expect(r.failures[0].error).toBeInstanceOf(RangeError);
    expect(errors).not.toHaveBeenCalled();
  } finally {
    errors.mockRestore();
  }
});

it("a run that never ends fails with StepLimitError (maxIterations), and the next run is fine", () => {
  const forever = function* () {
    for (;;) yield* sleep(0);
  };
  const f = explore(forever, { seeds: 2, maxIterations: 500, checkDeterminism: false });
  expect(f.failures.length).toBe(2);
  expect((f.failures[0].error as Error).name).toBe("StepLimitError");
  expect(f.failures[0].error).toBeInstanceOf(RuntimeError);
  expect(String(f.failures[0].error)).toMatch(/did not end within 500 iterations/);
  expect(explore(bank, { seeds: 20 }).failures.length).toBeGreaterThan(0);
  expect(() => getRunningLoop()).toThrow(/no running event loop/);
});

describe("the determinism check", () => {
  it("names the first iteration where two runs of a seed differ, and what ran there", () => {
    let runs = 0;
    // state left over from an earlier run: every other run sleeps a second longer
    const leaky = function* () {
      runs++;
      const a = createTask((function* ticker() { yield* sleep(runs % 2); })(), { name: "ticker" });
      yield* a;
    };
    const r = explore(leaky, { seeds: 3 });
    expect(r.failures).toEqual([]);
    expect(r.divergence).not.toBeNull();
    const d = r.divergence!;
    expect(d.seed).toBe(0);
    expect(d.schedule).toBe("random");
    expect(d.iteration).toBeGreaterThan(1);
    expect(d.message).toMatch(new RegExp(`two runs of seed 0 \\(random\\) differ from iteration ${d.iteration}:`));
    expect(d.first + d.second).toMatch(/Task 'ticker'|at time 1|a callback for <Future/);
    expect(d.message).toMatch(/Date\.now\(\), Math\.random\(\), a raw setTimeout or promise/);
    // where the task waited: its function, file and line
    expect(d.message).toMatch(/ticker \(test\/sim\/explore\.test\.ts:\d+:\d+\)/);
  });

  it("a failure that does not replay from its tape is reported (seed and tape replay differ)", () => {
    let runs = 0;
    const flaky = function* () {
      runs++;
      const t = createTask((function* () { yield* sleep(0); })());
      yield* t;
      if (runs % 4 === 1) throw new Error("only the first time");
    };
    const r = explore(flaky, { seeds: 1 });
    expect(r.failures.map((f) => f.seed)).toEqual([0]);
    expect(r.divergence?.message).toMatch(/seed 0 \(random\), its runs and the replays of its tape, differ from iteration \d+/);
    expect(r.divergence?.message).toMatch(/the run ended with Error: only the first time|the run ended without error/);
  });

  it("Math.random() in a scenario is found (with three runs compared, almost always)", () => {
    const coin = function* () {
      const w = createTask((function* worker() {
        yield* sleep(0);
        if (Math.random() < 0.5) yield* sleep(0);
      })());
      yield* w;
    };
    // each check compares three runs: it misses with probability 1/4; ten checks miss with 1/4^10
    const found = Array.from({ length: 10 }, () => explore(coin, { seeds: 1 }).divergence).filter((d) => d !== null);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]!.message).toMatch(/differ from iteration/);
  });

  it("checkDeterminism: false skips it", () => {
    let runs = 0;
    const leaky = function* () {
      runs++;
      yield* sleep(runs % 2);
    };
    expect(explore(leaky, { seeds: 2, checkDeterminism: false }).divergence).toBeNull();
  });
});

describe("bad input is refused at the call, naming the argument", () => {
  it.each([
    [{ seeds: 0 }, /seeds must be a positive count or a non-empty array of seeds, got 0/],
    [{ seeds: -3 }, /seeds must be a positive count/],
    [{ seeds: 2.5 }, /seeds must be a positive count/],
    [{ seeds: [] }, /got an empty array/],
    [{ seeds: [1, -1] }, /seeds\[1\] must be a non-negative safe integer, got -1/],
    [{ seeds: "10" }, /seeds must be a positive count or a non-empty array of seeds, got "10"/],
    [{}, /seeds must be a positive count/],
    [{ seeds: 5, schedule: "fifo" }, /schedule must be 'random' or 'pct', got "fifo"/],
    [{ seeds: 5, pctDepth: 0 }, /pctDepth must be a positive integer, got 0/],
    [{ seeds: 5, core: "c" }, /core must be 'wasm' or 'js', got "c"/],
    [{ seeds: 5, maxIterations: 0 }, /maxIterations must be a positive number/],
  ])("explore options %j", (options, message) => {
    expect(() => explore(bank, options as never)).toThrow(ValueError);
    expect(() => explore(bank, options as never)).toThrow(message);
  });

  it("a scenario that is not a function, or does not return a coroutine, is a TypeError naming scenario", () => {
    expect(() => explore(42 as never, { seeds: 1 })).toThrow(TypeError);
    expect(() => explore(42 as never, { seeds: 1 })).toThrow(/explore\(scenario\): scenario must be a generator function \(function\*\), got 42/);
    expect(() => explore(bank(), { seeds: 1 } as never)).toThrow(/scenario must be a generator function/);
    const asyncFn = async () => 1;
    expect(() => explore(asyncFn as never, { seeds: 3 })).toThrow(TypeError);
    expect(() => explore(asyncFn as never, { seeds: 3 })).toThrow(/calling it returned .*Promise.* \(an async function\? write function\* and yield\*\)/);
    expect(() => explore((() => 7) as never, { seeds: 3 })).toThrow(/returned 7/);
    expect(() => explore(bank, null as never)).toThrow(/options must be an object with seeds, got null/);
    expect(() => explore(bank, { seeds: 1, onProgress: 3 } as never)).toThrow(/onProgress must be a function/);
  });

  it("after a refused call the next explore works (no loop left running)", () => {
    expect(() => explore((() => 7) as never, { seeds: 3 })).toThrow(TypeError);
    expect(explore(bank, { seeds: 10 }).ran).toBe(10);
    expect(() => getRunningLoop()).toThrow(/no running event loop/);
  });
});

it("the determinism check compares the tapes too: loop.random() called a different number of times", () => {
  let runs = 0;
  const draws = function* () {
    runs++;
    yield* gather(sleep(0), sleep(0));
    for (let k = 0; k < runs % 2; k++) getRunningLoop().random(); // the same batches, other draws
  };
  const r = explore(draws, { seeds: 2 });
  expect(r.divergence?.message).toMatch(/differ from iteration \d+:\n {2}first run: {2}(no )?tape entry \d+/);
});
