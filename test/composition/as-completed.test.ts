// asCompleted() — ported from CPython 3.13's test_tasks.py (BaseTaskTests.test_as_completed*,
// test_as_completed_invalid_args). CPython runs most of them twice, as a plain iterator and as an
// async iterator; here the async-iterator form is `originals()` (items resolve to the original
// tasks), so those tests run both ways too.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  Future,
  TimeoutError,
  ValueError,
  allTasks,
  createTask,
  ensureFuture,
  getRunningLoop,
  runSync,
  setEventLoop,
  sleep,
  type Coro,
} from "../../src/index.ts";
import { asCompleted, AsCompleted } from "../../src/index.ts";
import { wait, waitFor } from "../../src/index.ts";
import { CORES, expectSameItems, expectThrows, makeLoop, resetEventLoopAfter, runOnce } from "../helpers.ts";

/** Both iteration forms, collecting values: the plain one, and `originals()` awaited twice. */
const FORMS = {
  plain: function* <T>(ac: AsCompleted<T>, each: (v: T) => boolean | void = () => {}): Coro<T[]> {
    const values: T[] = [];
    for (const f of ac) {
      const v = yield* f;
      values.push(v);
      if (each(v) === false) break;
    }
    return values;
  },
  originals: function* <T>(ac: AsCompleted<T>, each: (v: T) => boolean | void = () => {}): Coro<T[]> {
    const values: T[] = [];
    for (const next of ac.originals()) {
      const original = yield* next;
      expect(original).toBeInstanceOf(Future);
      expect(original.done()).toBe(true);
      const v = yield* original;
      values.push(v);
      if (each(v) === false) break;
    }
    return values;
  },
};

describe.each(CORES)("%s core", (core) => {
  const go = <T>(main: () => Coro<T>): T => runSync(main, { core });

  for (const [form, collect] of Object.entries(FORMS)) {
    it(`results come in completion order (test_tasks.BaseTaskTests.test_as_completed, ${form})`, () => {
      go(function* () {
        const loop = getRunningLoop();
        const completed = new Set<string>();
        function* sleeper(dt: number, x: string) {
          yield* sleep(dt);
          completed.add(x);
          return x;
        }
        const a = sleeper(0.01, "a");
        const b = sleeper(0.01, "b");
        const c = sleeper(0.15, "c");
        const res = yield* createTask(collect(asCompleted([b, c, a])));
        expect(loop.time()).toBeCloseTo(0.15, 9);
        expect(res.slice(0, 2).sort()).toEqual(["a", "b"]);
        expect(res[2]).toBe("c");
      });
    });

    it(`a timeout fails the items that cannot complete in time (test_tasks.BaseTaskTests.test_as_completed_with_timeout, ${form})`, () => {
      go(function* () {
        const loop = getRunningLoop();
        const a = createTask(sleep(0.1, "a"));
        const b = createTask(sleep(0.15, "b"));
        const values: Array<[number, unknown]> = [];
        const ac = asCompleted([a, b], { timeout: 0.12 });
        const items = form === "plain" ? ac : ac.originals();
        for (const f of items) {
          try {
            const v = yield* f;
            values.push([1, v instanceof Future ? v.result() : v]);
          } catch (e) {
            values.push([2, e]);
          }
        }
        expect(values.length).toBe(2);
        expect(values[0]).toEqual([1, "a"]);
        expect(values[1][0]).toBe(2);
        expect(values[1][1]).toBeInstanceOf(TimeoutError);
        expect(loop.time()).toBeCloseTo(0.12, 9);
        // the awaitables keep running
        expect(b.done()).toBe(false);
        yield* wait([a, b]);
        expect(b.result()).toBe("b");
      });
    });

    it(`an unused timeout does not fire (test_tasks.BaseTaskTests.test_as_completed_with_unused_timeout, ${form})`, () => {
      go(function* () {
        const loop = getRunningLoop();
        const values = yield* collect(asCompleted([sleep(0.01, "a")], { timeout: 1 }));
        expect(values).toEqual(["a"]);
        yield* sleep(5); // past the timeout: nothing fails
        expect(loop.time()).toBeCloseTo(5.01, 9);
      });
    });

    it(`iterating again resumes where a break left off (test_tasks.BaseTaskTests.test_as_completed_resume_iterator, ${form})`, () => {
      go(function* () {
        function* coro(i: number) {
          return i;
        }
        const iterator = asCompleted([coro(0), coro(1), coro(2), coro(3)]);
        let iterations = 0;
        const collected = yield* collect(iterator, () => ++iterations < 2);
        expect(collected.length).toBe(2);
        collected.push(...(yield* collect(iterator)));
        expect(collected.slice().sort()).toEqual([0, 1, 2, 3]);
      });
    });

    it(`items can be awaited concurrently (test_tasks.BaseTaskTests.test_as_completed_concurrent, ${form})`, () => {
      go(function* () {
        const a = sleep(0.05, "a");
        const b = sleep(0.05, "b");
        const ac = asCompleted([a, b]);
        const futs = form === "plain" ? [...ac] : [...ac.originals()];
        expect(futs.length).toBe(2);
        const [done, pending] = yield* wait(futs.map((f) => ensureFuture(f as Future<unknown>)));
        expect(pending.size).toBe(0);
        const results = [...done].map((f) => {
          const r = f.result();
          return r instanceof Future ? r.result() : r;
        });
        expect(new Set(results)).toEqual(new Set(["a", "b"]));
      });
    });

    it(`the same coroutine twice counts once (test_tasks.BaseTaskTests.test_as_completed_duplicate_coroutines, ${form})`, () => {
      go(function* () {
        function* coro(s: string) {
          return s;
        }
        const c = coro("ham");
        const result = yield* createTask(collect(asCompleted([c, c, coro("spam")])));
        expect(new Set(result)).toEqual(new Set(["ham", "spam"]));
        expect(result.length).toBe(2);
      });
    });
  }

  it("originals() yields the tasks and futures passed in, and tasks for coroutines (test_tasks.BaseTaskTests.test_as_completed_same_tasks_in_as_out)", () => {
    go(function* () {
      function* coro(x: unknown) {
        return x;
      }
      // coroutines are not yielded back (a finished coroutine cannot be reused): their tasks are
      const coros = [coro(0), coro(1), coro(2), coro(3)];
      const out = new Set<unknown>();
      for (const next of asCompleted(coros).originals()) out.add(yield* next);
      expect(out.size).toBe(4);
      for (const c of coros) expect(out.has(c)).toBe(false);
      // tasks are yielded back as they are
      const taskB = createTask(coro("b"));
      const taskD = createTask(coro("d"));
      const ins = [coro("a"), taskB, coro("c"), taskD];
      const outs = new Set<unknown>();
      for (const next of asCompleted<unknown>(ins).originals()) outs.add(yield* next);
      expect(outs.size).toBe(4);
      expect(ins.filter((x) => outs.has(x))).toEqual([taskB, taskD]);
    });
  });

  it("the first item awaited gets the first completion, whichever item it is (test_tasks.BaseTaskTests.test_as_completed_reverse_wait)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const a = sleep(0.05, "a");
      const b = sleep(0.1, "b");
      const futs = [...asCompleted(new Set([a, b]))];
      expect(futs.length).toBe(2);
      const x = yield* futs[1];
      expect(x).toBe("a");
      expect(loop.time()).toBeCloseTo(0.05, 9);
      const y = yield* futs[0];
      expect(y).toBe("b");
      expect(loop.time()).toBeCloseTo(0.1, 9);
    });
  });

  it("with no current loop, coroutines cannot be wrapped (test_tasks.BaseTaskTests.test_as_completed_coroutine_without_loop)", () => {
    resetEventLoopAfter();
    setEventLoop(null);
    let started = false;
    const a = (function* () {
      started = true;
      return 42;
    })();
    expectThrows(() => asCompleted([a]), Error, /no current event loop/i);
    expect(started).toBe(false);
  });

  it("coroutines go to the running loop (test_tasks.BaseTaskTests.test_as_completed_coroutine_use_running_loop)", async () => {
    const loop = makeLoop(core);
    function* coro() {
      return 42;
    }
    await loop.runUntilComplete(
      (function* () {
        const futs = [...asCompleted([coro()])];
        expect(futs.length).toBe(1);
        expect(futs[0].getLoop()).toBe(loop);
        expect(yield* futs[0]).toBe(42);
      })(),
    );
  });

  it("a single future or coroutine is a TypeError at the call (test_tasks.BaseTaskTests.test_as_completed_invalid_args)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callSoon(() => record.push("queued"));
    const fut = loop.createFuture();
    expectThrows(() => asCompleted(fut as never), TypeError, /not a single future/);
    let started = false;
    const coro = (function* () {
      started = true;
    })();
    expectThrows(() => asCompleted(coro as never), TypeError, /not a single coroutine/);
    expect(started).toBe(false);
    await runOnce(loop);
    expect(record).toEqual(["queued"]);
  });

  // ---- wasyncio contract ------------------------------------------------------------------------

  it("bad items and options are refused at the call, before any task is created", async () => {
    const loop = makeLoop(core);
    setEventLoop(loop);
    resetEventLoopAfter();
    let started = false;
    const coro = (function* () {
      started = true;
    })();
    expectThrows(() => asCompleted([coro, 42] as never), TypeError, /item 2 must be a coroutine, a Task or a Future/);
    expectThrows(() => asCompleted([coro], { timeout: NaN }), ValueError, /timeout/);
    expectThrows(() => asCompleted([coro], { timeout: "1" as never }), TypeError, /timeout/);
    expectThrows(() => asCompleted([coro], { timout: 1 } as never), TypeError, /unknown option 'timout'/);
    expectThrows(() => asCompleted(42 as never), TypeError, /iterable/);
    expectThrows(() => asCompleted("ab" as never), TypeError, /iterable/);
    const other = makeLoop(core);
    expectThrows(() => asCompleted([loop.createFuture(), other.createFuture()]), ValueError, /different event loop/);
    expect(allTasks(loop).size).toBe(0);
    expect(started).toBe(false);
    expect(await loop.runUntilComplete(sleep(1, "fine"))).toBe("fine");
  });

  it("an empty collection yields nothing", () => {
    go(function* () {
      const ac = asCompleted([]);
      expect([...ac]).toEqual([]);
      expect([...ac.originals()]).toEqual([]);
      yield* sleep(0);
    });
  });

  it("break is fine: the rest keep running (SPEC Details: asCompleted)", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const tasks = [3, 1, 2].map((d) => createTask(sleep(d, d)));
      let first: number | null = null;
      for (const f of asCompleted(tasks)) {
        first = yield* f;
        break;
      }
      const [done] = yield* wait(tasks);
      return [first, done.size, loop.time()];
    });
    expect(out).toEqual([1, 3, 3]);
  });

  it("errors and cancellations come out in completion order too", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const failing = createTask(
        (function* (): Coro<never> {
          yield* sleep(1);
          throw new RangeError("bad");
        })(),
      );
      const cancelled = createTask(sleep(10));
      loop.callLater(2, () => cancelled.cancel("stop"));
      const fine = createTask(sleep(3, "fine"));
      for (const f of asCompleted<unknown>([fine, cancelled, failing])) {
        try {
          record.push(String(yield* f));
        } catch (e) {
          record.push(`${(e as Error).name}: ${(e as Error).message}`);
        }
      }
      return record;
    });
    expect(out).toEqual(["RangeError: bad", "CancelledError: stop", "fine"]);
  });

  it("both forms share one stream of completions", () => {
    const out = go(function* () {
      const ac = asCompleted([sleep(1, "a"), sleep(2, "b"), sleep(3, "c")]);
      const first = yield* ac.next().value!;
      const second = yield* (yield* ac.originals().next().value!);
      const rest = [...ac];
      const third = yield* rest[0];
      return [first, second, third, rest.length, ac.next().done];
    });
    expect(out).toEqual(["a", "b", "c", 1, true]);
  });

  it("an item cancelled while it waits gives its turn to the next one", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const ac = asCompleted([sleep(1, "a"), sleep(2, "b")]);
      const [i1, i2] = [...ac];
      const err = yield* (function* () {
        try {
          yield* waitFor(i1, 0.5); // cancels i1 at 0.5
        } catch (e) {
          return e;
        }
        return null;
      })();
      const v = yield* i2;
      return [(err as Error).name, i1.cancelled(), v, loop.time()];
    });
    expect(out).toEqual(["TimeoutError", true, "a", 1]);
  });

  it("a queued completion is returned at once, without a loop iteration", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const ac = asCompleted([sleep(1, "a"), sleep(1, "b")]);
      yield* sleep(2);
      loop.callSoon(() => record.push("callback"));
      for (const f of ac) record.push(yield* f);
      yield* sleep(0);
      return record;
    });
    expect(out).toEqual(["a", "b", "callback"]);
  });

  it("items are thenables for plain async code", async () => {
    const loop = makeLoop(core);
    const a = loop.createTask(sleep(2, "slow"));
    const b = loop.createTask(sleep(1, "quick"));
    let items: Future<string>[] = [];
    await loop.runUntilComplete(
      (function* () {
        items = [...asCompleted([a, b])];
      })(),
    );
    const first = items[0].then((v) => `first: ${v}`);
    const driving = loop.runUntilComplete(wait([a, b]));
    expect(await first).toBe("first: quick");
    await driving;
    expect(await items[1]).toBe("slow");
  });

  it("toString describes the iterator", () => {
    go(function* () {
      const ac = asCompleted([sleep(1)]);
      expect(String(ac)).toBe("<AsCompleted pending=1 left=1>");
      yield* [...ac][0];
      expect(String(ac)).toBe("<AsCompleted pending=0 left=0>");
    });
  });
});
