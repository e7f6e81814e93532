// asyncio.Condition — ported from CPython 3.13's test_asyncio/test_locks.py (ConditionTests).

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  ValueError,
  createTask,
  getRunningLoop,
  runSync,
  sleep,
  type Coro,
  type Task,
} from "../../src/index.ts";
import { Condition, Lock, withLock } from "../../src/index.ts";
import { CORES, expectThrows } from "../helpers.ts";

/** `asyncio.timeout(delay)` around `coro`, run as a task: null if it timed out. */
function* withinTimeout<T>(delay: number, coro: Coro<T>): Coro<{ value: T } | null> {
  const task = createTask(coro);
  let expired = false;
  const h = getRunningLoop().callLater(delay, () => {
    expired = true;
    task.cancel();
  });
  try {
    return { value: yield* task };
  } catch (e) {
    if (expired && e instanceof CancelledError) return null;
    throw e;
  } finally {
    h.cancel();
  }
}

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Coro<T>) => runSync(main, { core });

  it("notify wakes waiters in FIFO order once the lock is released (test_locks.ConditionTests.test_wait)", () => {
    rs(function* () {
      const cond = new Condition();
      const result: number[] = [];
      function* c(n: number) {
        yield* cond.acquire();
        if (yield* cond.wait()) result.push(n);
        return true;
      }
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      const t3 = createTask(c(3));
      yield* sleep(0);
      expect(result).toEqual([]);
      expect(cond.locked()).toBe(false);

      expect(yield* cond.acquire()).toBe(true);
      cond.notify();
      yield* sleep(0);
      expect(result).toEqual([]);
      expect(cond.locked()).toBe(true);

      cond.release();
      yield* sleep(0);
      expect(result).toEqual([1]);
      expect(cond.locked()).toBe(true);

      cond.notify(2);
      yield* sleep(0);
      expect(result).toEqual([1]);
      expect(cond.locked()).toBe(true);

      cond.release();
      yield* sleep(0);
      expect(result).toEqual([1, 2]);
      expect(cond.locked()).toBe(true);

      cond.release();
      yield* sleep(0);
      expect(result).toEqual([1, 2, 3]);
      expect(cond.locked()).toBe(true);
      for (const t of [t1, t2, t3]) expect(t.result()).toBe(true);
    });
  });

  it("a cancelled wait re-acquires the lock and leaves no waiter (test_locks.ConditionTests.test_wait_cancel)", () => {
    rs(function* () {
      const cond = new Condition();
      yield* cond.acquire();
      const wait = createTask(cond.wait());
      getRunningLoop().callSoon(() => wait.cancel());
      let err: unknown = null;
      try {
        yield* wait;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CancelledError);
      expect(cond._waiters.length).toBe(0);
      expect(cond.locked()).toBe(true);
    });
  });

  it("notify then cancel while the lock is contested still ends with the lock held (test_locks.ConditionTests.test_wait_cancel_contested)", () => {
    rs(function* () {
      const cond = new Condition();
      yield* cond.acquire();
      expect(cond.locked()).toBe(true);
      const waitTask = createTask(cond.wait());
      yield* sleep(0);
      expect(cond.locked()).toBe(false);
      yield* cond.acquire();
      expect(cond.locked()).toBe(true);
      cond.notify();
      getRunningLoop().callSoon(() => waitTask.cancel());
      getRunningLoop().callSoon(() => cond.release());
      try {
        yield* waitTask;
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
      }
      expect(cond.locked()).toBe(true);
    });
  });

  it("a task cancelled while re-acquiring after notify ends cancelled (test_locks.ConditionTests.test_wait_cancel_after_notify)", () => {
    rs(function* () {
      let waited = false;
      const cond = new Condition();
      const waiter = createTask(
        withLock(cond, function* () {
          waited = true;
          yield* cond.wait();
        }),
      );
      yield* sleep(0);
      yield* cond.acquire();
      cond.notify();
      yield* sleep(0); // waiter gets to acquire()
      waiter.cancel();
      yield* sleep(0); // cancellation is delivered
      cond.release();
      yield* sleep(0);
      expect(waiter.cancelled()).toBe(true);
      expect(waited).toBe(true);
    });
  });

  it("wait() without the lock is a RuntimeError, raised when driven (test_locks.ConditionTests.test_wait_unacquired)", () => {
    rs(function* () {
      const cond = new Condition();
      const g = cond.wait(); // lazy: the state is checked when it runs, as asyncio does
      let err: unknown = null;
      try {
        yield* g;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RuntimeError);
      expect(String((err as Error).message)).toMatch(/un-acquired lock/);
    });
  });

  it("waitFor re-checks the predicate after each notify (test_locks.ConditionTests.test_wait_for)", () => {
    rs(function* () {
      const cond = new Condition();
      let presult = false;
      const result: number[] = [];
      const t = createTask(
        (function* () {
          yield* cond.acquire();
          if (yield* cond.waitFor(() => presult)) {
            result.push(1);
            cond.release();
          }
          return true;
        })(),
      );
      yield* sleep(0);
      expect(result).toEqual([]);

      yield* cond.acquire();
      cond.notify();
      cond.release();
      yield* sleep(0);
      expect(result).toEqual([]);

      presult = true;
      yield* cond.acquire();
      cond.notify();
      cond.release();
      yield* sleep(0);
      expect(result).toEqual([1]);
      expect(t.done()).toBe(true);
      expect(t.result()).toBe(true);
    });
  });

  it("waitFor returns a true predicate at once, without the lock (test_locks.ConditionTests.test_wait_for_unacquired)", () => {
    rs(function* () {
      const cond = new Condition();
      const res = yield* cond.waitFor(() => [1, 2, 3]);
      expect(res).toEqual([1, 2, 3]);
      let err: unknown = null;
      try {
        yield* cond.waitFor(() => false);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RuntimeError);
    });
  });

  it("notify(n) wakes n waiters in order; notify(2048) wakes the rest (test_locks.ConditionTests.test_notify)", () => {
    rs(function* () {
      const cond = new Condition();
      const result: number[] = [];
      function* c(n: number) {
        yield* cond.acquire();
        if (yield* cond.wait()) {
          result.push(n);
          cond.release();
        }
        return true;
      }
      const tasks = [createTask(c(1)), createTask(c(2)), createTask(c(3))];
      yield* sleep(0);
      expect(result).toEqual([]);

      yield* cond.acquire();
      cond.notify(1);
      cond.release();
      yield* sleep(0);
      expect(result).toEqual([1]);

      yield* cond.acquire();
      cond.notify(1);
      cond.notify(2048);
      cond.release();
      yield* sleep(0);
      expect(result).toEqual([1, 2, 3]);
      for (const t of tasks) expect(t.result()).toBe(true);
    });
  });

  it("notifyAll wakes every waiter (test_locks.ConditionTests.test_notify_all)", () => {
    rs(function* () {
      const cond = new Condition();
      const result: number[] = [];
      function* c(n: number) {
        yield* cond.acquire();
        if (yield* cond.wait()) {
          result.push(n);
          cond.release();
        }
        return true;
      }
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      yield* sleep(0);
      expect(result).toEqual([]);
      yield* cond.acquire();
      cond.notifyAll();
      cond.release();
      yield* sleep(0);
      expect(result).toEqual([1, 2]);
      expect(t1.result()).toBe(true);
      expect(t2.result()).toBe(true);
    });
  });

  it("notify without the lock is a RuntimeError (test_locks.ConditionTests.test_notify_unacquired)", () => {
    const cond = new Condition();
    expectThrows(() => cond.notify(), RuntimeError, /un-acquired lock/);
  });

  it("notifyAll without the lock is a RuntimeError (test_locks.ConditionTests.test_notify_all_unacquired)", () => {
    const cond = new Condition();
    expectThrows(() => cond.notifyAll(), RuntimeError, /un-acquired lock/);
  });

  it("toString shows the lock state and the waiters (test_locks.ConditionTests.test_repr)", () => {
    rs(function* () {
      const cond = new Condition();
      expect(String(cond)).toBe("<Condition [unlocked]>");
      yield* cond.acquire();
      expect(String(cond)).toBe("<Condition [locked]>");
      const ts: Task<unknown>[] = [];
      ts.push(createTask(withLock(cond, () => cond.wait())));
      ts.push(createTask(withLock(cond, () => cond.wait())));
      cond.release();
      yield* sleep(0);
      expect(String(cond)).toBe("<Condition [unlocked, waiters:2]>");
      yield* cond.acquire();
      cond.notifyAll();
      cond.release();
      for (const t of ts) yield* t;
    });
  });

  it("withLock(cond) holds the condition's lock (test_locks.ConditionTests.test_context_manager)", () => {
    rs(function* () {
      const cond = new Condition();
      expect(cond.locked()).toBe(false);
      yield* withLock(cond, function* () {
        expect(cond.locked()).toBe(true);
      });
      expect(cond.locked()).toBe(false);
    });
  });

  it("a Condition shares an explicit Lock (test_locks.ConditionTests.test_explicit_lock)", () => {
    rs(function* () {
      function* f(lock: Lock | null = null, cond: Condition | null = null) {
        lock ??= new Lock();
        cond ??= new Condition(lock);
        expect(cond._lock).toBe(lock);
        expect(lock.locked()).toBe(false);
        expect(cond.locked()).toBe(false);
        yield* withLock(cond, function* () {
          expect(lock!.locked()).toBe(true);
          expect(cond!.locked()).toBe(true);
        });
        expect(lock.locked()).toBe(false);
        expect(cond.locked()).toBe(false);
        yield* withLock(lock, function* () {
          expect(lock!.locked()).toBe(true);
          expect(cond!.locked()).toBe(true);
        });
        expect(lock.locked()).toBe(false);
        expect(cond.locked()).toBe(false);
      }
      yield* f();
      yield* f(new Lock());
      const lock = new Lock();
      yield* f(lock, new Condition(lock));
    });
  });

  it("a condition bound to another loop refuses to wait and keeps the lock (test_locks.ConditionTests.test_ambiguous_loops, wrong_loop_in_cond)", () => {
    const cond = new Condition();
    // bind the condition to a first loop by waiting on it there
    runSync(function* () {
      const t = createTask(withLock(cond, () => cond.waitFor(() => false)));
      yield* sleep(0);
      expect(cond._waiters.length).toBe(1);
      t.cancel();
      yield* sleep(0);
      expect(t.cancelled()).toBe(true);
      expect(cond.locked()).toBe(false); // re-acquired, then released by withLock
    }, { core });
    rs(function* () {
      yield* cond.acquire(); // the fast path needs no loop
      let err: unknown = null;
      try {
        yield* cond.wait();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RuntimeError);
      expect(String((err as Error).message)).toMatch(/is bound to a different event loop/);
      expect(cond.locked()).toBe(true); // checked before releasing, as asyncio does
      cond.release();
    });
  });

  it("a timeout inside the block re-acquires the lock (test_locks.ConditionTests.test_timeout_in_block)", () => {
    rs(function* () {
      const cond = new Condition();
      yield* withLock(cond, function* () {
        const r = yield* withinTimeout(0.5, cond.wait());
        expect(r).toBeNull();
        expect(cond.locked()).toBe(true);
        expect(getRunningLoop().time()).toBe(0.5);
      });
      expect(cond.locked()).toBe(false);
    });
  });

  it("a CancelledError received while waiting is re-raised unchanged (test_locks.ConditionTests.test_cancelled_error_wakeup)", () => {
    rs(function* () {
      const wake = false;
      let raised: unknown = null;
      const cond = new Condition();
      const task = createTask(
        withLock(cond, function* () {
          try {
            yield* cond.waitFor(() => wake);
          } catch (e) {
            expect(e).toBeInstanceOf(CancelledError);
            raised = e;
            throw e;
          }
        }),
      );
      yield* sleep(0);
      task.cancel("foo");
      let err: unknown = null;
      try {
        yield* task;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CancelledError);
      expect((err as Error).message).toBe("foo");
      expect(err).toBe(raised);
    });
  });

  it("a CancelledError received while re-acquiring is re-raised unchanged (test_locks.ConditionTests.test_cancelled_error_re_aquire)", () => {
    rs(function* () {
      let wake = false;
      let raised: unknown = null;
      const cond = new Condition();
      const task = createTask(
        withLock(cond, function* () {
          try {
            yield* cond.waitFor(() => wake);
          } catch (e) {
            expect(e).toBeInstanceOf(CancelledError);
            raised = e;
            throw e;
          }
        }),
      );
      yield* sleep(0);
      yield* cond.acquire();
      wake = true;
      cond.notify();
      yield* sleep(0);
      // the task now waits to re-acquire the lock: cancel it there
      task.cancel("foo");
      cond.release();
      let err: unknown = null;
      try {
        yield* task;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CancelledError);
      expect((err as Error).message).toBe("foo");
      expect(err).toBe(raised);
    });
  });

  for (const [name, settle] of [
    ["test_cancelled_wakeup", false],
    ["test_cancelled_wakeup_relock", true],
  ] as const) {
    it(`a task cancelled as it is notified does not lose the notification (test_locks.ConditionTests.${name})`, () => {
      rs(function* () {
        const condition = new Condition();
        let state = 0;
        function* consumer() {
          yield* withLock(condition, function* () {
            for (;;) {
              yield* condition.waitFor(() => state !== 0);
              if (state < 0) return;
              state -= 1;
            }
          });
        }
        const c = [createTask(consumer()), createTask(consumer())];
        yield* sleep(0);
        yield* withLock(condition, function* () {
          state += 1;
          condition.notify(1);
          // relock variant: let the target wake up and settle on re-acquiring the lock
          if (settle) yield* sleep(0);
          c[0].cancel(); // cancelled while awaiting the wake-up (or the lock)
          // if the notify were lost, nobody would consume the item
          yield* withinTimeout(0.01, condition.waitFor(() => state === 0));
          expect(state).toBe(0);
          state = -1;
          condition.notifyAll();
        });
        yield* c[1];
        expect(c[0].cancelled()).toBe(true);
      });
    });
  }

  it("arguments are checked at the call: waitFor(non-function), notify(non-number), notify(NaN), Condition(non-lock) (SPEC: eager argument checks)", () => {
    rs(function* () {
      const cond = new Condition();
      expectThrows(() => cond.waitFor(42 as never), TypeError, /predicate must be a function/);
      yield* cond.acquire();
      expectThrows(() => cond.notify("2" as never), TypeError, /notify\(n\)/);
      expectThrows(() => cond.notify(NaN), ValueError, /NaN/);
      cond.notify(0); // no waiter: fine
      cond.notify(-1);
      cond.release();
      expectThrows(() => new Condition({} as never), TypeError, /lock must be a Lock/);
      expect(new Condition(null).locked()).toBe(false);
      // the loop is unharmed
      yield* sleep(1);
      expect(getRunningLoop().time()).toBe(1);
    });
  });

  it("a waiter that fails after being notified passes the notification on (asyncio Condition.wait's `except BaseException: self._notify(1)`)", () => {
    const record: string[] = [];
    rs(function* () {
      const cond = new Condition();
      function* w(name: string) {
        yield* withLock(cond, function* () {
          try {
            yield* cond.wait();
            record.push(`${name} notified`);
          } catch (e) {
            record.push(`${name} cancelled`);
            throw e;
          }
        });
      }
      const a = createTask(w("a"));
      const b = createTask(w("b"));
      yield* sleep(0);
      yield* cond.acquire();
      cond.notify(1); // a is chosen ...
      a.cancel(); // ... and cancelled: b must get the notification instead
      cond.release();
      yield* sleep(0);
      yield* sleep(0);
      yield* sleep(0);
      expect(b.done()).toBe(true);
      expect(a.cancelled()).toBe(true);
    });
    expect(record).toEqual(["a cancelled", "b notified"]);
  });
});
