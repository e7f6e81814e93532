// asyncio.Barrier — ported from CPython 3.13's test_asyncio/test_locks.py (BarrierTests).
// `async with barrier as i` is `const i = yield* barrier.wait()` (its __aexit__ does nothing).

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  ValueError,
  createTask,
  gather,
  runSync,
  sleep,
  type Coro,
  type Task,
} from "../../src/index.ts";
import { Barrier, BrokenBarrierError } from "../../src/index.ts";
import { CORES, expectBadArgument, expectThrows } from "../helpers.ts";

const N = 5;

function makeTasks<T>(n: number, coro: () => Coro<T>): Task<T>[] {
  return Array.from({ length: n }, () => createTask(coro()));
}

function* gatherTasks<T>(n: number, coro: () => Coro<T>): Coro<[T[], Task<T>[]]> {
  const tasks = makeTasks(n, coro);
  const res = (yield* gather(...tasks)) as T[];
  return [res, tasks];
}

const count = <T>(xs: T[], v: T) => xs.filter((x) => x === v).length;

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Coro<T>) => runSync(main, { core });

  it("a Barrier is not awaitable itself (test_locks.BarrierTests.test_barrier)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      expect(String(barrier)).toContain("filling");
      let err: unknown = null;
      try {
        yield* barrier as unknown as Iterable<unknown>;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TypeError);
      expect(String(barrier)).toContain("filling");
    });
  });

  it("toString follows the states: filling, draining, resetting, broken (test_locks.BarrierTests.test_repr)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      const rgx = /^<Barrier \[(filling|draining|resetting|broken)(, waiters:\d+\/\d+)?\]>$/;
      expect(String(barrier)).toMatch(rgx);
      expect(String(barrier)).toBe("<Barrier [filling, waiters:0/5]>");
      const waiters: Task<number>[] = [];
      const incr = 2;
      for (let i = 0; i < incr; i++) waiters.push(createTask(barrier.wait()));
      yield* sleep(0);
      expect(String(barrier)).toMatch(rgx);
      expect(String(barrier)).toContain(`waiters:${incr}/${N}`);
      expect(String(barrier)).toContain("filling");
      const missing = barrier.parties - barrier.nWaiting;
      for (let i = 0; i < missing; i++) waiters.push(createTask(barrier.wait()));
      yield* sleep(0);
      expect(String(barrier)).toMatch(rgx);
      expect(String(barrier)).toContain("draining");
      for (let i = 0; i < incr; i++) waiters.push(createTask(barrier.wait()));
      yield* sleep(0);
      yield* barrier.reset();
      expect(String(barrier)).toMatch(rgx);
      expect(String(barrier)).toContain("resetting");
      for (let i = 0; i < incr; i++) waiters.push(createTask(barrier.wait()));
      yield* sleep(0);
      yield* barrier.abort();
      expect(String(barrier)).toMatch(rgx);
      expect(String(barrier)).toContain("broken");
      expect(String(barrier)).toBe("<Barrier [broken]>");
      expect(barrier.broken).toBe(true);
      yield* gather(...waiters, { returnExceptions: true });
    });
  });

  it("parties must be an integer > 0 (test_locks.BarrierTests.test_barrier_parties)", () => {
    expectThrows(() => new Barrier(0), ValueError, "parties must be > 0");
    expectThrows(() => new Barrier(-4), ValueError, "parties must be > 0");
    expect(new Barrier(N)).toBeInstanceOf(Barrier);
    expectBadArgument(() => new Barrier(NaN), "parties", ValueError);
    expectThrows(() => new Barrier(2.5), ValueError, /parties must be an integer/);
    expectThrows(() => new Barrier("3" as never), TypeError, /parties/);
    expectThrows(() => new Barrier(undefined as never), TypeError, /parties/);
  });

  it("each party gets a distinct index (test_locks.BarrierTests.test_context_manager)", () => {
    rs(function* () {
      const barrier = new Barrier(3);
      const results: number[] = [];
      yield* gatherTasks(3, function* () {
        results.push(yield* barrier.wait());
      });
      expect([...results].sort()).toEqual([0, 1, 2]);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    });
  });

  it("a one-party barrier passes at once (test_locks.BarrierTests.test_filling_one_task)", () => {
    rs(function* () {
      const barrier = new Barrier(1);
      function* f() {
        const i = yield* barrier.wait();
        expect(i).toBe(0);
        return true;
      }
      expect(yield* f()).toBe(true);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    });
  });

  it("a one-party barrier passes twice (test_locks.BarrierTests.test_filling_one_task_twice)", () => {
    rs(function* () {
      const barrier = new Barrier(1);
      const t1 = createTask(barrier.wait());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(0);
      const t2 = createTask(barrier.wait());
      yield* sleep(0);
      expect(t1.result()).toBe(t2.result());
      expect(t1.done()).toBe(t2.done());
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    });
  });

  it("nWaiting counts the arrivals (test_locks.BarrierTests.test_filling_task_by_task)", () => {
    rs(function* () {
      const barrier = new Barrier(3);
      const t1 = createTask(barrier.wait());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(1);
      expect(String(barrier)).toContain("filling");
      const t2 = createTask(barrier.wait());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(2);
      expect(String(barrier)).toContain("filling");
      const t3 = createTask(barrier.wait());
      yield* sleep(0);
      yield* gather(t1, t2, t3);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    });
  });

  it("the barrier can be passed twice in a row (test_locks.BarrierTests.test_filling_tasks_wait_twice)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      const results: boolean[] = [];
      yield* gatherTasks(N, function* () {
        yield* barrier.wait();
        results.push(true);
        yield* barrier.wait();
        results.push(false);
      });
      expect(results.length).toBe(N * 2);
      expect(count(results, true)).toBe(N);
      expect(count(results, false)).toBe(N);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    });
  });

  it("both passes return every index (test_locks.BarrierTests.test_filling_tasks_check_return_value)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const [res] = yield* gatherTasks(N, function* () {
        yield* barrier.wait();
        results1.push(true);
        const i = yield* barrier.wait();
        results2.push(true);
        return i;
      });
      expect(results1.length).toBe(N);
      expect(results2.length).toBe(N);
      expect([...res].sort()).toEqual([0, 1, 2, 3, 4]);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    });
  });

  it("the barrier drains until the last task leaves (test_locks.BarrierTests.test_draining_state)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      const results: boolean[] = [];
      yield* gatherTasks(N, function* () {
        yield* barrier.wait();
        results.push(String(barrier).includes("draining"));
      });
      expect(results.length).toBe(N);
      expect(results[N - 1]).toBe(false);
      expect(results.slice(0, N - 1).every(Boolean)).toBe(true);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    });
  });

  it("tasks arriving while it drains are held until it refills (test_locks.BarrierTests.test_blocking_tasks_while_draining)", () => {
    rs(function* () {
      const rewait = 2;
      const barrier = new Barrier(N);
      const barrierNowaiting = new Barrier(N - rewait);
      let rewaitN = rewait;
      yield* gatherTasks(N, function* () {
        yield* barrier.wait();
        if (rewaitN > 0) {
          rewaitN--;
          yield* barrier.wait();
        } else {
          yield* barrierNowaiting.wait();
          yield* barrier.wait();
        }
      });
      expect(barrier.nWaiting).toBe(0);
    });
  });

  it("a cancelled party leaves the count (test_locks.BarrierTests.test_filling_tasks_cancel_one)", () => {
    rs(function* () {
      const barrier = new Barrier(3);
      const results: boolean[] = [];
      function* coro() {
        yield* barrier.wait();
        results.push(true);
      }
      const t1 = createTask(coro());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(1);
      const t2 = createTask(coro());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(2);
      t1.cancel();
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(1);
      let err: unknown = null;
      try {
        yield* t1;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CancelledError);
      expect(t1.cancelled()).toBe(true);
      const t3 = createTask(coro());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(2);
      const t4 = createTask(coro());
      yield* gather(t2, t3, t4);
      expect(results).toEqual([true, true, true]);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    });
  });

  it("reset of an empty barrier (test_locks.BarrierTests.test_reset_barrier)", () => {
    rs(function* () {
      const barrier = new Barrier(1);
      createTask(barrier.reset());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    });
  });

  it("reset breaks the waiting tasks (test_locks.BarrierTests.test_reset_barrier_while_tasks_waiting)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      const results: boolean[] = [];
      const tasks = makeTasks(N - 1, function* () {
        try {
          yield* barrier.wait();
        } catch (e) {
          if (!(e instanceof BrokenBarrierError)) throw e;
          results.push(true);
        }
      });
      yield* sleep(0);
      createTask(barrier.reset());
      yield* gather(...tasks);
      expect(results).toEqual(Array(N - 1).fill(true));
      expect(barrier.nWaiting).toBe(0);
      expect(String(barrier)).not.toContain("resetting");
      expect(barrier.broken).toBe(false);
    });
  });

  it("reset while half the tasks drain breaks only the waiting ones (test_locks.BarrierTests.test_reset_barrier_when_tasks_half_draining)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const restOfTasks = Math.floor(N / 2);
      yield* gatherTasks(N, function* () {
        try {
          yield* barrier.wait();
        } catch (e) {
          if (!(e instanceof BrokenBarrierError)) throw e;
          results1.push(true);
          return;
        }
        if (restOfTasks === barrier._count) yield* barrier.reset();
      });
      expect(results1).toEqual(Array(restOfTasks).fill(true));
      expect(barrier.nWaiting).toBe(0);
      expect(String(barrier)).not.toContain("resetting");
      expect(barrier.broken).toBe(false);
    });
  });

  it("reset with half draining and half blocking (test_locks.BarrierTests.test_reset_barrier_when_tasks_half_draining_half_blocking)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const blockingTasks = Math.floor(N / 2);
      let n = 0;
      yield* gatherTasks(N, function* () {
        try {
          yield* barrier.wait();
        } catch (e) {
          if (!(e instanceof BrokenBarrierError)) throw e;
          results1.push(true);
          yield* barrier.wait();
          return;
        }
        n++;
        if (n > blockingTasks) {
          yield* barrier.reset();
          yield* barrier.wait();
        } else {
          try {
            yield* barrier.wait();
          } catch (e) {
            if (!(e instanceof BrokenBarrierError)) throw e;
            results2.push(true);
          }
        }
      });
      expect(results1).toEqual(Array(blockingTasks).fill(true));
      expect(results2).toEqual([]);
      expect(barrier.nWaiting).toBe(0);
      expect(String(barrier)).not.toContain("resetting");
      expect(barrier.broken).toBe(false);
    });
  });

  it("tasks broken by reset can wait again and pass (test_locks.BarrierTests.test_reset_barrier_while_tasks_waiting_and_waiting_again)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const tasks = makeTasks(N - 1, function* () {
        try {
          yield* barrier.wait();
        } catch (e) {
          if (!(e instanceof BrokenBarrierError)) throw e;
          results1.push(true);
        } finally {
          yield* barrier.wait();
          results2.push(true);
        }
      });
      createTask(barrier.reset());
      yield* sleep(0);
      createTask(
        (function* () {
          yield* barrier.wait();
          results2.push(true);
        })(),
      );
      yield* gather(...tasks);
      expect(barrier.broken).toBe(false);
      expect(results1).toEqual(Array(N - 1).fill(true));
      expect(results2.length).toBe(N);
      expect(barrier.nWaiting).toBe(0);
    });
  });

  it("reset by the last task out while the others wait again (test_locks.BarrierTests.test_reset_barrier_while_tasks_draining)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const results3: boolean[] = [];
      let n = 0;
      yield* gatherTasks(N, function* () {
        yield* barrier.wait();
        n++;
        if (n === N) {
          yield* barrier.reset();
          yield* barrier.wait();
        } else {
          try {
            yield* barrier.wait();
            results1.push(true);
          } catch {
            results2.push(true);
          }
        }
        yield* barrier.wait();
        results3.push(true);
      });
      expect(barrier.broken).toBe(false);
      expect(results1).toEqual(Array(N - 1).fill(true));
      expect(results2.length).toBe(0);
      expect(results3).toEqual(Array(N).fill(true));
      expect(barrier.nWaiting).toBe(0);
    });
  });

  it("abort of an empty barrier breaks it (test_locks.BarrierTests.test_abort_barrier)", () => {
    rs(function* () {
      const barrier = new Barrier(1);
      createTask(barrier.abort());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(true);
      let err: unknown = null;
      try {
        yield* barrier.wait();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BrokenBarrierError);
      expect((err as Error).message).toBe("Barrier aborted");
    });
  });

  it("abort with half draining and half blocking breaks them all (test_locks.BarrierTests.test_abort_barrier_when_tasks_half_draining_half_blocking)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const blockingTasks = Math.floor(N / 2);
      let n = 0;
      yield* gatherTasks(N, function* () {
        try {
          yield* barrier.wait();
        } catch (e) {
          if (!(e instanceof BrokenBarrierError)) throw e;
          results1.push(true);
          return;
        }
        n++;
        if (n > blockingTasks) {
          yield* barrier.abort();
        } else {
          try {
            yield* barrier.wait();
          } catch (e) {
            if (!(e instanceof BrokenBarrierError)) throw e;
            results2.push(true);
          }
        }
      });
      expect(barrier.broken).toBe(true);
      expect(results1).toEqual(Array(blockingTasks).fill(true));
      expect(results2).toEqual(Array(N - blockingTasks - 1).fill(true));
      expect(barrier.nWaiting).toBe(0);
      expect(String(barrier)).not.toContain("resetting");
    });
  });

  it("an error inside the barrier then abort breaks the others (test_locks.BarrierTests.test_abort_barrier_when_exception)", () => {
    rs(function* () {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      yield* gatherTasks(N, function* () {
        try {
          const i = yield* barrier.wait();
          if (i === Math.floor(N / 2)) throw new RuntimeError("boom");
          yield* barrier.wait();
          results1.push(true);
        } catch (e) {
          if (e instanceof BrokenBarrierError) results2.push(true);
          else if (e instanceof RuntimeError) yield* barrier.abort();
          else throw e;
        }
      });
      expect(barrier.broken).toBe(true);
      expect(results1.length).toBe(0);
      expect(results2).toEqual(Array(N - 1).fill(true));
      expect(barrier.nWaiting).toBe(0);
    });
  });

  it("abort, then reset makes the barrier usable again (test_locks.BarrierTests.test_abort_barrier_when_exception_then_resetting)", () => {
    rs(function* () {
      const barrier1 = new Barrier(N);
      const barrier2 = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const results3: boolean[] = [];
      yield* gatherTasks(N, function* () {
        try {
          const i = yield* barrier1.wait();
          if (i === Math.floor(N / 2)) throw new RuntimeError("boom");
          yield* barrier1.wait();
          results1.push(true);
        } catch (e) {
          if (e instanceof BrokenBarrierError) results2.push(true);
          else if (e instanceof RuntimeError) yield* barrier1.abort();
          else throw e;
        }
        const i = yield* barrier2.wait();
        if (i === Math.floor(N / 2)) yield* barrier1.reset();
        yield* barrier2.wait();
        yield* barrier1.wait();
        results3.push(true);
      });
      expect(barrier1.broken).toBe(false);
      expect(results1.length).toBe(0);
      expect(results2).toEqual(Array(N - 1).fill(true));
      expect(results3).toEqual(Array(N).fill(true));
      expect(barrier1.nWaiting).toBe(0);
    });
  });

  it("parties, nWaiting and broken are read-only properties (SPEC: Properties)", () => {
    const barrier = new Barrier(2);
    expect(barrier.parties).toBe(2);
    expect(() => {
      (barrier as { parties: number }).parties = 5;
    }).toThrow(TypeError);
    expect(() => {
      (barrier as { nWaiting: number }).nWaiting = 5;
    }).toThrow(TypeError);
    expect(() => {
      (barrier as { broken: boolean }).broken = true;
    }).toThrow(TypeError);
    expect(barrier.parties).toBe(2);
    expect(barrier.nWaiting).toBe(0);
    expect(barrier.broken).toBe(false);
  });

  it("the last arrival wakes the others in arrival order (fairness through the shared wait queue)", () => {
    const record: string[] = [];
    rs(function* () {
      const barrier = new Barrier(4);
      yield* gatherTasks(4, function* () {
        const i = yield* barrier.wait();
        record.push(`passed ${i}`);
      });
    });
    // the releasing task (index 3) goes on first; the woken ones follow in FIFO order
    expect(record).toEqual(["passed 3", "passed 0", "passed 1", "passed 2"]);
  });
});
