// waitFor() — ported from CPython 3.13's test_waitfor.py (AsyncioWaitForTest.*,
// WaitForShieldTests.*), plus the 3.12+ semantics (waitFor is `yield* aw` inside timeout()) and
// the SPEC's eager argument checks.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  TimeoutError,
  ValueError,
  createTask,
  currentTask,
  getRunningLoop,
  runSync,
  sleep,
  type Coro,
} from "../../src/index.ts";
import { shield } from "../../src/index.ts";
import { wait, waitFor } from "../../src/index.ts";
import { CORES, expectBadArgument, expectFails, expectThrows, makeLoop, runOnce } from "../helpers.ts";

const EPSILON = 0.0001;

class FooException extends Error {}

/** Run `fn` and return what it threw (fails the test if it did not throw). */
function* caught(fn: () => Coro<unknown>): Coro<unknown> {
  try {
    yield* fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

/** test_waitfor.SlowTask: runs for TASK_TIMEOUT seconds of loop time, ignoring cancellations. */
class SlowTask {
  static readonly TASK_TIMEOUT = 0.2;
  exited = false;

  *run(): Coro<void> {
    const loop = getRunningLoop();
    const exitAt = loop.time() + SlowTask.TASK_TIMEOUT;
    for (;;) {
      const toSleep = exitAt - loop.time();
      if (toSleep <= 0) break;
      try {
        yield* sleep(toSleep);
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
      }
    }
    this.exited = true;
  }
}

describe.each(CORES)("%s core", (core) => {
  const go = <T>(main: () => Coro<T>): T => runSync(main, { core });

  it("cancelling a waitFor whose coroutine ignores cancellation still lets it finish (test_waitfor.AsyncioWaitForTest.test_asyncio_wait_for_cancelled)", () => {
    go(function* () {
      const t = new SlowTask();
      const waitForTask = createTask(waitFor(t.run(), SlowTask.TASK_TIMEOUT * 2));
      yield* sleep(0);
      waitForTask.cancel();
      yield* wait(new Set([waitForTask]));
      expect(t.exited).toBe(true);
    });
  });

  it("a timed-out coroutine that ignores cancellation is waited for until it exits (test_waitfor.AsyncioWaitForTest.test_asyncio_wait_for_timeout)", () => {
    go(function* () {
      const t = new SlowTask();
      try {
        yield* waitFor(t.run(), SlowTask.TASK_TIMEOUT / 2);
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
      }
      expect(t.exited).toBe(true);
      expect(getRunningLoop().time()).toBeCloseTo(SlowTask.TASK_TIMEOUT, 9);
    });
  });

  it("timeout 0 with a done future returns its result (test_waitfor.AsyncioWaitForTest.test_wait_for_timeout_less_then_0_or_0_future_done)", () => {
    go(function* () {
      const fut = getRunningLoop().createFuture<string>();
      fut.setResult("done");
      const ret = yield* waitFor(fut, 0);
      expect(ret).toBe("done");
      expect(fut.done()).toBe(true);
    });
  });

  it("timeout 0 never starts a coroutine (test_waitfor.AsyncioWaitForTest.test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started)", () => {
    go(function* () {
      let fooStarted = false;
      function* foo() {
        fooStarted = true;
      }
      const err = yield* caught(() => waitFor(foo(), 0));
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).cause).toBeInstanceOf(CancelledError);
      expect(fooStarted).toBe(false);
    });
  });

  for (const timeoutValue of [0, -1]) {
    it(`timeout ${timeoutValue} cancels a running task and waits for it (test_waitfor.AsyncioWaitForTest.test_wait_for_timeout_less_then_0_or_0)`, () => {
      go(function* () {
        const loop = getRunningLoop();
        let fooRunning: boolean | null = null;
        const started = loop.createFuture();
        function* foo() {
          fooRunning = true;
          started.setResult(null);
          try {
            yield* sleep(10);
          } finally {
            fooRunning = false;
          }
          return "done";
        }
        const fut = createTask(foo());
        yield* started;
        const err = yield* caught(() => waitFor(fut, timeoutValue));
        expect(err).toBeInstanceOf(TimeoutError);
        expect(fut.done()).toBe(true);
        expect(fut.cancelled()).toBe(true); // cancelled due to the timeout
        expect(fooRunning).toBe(false);
        expect(loop.time()).toBe(0);
      });
    });
  }

  it("a timeout cancels the task and waits for it (test_waitfor.AsyncioWaitForTest.test_wait_for)", () => {
    go(function* () {
      let fooRunning: boolean | null = null;
      function* foo() {
        fooRunning = true;
        try {
          yield* sleep(300);
        } finally {
          fooRunning = false;
        }
        return "done";
      }
      const fut = createTask(foo());
      const err = yield* caught(() => waitFor(fut, 0.1));
      expect(err).toBeInstanceOf(TimeoutError);
      expect(fut.done()).toBe(true);
      expect(fut.cancelled()).toBe(true);
      expect(fooRunning).toBe(false);
      expect(getRunningLoop().time()).toBeCloseTo(0.1, 9);
    });
  });

  it("timeout null waits as long as it takes (test_waitfor.AsyncioWaitForTest.test_wait_for_blocking)", () => {
    const out = go(function* () {
      function* coro() {
        yield* sleep(3600);
        return "done";
      }
      return yield* waitFor(coro(), null);
    });
    expect(out).toBe("done");
  });

  it("a result that arrives before the timeout wins (test_waitfor.AsyncioWaitForTest.test_wait_for_race_condition)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const fut = loop.createFuture<string>();
      const task = waitFor(fut, 0.2);
      loop.callSoon(() => fut.setResult("ok"));
      const res = yield* task;
      expect(res).toBe("ok");
    });
  });

  it("a result set just before the deadline is returned (test_waitfor.AsyncioWaitForTest.test_wait_for_race_condition, 3.11 form)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const fut = loop.createFuture<string>();
      const task = waitFor(fut, 0.2);
      loop.callLater(0.1, () => fut.setResult("ok"));
      expect(yield* task).toBe("ok");
      expect(loop.time()).toBeCloseTo(0.1, 9);
    });
  });

  it("a coroutine that catches the cancellation and returns a value returns it (test_waitfor.AsyncioWaitForTest.test_wait_for_cancellation_race_condition)", () => {
    go(function* () {
      function* inner() {
        const err = yield* caught(() => sleep(1));
        expect(err).toBeInstanceOf(CancelledError);
        return 1;
      }
      const result = yield* waitFor(inner(), 0.01);
      expect(result).toBe(1);
      expect(currentTask()!.cancelling()).toBe(0);
    });
  });

  it("waitFor waits until the cancelled task really ends (test_waitfor.AsyncioWaitForTest.test_wait_for_waits_for_task_cancellation)", () => {
    go(function* () {
      let taskDone = false;
      function* inner() {
        try {
          yield* sleep(10);
        } catch (e) {
          if (e instanceof CancelledError) yield* sleep(EPSILON);
          throw e;
        } finally {
          taskDone = true;
        }
      }
      const innerTask = createTask(inner());
      const err = yield* caught(() => waitFor(innerTask, EPSILON));
      expect(err).toBeInstanceOf(TimeoutError);
      expect(taskDone).toBe(true);
      // CPython checks __context__; JS has no implicit context, the CancelledError is the cause
      expect((err as Error).cause).toBeInstanceOf(CancelledError);
    });
  });

  it("timeout 0 waits until the cancelled task really ends (test_waitfor.AsyncioWaitForTest.test_wait_for_waits_for_task_cancellation_w_timeout_0)", () => {
    go(function* () {
      let taskDone = false;
      function* foo() {
        function* inner() {
          try {
            yield* sleep(10);
          } catch (e) {
            if (e instanceof CancelledError) yield* sleep(EPSILON);
            throw e;
          } finally {
            taskDone = true;
          }
        }
        const innerTask = createTask(inner());
        yield* sleep(EPSILON);
        yield* waitFor(innerTask, 0);
      }
      const err = yield* caught(() => foo());
      expect(err).toBeInstanceOf(TimeoutError);
      expect(taskDone).toBe(true);
      expect((err as Error).cause).toBeInstanceOf(CancelledError);
    });
  });

  it("an error raised by the task while being cancelled is raised instead (test_waitfor.AsyncioWaitForTest.test_wait_for_reraises_exception_during_cancellation)", () => {
    go(function* () {
      function* foo() {
        function* inner() {
          try {
            yield* sleep(0.2);
          } finally {
            // eslint-disable-next-line no-unsafe-finally
            throw new FooException("foo");
          }
        }
        const innerTask = createTask(inner());
        yield* waitFor(innerTask, EPSILON);
      }
      const err = yield* caught(() => foo());
      expect(err).toBeInstanceOf(FooException);
    });
  });

  it("an error raised by the task while cancelled with timeout 0 is raised instead (test_waitfor.AsyncioWaitForTest.test_wait_for_reraises_exception_during_cancellation, timeout 0)", () => {
    go(function* () {
      function* inner() {
        try {
          yield* sleep(0.2);
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw new FooException("foo");
        }
      }
      const innerTask = createTask(inner());
      yield* sleep(0);
      const err = yield* caught(() => waitFor(innerTask, 0));
      expect(err).toBeInstanceOf(FooException);
    });
  });

  for (const [name, timeoutValue] of [
    ["test_cancel_blocking_wait_for", null],
    ["test_cancel_wait_for", 60.0],
  ] as const) {
    it(`cancelling the waitFor task cancels the awaited task (test_waitfor.AsyncioWaitForTest.${name})`, () => {
      go(function* () {
        const loop = getRunningLoop();
        function* blockingCoroutine() {
          const fut = loop.createFuture();
          yield* fut; // never set
        }
        const task = createTask(blockingCoroutine());
        const waiting = createTask(waitFor(task, timeoutValue));
        loop.callSoon(() => waiting.cancel());
        const err = yield* caught(function* () {
          yield* waiting;
        });
        expect(err).toBeInstanceOf(CancelledError);
        // Python issue #23219: cancelling the wait must also cancel the task
        expect(task.cancelled()).toBe(true);
        expect(loop.time()).toBe(0);
      });
    });
  }

  it("a value returned instead of honouring the cancellation is returned (test_waitfor.AsyncioWaitForTest.test_wait_for_cancel_suppressed)", () => {
    const out = go(function* () {
      function* return42() {
        try {
          yield* sleep(10);
        } catch (e) {
          if (e instanceof CancelledError) return 42;
          throw e;
        }
        return 0;
      }
      return yield* waitFor(return42(), 0.1);
    });
    expect(out).toBe(42);
  });

  it("a cancellation right after waitFor returned is not lost (test_waitfor.AsyncioWaitForTest.test_wait_for_issue86296)", () => {
    go(function* () {
      function* inner() {
        return "done";
      }
      const innerTask = createTask(inner());
      let reachedEnd = false;
      function* waitForCoro() {
        yield* waitFor(innerTask, 100);
        yield* sleep(1);
        reachedEnd = true;
      }
      const task = createTask(waitForCoro());
      expect(task.done()).toBe(false);
      yield* sleep(0); // run the task
      task.cancel();
      const err = yield* caught(function* () {
        yield* task;
      });
      expect(err).toBeInstanceOf(CancelledError);
      expect(innerTask.done()).toBe(true);
      expect(yield* innerTask).toBe("done");
      expect(reachedEnd).toBe(false);
    });
  });

  it("timeout 0 on a shield cancels the shield, not the task (test_waitfor.WaitForShieldTests.test_zero_timeout)", () => {
    go(function* () {
      function* coro() {
        yield* sleep(0.01);
        return "done";
      }
      const task = createTask(coro());
      const shielded = shield(task);
      const err = yield* caught(() => waitFor(shielded, 0));
      expect(err).toBeInstanceOf(TimeoutError);
      // the task is running in the background
      expect(task.done()).toBe(false);
      expect(task.cancelled()).toBe(false);
      expect(shielded.cancelled()).toBe(true);
      yield* sleep(0.1);
      expect(task.done()).toBe(true);
    });
  });

  it("timeout null on a shield runs it to completion (test_waitfor.WaitForShieldTests.test_none_timeout)", () => {
    go(function* () {
      function* coro() {
        yield* sleep(0.1);
        return "done";
      }
      const task = createTask(coro());
      yield* waitFor(shield(task), null);
      expect(task.done()).toBe(true);
      expect(yield* task).toBe("done");
    });
  });

  it("a shielded task survives the timeout (test_waitfor.WaitForShieldTests.test_shielded_timeout)", () => {
    go(function* () {
      function* coro() {
        yield* sleep(0.1);
        return "done";
      }
      const task = createTask(coro());
      const err = yield* caught(() => waitFor(shield(task), 0.01));
      expect(err).toBeInstanceOf(TimeoutError);
      expect(task.done()).toBe(false);
      expect(task.cancelled()).toBe(false);
      expect(yield* task).toBe("done");
    });
  });

  // ---- wasyncio contract ------------------------------------------------------------------------

  it("arguments are checked at the call and bad ones never disturb the loop (SPEC Details: waitFor(aw, NaN) throws at the call)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callSoon(() => record.push("queued"));
    let started = false;
    const coro = (function* () {
      started = true;
    })();
    expectBadArgument(() => waitFor(coro, NaN), "timeout", ValueError);
    expectThrows(() => waitFor(coro, NaN), ValueError, /timeout/);
    expectThrows(() => waitFor(coro, "1" as never), TypeError, /timeout/);
    expectThrows(() => waitFor(42 as never, 1), TypeError, /aw must be a coroutine, a Task or a Future/);
    expectThrows(() => waitFor((function* () {}) as never, 1), TypeError, /aw/);
    await runOnce(loop);
    expect(record).toEqual(["queued"]);
    expect(started).toBe(false);
    expect(await loop.runUntilComplete(waitFor(sleep(0.5, "fine"), 1))).toBe("fine");
  });

  it("waitFor is lazy: the coroutine starts and the clock counts only when driven (SPEC Details: operations are lazy)", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      function* job() {
        record.push(`job starts at ${loop.time()}`);
        yield* sleep(1.5);
        return "in time";
      }
      const coro = waitFor(job(), 2);
      yield* sleep(5);
      record.push("driving");
      record.push(yield* coro);
      return record;
    });
    expect(out).toEqual(["driving", "job starts at 5", "in time"]);
  });

  it("a coroutine runs inline in the calling task, as await does in 3.12+", () => {
    const out = go(function* () {
      const me = currentTask();
      let inside: unknown = null;
      function* job() {
        inside = currentTask();
        yield* sleep(1);
        return 7;
      }
      const v = yield* waitFor(job(), 5);
      return [v, inside === me];
    });
    expect(out).toEqual([7, true]);
  });

  it("undefined is no timeout, like null", () => {
    const out = go(function* () {
      return yield* waitFor(sleep(1000, "late"), undefined);
    });
    expect(out).toBe("late");
  });

  it("an already-done future returns at once, or raises its exception, whatever the timeout", () => {
    go(function* () {
      const loop = getRunningLoop();
      const ok = loop.createFuture<number>();
      ok.setResult(5);
      const bad = loop.createFuture<number>();
      const boom = new FooException("boom");
      bad.setException(boom);
      expect(yield* waitFor(ok, 10)).toBe(5);
      expect(yield* waitFor(ok, 0)).toBe(5);
      expect(yield* caught(() => waitFor(bad, 10))).toBe(boom);
      expect(yield* caught(() => waitFor(bad, -1))).toBe(boom);
      const cancelled = loop.createFuture<number>();
      cancelled.cancel("gone");
      const err = yield* caught(() => waitFor(cancelled, 0));
      expect(err).toBeInstanceOf(CancelledError);
      expect((err as Error).message).toBe("gone");
      expect(loop.time()).toBe(0);
    });
  });

  it("the TimeoutError's cause is the CancelledError, and the message names waitFor", () => {
    go(function* () {
      const loop = getRunningLoop();
      const fut = loop.createFuture();
      const err = yield* caught(() => waitFor(fut, 0.5));
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).cause).toBeInstanceOf(CancelledError);
      expect((err as Error).message).toMatch(/waitFor\(aw, 0\.5\) timed out/);
      expect(fut.cancelled()).toBe(true);
      expect(currentTask()!.cancelling()).toBe(0);
    });
  });

  it("an outer cancellation arriving with the timeout is a CancelledError, never a TimeoutError", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const fut = loop.createFuture();
      const waiter = createTask(waitFor(fut, 1));
      yield* sleep(0);
      loop.callLater(1, () => waiter.cancel()); // same deadline, scheduled after the timeout's timer
      const err = yield* caught(function* () {
        yield* waiter;
      });
      return [(err as Error).name, waiter.cancelled(), fut.cancelled()];
    });
    expect(out).toEqual(["CancelledError", true, true]);
  });

  it("an outer cancellation during timeout 0's cancel-and-wait is propagated", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const stubborn = createTask(
        (function* () {
          try {
            yield* sleep(10);
          } catch {
            record.push("stubborn cancelled");
            yield* sleep(5); // takes its time to stop
          }
          return "stopped";
        })(),
      );
      yield* sleep(0);
      const waiter = createTask(waitFor(stubborn, 0));
      loop.callLater(1, () => waiter.cancel());
      const err = yield* caught(function* () {
        yield* waiter;
      });
      record.push(`waiter: ${(err as Error).name} at ${loop.time()}`);
      record.push(`stubborn: ${yield* stubborn} at ${loop.time()}`);
      return record;
    });
    expect(out).toEqual(["stubborn cancelled", "waiter: CancelledError at 1", "stubborn: stopped at 5"]);
  });

  it("waitFor can be handed to createTask and awaited from plain async code", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask(waitFor(sleep(3, "x"), 1));
    await expectFails(() => loop.runUntilComplete(t), TimeoutError);
    expect(loop.time()).toBe(1);
    const u = loop.createTask(waitFor(sleep(1, "y"), 3));
    expect(await loop.runUntilComplete(u)).toBe("y");
  });
});
