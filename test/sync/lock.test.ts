// asyncio.Lock — ported from CPython 3.13's test_asyncio/test_locks.py (LockTests), plus the
// contract's details: lazy operations, eager argument checks, fairness under cancellation.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  createTask,
  getRunningLoop,
  runSync,
  sleep,
  type Task,
} from "../../src/index.ts";
import { BoundedSemaphore, Condition, Event, Lock, Semaphore, withLock } from "../../src/index.ts";
import { CORES, expectThrows, makeLoop } from "../helpers.ts";

// the first linked waiter of a primitive's wait queue (asyncio's `lock._waiters[0]`)
const firstWaiter = (p: { _waiters: unknown }) => (p._waiters as { _head: { cancelled(): boolean } })._head;

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Generator<unknown, T, unknown>) => runSync(main, { core });

  it("toString shows the state and the waiters (test_locks.LockTests.test_repr)", () => {
    rs(function* () {
      const lock = new Lock();
      expect(String(lock)).toBe("<Lock [unlocked]>");
      yield* lock.acquire();
      expect(String(lock)).toBe("<Lock [locked]>");
      createTask(lock.acquire());
      yield* sleep(0);
      expect(String(lock)).toBe("<Lock [locked, waiters:1]>");
      lock.release();
    });
  });

  it("a Lock is not awaitable itself: yield* lock is a TypeError (test_locks.LockTests.test_lock)", () => {
    rs(function* () {
      const lock = new Lock();
      expect(() => {
        const it = (lock as unknown as Iterable<unknown>)[Symbol.iterator];
        return it.call(lock);
      }).toThrow(TypeError);
      let err: unknown = null;
      try {
        yield* lock as unknown as Iterable<unknown>;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TypeError);
      expect(lock.locked()).toBe(false);
    });
  });

  it("primitives take no loop argument (test_locks.LockTests.test_lock_doesnt_accept_loop_parameter)", () => {
    const loop = makeLoop(core);
    const ctors = [Lock, Condition, Event, Semaphore, BoundedSemaphore] as unknown as (new (x: unknown) => unknown)[];
    for (const cls of ctors) expectThrows(() => new cls(loop), TypeError);
    expectThrows(() => new (Lock as unknown as new (x: unknown) => Lock)(loop), TypeError, /takes no arguments/);
  });

  it("yield* on any lockable primitive is a TypeError and leaves it unlocked (test_locks.LockTests.test_lock_by_with_statement)", () => {
    rs(function* () {
      for (const prim of [new Lock(), new Condition(), new Semaphore(), new BoundedSemaphore()]) {
        yield* sleep(0.01);
        expect(prim.locked()).toBe(false);
        let err: unknown = null;
        try {
          yield* prim as unknown as Iterable<unknown>;
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(TypeError);
        expect(prim.locked()).toBe(false);
      }
    });
  });

  it("waiters acquire in FIFO order, one per release (test_locks.LockTests.test_acquire)", () => {
    rs(function* () {
      const lock = new Lock();
      const result: number[] = [];
      expect(yield* lock.acquire()).toBe(true);
      function* c(n: number) {
        if (yield* lock.acquire()) result.push(n);
        return true;
      }
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      yield* sleep(0);
      expect(result).toEqual([]);
      lock.release();
      yield* sleep(0);
      expect(result).toEqual([1]);
      yield* sleep(0);
      expect(result).toEqual([1]);
      const t3 = createTask(c(3));
      lock.release();
      yield* sleep(0);
      expect(result).toEqual([1, 2]);
      lock.release();
      yield* sleep(0);
      expect(result).toEqual([1, 2, 3]);
      for (const t of [t1, t2, t3]) {
        expect(t.done()).toBe(true);
        expect(t.result()).toBe(true);
      }
    });
  });

  it("a cancelled acquire leaves no waiter behind (test_locks.LockTests.test_acquire_cancel)", () => {
    rs(function* () {
      const lock = new Lock();
      expect(yield* lock.acquire()).toBe(true);
      const task = createTask(lock.acquire());
      getRunningLoop().callSoon(() => task.cancel());
      let err: unknown = null;
      try {
        yield* task;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CancelledError);
      expect(lock._waiters.length).toBe(0);
    });
  });

  it("release skips a waiter cancelled in the same iteration (test_locks.LockTests.test_cancel_race)", () => {
    rs(function* () {
      const lock = new Lock();
      const loop = getRunningLoop();
      function* lockit(blocker: { [Symbol.iterator](): Iterator<unknown, unknown, unknown> } | null) {
        yield* lock.acquire();
        try {
          if (blocker !== null) yield* blocker;
        } finally {
          lock.release();
        }
      }
      const fa = loop.createFuture<null>();
      const ta = createTask(lockit(fa));
      yield* sleep(0);
      expect(lock.locked()).toBe(true);
      const tb = createTask(lockit(null));
      yield* sleep(0);
      expect(lock._waiters.length).toBe(1);
      const tc = createTask(lockit(null));
      yield* sleep(0);
      expect(lock._waiters.length).toBe(2);

      fa.setResult(null);
      tb.cancel();
      expect(firstWaiter(lock).cancelled()).toBe(true);
      yield* sleep(0);
      expect(lock.locked()).toBe(false);
      expect(ta.done()).toBe(true);
      expect(tb.cancelled()).toBe(true);
      yield* tc;
    });
  });

  it("cancelling one waiter while releasing hands the lock to exactly one other (test_locks.LockTests.test_cancel_release_race)", () => {
    rs(function* () {
      const loop = getRunningLoop();
      const lock = new Lock();
      let lockCount = 0;
      let callCount = 0;
      function* lockit() {
        callCount++;
        yield* lock.acquire();
        lockCount++;
      }
      yield* lock.acquire();
      const t1 = createTask(lockit());
      const t2 = createTask(lockit());
      const t3 = createTask(lockit());
      yield* sleep(0);
      loop.callSoon(() => {
        t1.cancel();
        lock.release();
      });
      let err: unknown = null;
      try {
        yield* t1;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CancelledError);
      expect(lockCount).toBe(1);
      expect(callCount).toBe(3);
      expect(t1.cancelled() && t2.done()).toBe(true);
      t3.cancel();
      yield* sleep(0);
      expect(t3.cancelled()).toBe(true);
    });
  });

  it("a waiter woken then cancelled passes the lock on (test_locks.LockTests.test_finished_waiter_cancelled)", () => {
    rs(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      expect(lock.locked()).toBe(true);
      const tb = createTask(lock.acquire());
      yield* sleep(0);
      expect(lock._waiters.length).toBe(1);
      const tc = createTask(lock.acquire());
      tb.cancel();
      lock.release();
      yield* sleep(0);
      expect(lock.locked()).toBe(true);
      expect(tb.cancelled()).toBe(true);
      yield* tc;
    });
  });

  it("a waiter cancelled after release() woke it hands the turn to the next (asyncio Lock.acquire's hand-off)", () => {
    const record: string[] = [];
    rs(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      function* waiter(name: string) {
        try {
          yield* lock.acquire();
        } catch (e) {
          record.push(`${name} cancelled`);
          throw e;
        }
        record.push(`${name} acquired`);
        lock.release();
      }
      const tb = createTask(waiter("b"));
      const tc = createTask(waiter("c"));
      yield* sleep(0);
      lock.release(); // wakes b ...
      tb.cancel(); // ... which is cancelled before it runs: c must not be left parked
      yield* sleep(0);
      yield* sleep(0);
      expect(tc.done()).toBe(true);
      expect(lock.locked()).toBe(false);
    });
    expect(record).toEqual(["b cancelled", "c acquired"]);
  });

  it("releasing an unlocked lock is a RuntimeError (test_locks.LockTests.test_release_not_acquired)", () => {
    const lock = new Lock();
    expectThrows(() => lock.release(), RuntimeError, "Lock is not acquired");
  });

  it("release without waiters unlocks (test_locks.LockTests.test_release_no_waiters)", () => {
    rs(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      expect(lock.locked()).toBe(true);
      lock.release();
      expect(lock.locked()).toBe(false);
    });
  });

  it("withLock plays async with lock (test_locks.LockTests.test_context_manager)", () => {
    rs(function* () {
      const lock = new Lock();
      expect(lock.locked()).toBe(false);
      const v = yield* withLock(lock, function* () {
        expect(lock.locked()).toBe(true);
        return 7;
      });
      expect(v).toBe(7);
      expect(lock.locked()).toBe(false);
    });
  });

  it("a newcomer never jumps ahead of a woken waiter (asyncio's fairness: all(w.cancelled()) fast path)", () => {
    const record: string[] = [];
    rs(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      function* user(name: string) {
        yield* lock.acquire();
        record.push(name);
        yield* sleep(0);
        lock.release();
      }
      const a = createTask(user("a"));
      yield* sleep(0); // a waits
      lock.release(); // a is woken but has not run
      expect(lock.locked()).toBe(false);
      const b = createTask(user("b")); // runs before a: must queue behind it
      yield* sleep(0);
      expect(lock._waiters.length).toBe(1); // b parked (a left the queue when it ran)
      yield* a;
      yield* b;
    });
    expect(record).toEqual(["a", "b"]);
  });

  it("a lock with only cancelled waiters is taken at once (test_locks: the queue-jump optimization)", () => {
    rs(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      const t = createTask(lock.acquire());
      yield* sleep(0);
      t.cancel(); // its waiter is cancelled but still linked until t runs
      lock.release();
      expect(lock.locked()).toBe(false);
      expect(lock._waiters.length).toBe(1);
      // the fast path: no suspension
      const g = lock.acquire();
      expect(g.next()).toEqual({ done: true, value: true });
      expect(lock.locked()).toBe(true);
      yield* sleep(0);
      expect(t.cancelled()).toBe(true);
      lock.release();
    });
  });

  it("acquire() is lazy: a fresh coroutine that does nothing until driven (SPEC: operations are lazy)", () => {
    rs(function* () {
      const lock = new Lock();
      const a = lock.acquire();
      const b = lock.acquire();
      expect(a === b).toBe(false);
      expect(lock.locked()).toBe(false);
      expect(typeof a.next).toBe("function");
      yield* a;
      expect(lock.locked()).toBe(true);
      lock.release();
    });
  });

  it("100 waiters are served strictly in arrival order (FIFO through the wait queue)", () => {
    const order: number[] = [];
    rs(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      const tasks: Task<void>[] = [];
      for (let i = 0; i < 100; i++) {
        tasks.push(
          createTask(
            (function* () {
              yield* withLock(lock, function* () {
                order.push(i);
                yield* sleep(0);
              });
            })(),
          ),
        );
      }
      yield* sleep(0);
      lock.release();
      for (const t of tasks) yield* t;
    });
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("a lock bound to one loop refuses to park a waiter of another (test_locks.ConditionTests.test_ambiguous_loops, wrong_loop_in_lock)", () => {
    const lock = new Lock();
    let held: Task<unknown> | null = null;
    // bind it to a first loop: contend so a waiter parks there
    runSync(
      function* () {
        yield* lock.acquire();
        held = createTask(lock.acquire());
        yield* sleep(0);
        held.cancel();
        yield* sleep(0);
      },
      { core },
    );
    expect(held!.cancelled()).toBe(true);
    // still locked: a second loop's acquire must park, and finds the binding
    const err = expectThrows(
      () =>
        runSync(function* () {
          yield* lock.acquire();
        }, { core }),
      RuntimeError,
      /bound to a different event loop/,
    );
    expect(String((err as Error).message)).toContain("<Lock [locked]>");
  });

  it("a deadlock on a lock names it in runSync's report (SPEC: runSync deadlock message)", () => {
    const err = expectThrows(
      () =>
        runSync(function* () {
          const lock = new Lock();
          yield* lock.acquire();
          yield* lock.acquire();
        }, { core }),
      RuntimeError,
    );
    expect(String((err as Error).message)).toContain("parked on <Lock [locked, waiters:1]>");
  });
});
