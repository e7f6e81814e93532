// asyncio.Semaphore and BoundedSemaphore — ported from CPython 3.13's
// test_asyncio/test_locks.py (SemaphoreTests), plus argument checks.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ValueError,
  createTask,
  gather,
  getRunningLoop,
  runSync,
  sleep,
  type Coro,
  type Task,
} from "../../src/index.ts";
import { BoundedSemaphore, Semaphore, withLock } from "../../src/index.ts";
import { CORES, expectBadArgument, expectThrows } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Coro<T>) => runSync(main, { core });

  it("Semaphore(0) is locked (test_locks.SemaphoreTests.test_initial_value_zero)", () => {
    expect(new Semaphore(0).locked()).toBe(true);
  });

  it("toString shows the value or locked, and the waiters (test_locks.SemaphoreTests.test_repr)", () => {
    rs(function* () {
      const sem = new Semaphore();
      expect(String(sem)).toBe("<Semaphore [unlocked, value:1]>");
      yield* sem.acquire();
      expect(String(sem)).toBe("<Semaphore [locked]>");
      const t1 = createTask(sem.acquire());
      const t2 = createTask(sem.acquire());
      yield* sleep(0);
      expect(String(sem)).toBe("<Semaphore [locked, waiters:2]>");
      expect(String(new BoundedSemaphore(2))).toBe("<BoundedSemaphore [unlocked, value:2]>");
      sem.release();
      sem.release();
      yield* t1;
      yield* t2;
    });
  });

  it("a Semaphore is not awaitable itself and starts at 1 (test_locks.SemaphoreTests.test_semaphore)", () => {
    rs(function* () {
      const sem = new Semaphore();
      expect(sem._value).toBe(1);
      let err: unknown = null;
      try {
        yield* sem as unknown as Iterable<unknown>;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TypeError);
      expect(sem.locked()).toBe(false);
      expect(sem._value).toBe(1);
    });
  });

  it("Semaphore(-1) is a ValueError (test_locks.SemaphoreTests.test_semaphore_value)", () => {
    expectThrows(() => new Semaphore(-1), ValueError, "Semaphore initial value must be >= 0");
    expectThrows(() => new BoundedSemaphore(-1), ValueError, ">= 0");
  });

  it("a bad value is refused at construction, naming it (SPEC: eager argument checks)", () => {
    expectBadArgument(() => new Semaphore(NaN), "value", ValueError);
    expectThrows(() => new Semaphore(1.5), ValueError, /value must be an integer/);
    expectThrows(() => new Semaphore("2" as never), TypeError, /value must be an integer, got "2"/);
    expectThrows(() => new Semaphore(null as never), TypeError, /value/);
    expectThrows(() => new BoundedSemaphore(Infinity), ValueError, /integer/);
    expect(new Semaphore(undefined)._value).toBe(1); // undefined is the default
    expect(new Semaphore(0)._value).toBe(0);
  });

  it("waiters get the released slots in order (test_locks.SemaphoreTests.test_acquire)", () => {
    rs(function* () {
      const sem = new Semaphore(3);
      const result: number[] = [];
      expect(yield* sem.acquire()).toBe(true);
      expect(yield* sem.acquire()).toBe(true);
      expect(sem.locked()).toBe(false);
      function* c(n: number) {
        yield* sem.acquire();
        result.push(n);
        return true;
      }
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      const t3 = createTask(c(3));
      yield* sleep(0);
      expect(result).toEqual([1]);
      expect(sem.locked()).toBe(true);
      expect(sem._waiters.length).toBe(2);
      expect(sem._value).toBe(0);

      const t4 = createTask(c(4));
      sem.release();
      sem.release();
      expect(sem._value).toBe(0);
      yield* sleep(0);
      expect(sem._value).toBe(0);
      expect(result.length).toBe(3);
      expect(sem.locked()).toBe(true);
      expect(sem._waiters.length).toBe(1);
      expect(sem._value).toBe(0);

      expect(t1.done()).toBe(true);
      expect(t1.result()).toBe(true);
      const race = [t2, t3, t4];
      expect(race.filter((t) => t.done() && t.result()).length).toBe(2);
      sem.release();
      yield* gather(...race);
    });
  });

  it("a cancelled acquire leaves no pending waiter (test_locks.SemaphoreTests.test_acquire_cancel)", () => {
    rs(function* () {
      const sem = new Semaphore();
      yield* sem.acquire();
      const acquire = createTask(sem.acquire());
      getRunningLoop().callSoon(() => acquire.cancel());
      let err: unknown = null;
      try {
        yield* acquire;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CancelledError);
      expect(sem._waiters.length).toBe(0);
    });
  });

  it("waiters cancelled before release are skipped (test_locks.SemaphoreTests.test_acquire_cancel_before_awoken)", () => {
    rs(function* () {
      const sem = new Semaphore(0);
      const [t1, t2, t3, t4] = [0, 1, 2, 3].map(() => createTask(sem.acquire()));
      yield* sleep(0);
      t1.cancel();
      t2.cancel();
      sem.release();
      yield* sleep(0);
      yield* sleep(0);
      expect([t3, t4].filter((t) => t.done()).length).toBe(1);
      expect(t3.done()).toBe(true);
      expect(t4.done()).toBe(false);
      t3.cancel();
      t4.cancel();
      yield* sleep(0);
    });
  });

  it("a cancelled first waiter does not leave the second hanging (test_locks.SemaphoreTests.test_acquire_hang)", () => {
    rs(function* () {
      const sem = new Semaphore(0);
      const t1 = createTask(sem.acquire());
      const t2 = createTask(sem.acquire());
      yield* sleep(0);
      t1.cancel();
      sem.release();
      yield* sleep(0);
      yield* sleep(0);
      expect(sem.locked()).toBe(true);
      expect(t2.done()).toBe(true);
    });
  });

  it("a waiter woken then cancelled gives its slot back (test_locks.SemaphoreTests.test_acquire_no_hang)", () => {
    rs(function* () {
      const sem = new Semaphore(1);
      let t2: Task<void> | null = null;
      const t1 = createTask(
        (function* () {
          yield* withLock(sem, function* () {
            yield* sleep(0);
          });
          t2!.cancel();
        })(),
      );
      t2 = createTask(
        withLock(sem, function* () {
          throw new Error("t2 must never get the semaphore");
        }),
      );
      const [r1, r2] = yield* gather(t1, t2, { returnExceptions: true });
      expect(r1).toBeUndefined();
      expect(r2).toBeInstanceOf(CancelledError);
      // asyncio.wait_for(sem.acquire(), timeout=1.0): the slot is free again
      const g = sem.acquire();
      expect(g.next()).toEqual({ done: true, value: true });
    });
  });

  it("BoundedSemaphore released above its value is a ValueError (test_locks.SemaphoreTests.test_release_not_acquired)", () => {
    const sem = new BoundedSemaphore();
    expectThrows(() => sem.release(), ValueError, "BoundedSemaphore released too many times");
    expect(sem._value).toBe(1);
  });

  it("release without waiters unlocks (test_locks.SemaphoreTests.test_release_no_waiters)", () => {
    rs(function* () {
      const sem = new Semaphore();
      yield* sem.acquire();
      expect(sem.locked()).toBe(true);
      sem.release();
      expect(sem.locked()).toBe(false);
    });
  });

  it("tasks re-acquiring queue behind the others (test_locks.SemaphoreTests.test_acquire_fifo_order)", () => {
    const result: string[] = [];
    rs(function* () {
      const sem = new Semaphore(1);
      function* coro(tag: string) {
        yield* sem.acquire();
        result.push(`${tag}_1`);
        yield* sleep(0.01);
        sem.release();
        yield* sem.acquire();
        result.push(`${tag}_2`);
        yield* sleep(0.01);
        sem.release();
      }
      yield* gather(coro("c1"), coro("c2"), coro("c3"));
    });
    expect(result).toEqual(["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"]);
  });

  it("a task releasing and re-acquiring goes to the back (test_locks.SemaphoreTests.test_acquire_fifo_order_2)", () => {
    const result: number[] = [];
    rs(function* () {
      const sem = new Semaphore(1);
      function* c1() {
        yield* sem.acquire();
        result.push(1);
        return true;
      }
      function* c2() {
        yield* sem.acquire();
        result.push(2);
        sem.release();
        yield* sem.acquire();
        result.push(4);
        return true;
      }
      function* c3() {
        yield* sem.acquire();
        result.push(3);
        return true;
      }
      const tasks = [createTask(c1()), createTask(c2()), createTask(c3())];
      yield* sleep(0);
      sem.release();
      sem.release();
      yield* gather(...tasks);
    });
    expect(result).toEqual([1, 2, 3, 4]);
  });

  it("a cancelled waiter is skipped by release (test_locks.SemaphoreTests.test_acquire_fifo_order_3)", () => {
    const result: number[] = [];
    rs(function* () {
      const sem = new Semaphore(0);
      function* c(n: number) {
        yield* sem.acquire();
        result.push(n);
        return true;
      }
      const tasks = [createTask(c(1)), createTask(c(2)), createTask(c(3))];
      yield* sleep(0);
      tasks[0].cancel();
      yield* sleep(0);
      sem.release();
      sem.release();
      yield* gather(...tasks, { returnExceptions: true });
    });
    expect(result).toEqual([2, 3]);
  });

  it("a successful acquire wakes the waiters FIFO held back (test_locks.SemaphoreTests.test_acquire_fifo_order_4)", () => {
    const result: number[] = [];
    rs(function* () {
      const sem = new Semaphore(0);
      let t4: Task<boolean> | null = null;
      function* c1() {
        expect(sem._value).toBe(0);
        yield* sem.acquire();
        expect(sem._value).toBe(0); // every waiter was woken
        t4 = createTask(c4()); // runs after c3, not c2
        result.push(1);
        return true;
      }
      function* c2() {
        sem.release();
        sem.release();
        sem.release();
        expect(sem._value).toBe(2);
        expect(sem.locked()).toBe(true); // c1 was woken but has not run
        yield* sem.acquire();
        result.push(2);
        return true;
      }
      function* c3() {
        yield* sem.acquire();
        expect(sem.locked()).toBe(true);
        result.push(3);
        return true;
      }
      function* c4() {
        result.push(4);
        return true;
      }
      const t1 = createTask(c1());
      const t2 = createTask(c2());
      const t3 = createTask(c3());
      yield* sleep(0);
      expect(sem._value).toBe(2);
      expect(sem._waiters.length).toBe(3);
      yield* sleep(0);
      yield* gather(t1, t2, t3, t4!);
    });
    expect(result).toEqual([1, 2, 3, 4]);
  });

  it("BoundedSemaphore tracks its bound across waiters (asyncio BoundedSemaphore.release)", () => {
    rs(function* () {
      const sem = new BoundedSemaphore(2);
      yield* sem.acquire();
      yield* sem.acquire();
      const t = createTask(sem.acquire());
      yield* sleep(0);
      sem.release(); // handed to t
      expect(sem._value).toBe(0);
      yield* t;
      sem.release();
      sem.release();
      expect(sem._value).toBe(2);
      expectThrows(() => sem.release(), ValueError, /too many times/);
      expect(sem._value).toBe(2);
    });
  });

  it("withLock accepts Semaphore and BoundedSemaphore and limits concurrency (SPEC: withLock)", () => {
    const record: string[] = [];
    rs(function* () {
      for (const sem of [new Semaphore(2), new BoundedSemaphore(2)]) {
        let inside = 0;
        let most = 0;
        function* job(i: number) {
          return yield* withLock(sem, function* () {
            inside++;
            most = Math.max(most, inside);
            yield* sleep(1);
            inside--;
            return i * 10;
          });
        }
        const results = yield* gather(job(1), job(2), job(3), job(4), job(5));
        record.push(`${sem.constructor.name}: ${results.join(",")} max=${most} t=${getRunningLoop().time()}`);
        expect(sem._value).toBe(2);
      }
    });
    expect(record).toEqual(["Semaphore: 10,20,30,40,50 max=2 t=3", "BoundedSemaphore: 10,20,30,40,50 max=2 t=6"]);
  });

  it("acquire() is lazy (SPEC: operations are lazy)", () => {
    rs(function* () {
      const sem = new Semaphore(1);
      const g = sem.acquire();
      expect(sem._value).toBe(1);
      yield* g;
      expect(sem._value).toBe(0);
    });
  });
});
