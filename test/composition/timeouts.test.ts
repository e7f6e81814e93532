// timeout() / timeoutAt() / Timeout — ported from CPython 3.13's test_timeouts.py
// (TimeoutTests.*), plus the wasyncio form's own contract: the body runs inline in the calling
// task, arguments are checked at the call, and the coroutine is lazy.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  TimeoutError,
  ValueError,
  createTask,
  currentTask,
  getRunningLoop,
  runSync,
  sleep,
  type Coro,
} from "../../src/index.ts";
import { Timeout, timeout, timeoutAt } from "../../src/index.ts";
import { CORES, expectBadArgument, expectFails, expectThrows, makeLoop, runOnce } from "../helpers.ts";

class KeyError extends Error {}
class ZeroDivisionError extends Error {}

/** Run `fn` and return what it threw (fails the test if it did not throw). */
function* caught(fn: () => Coro<unknown>): Coro<unknown> {
  try {
    yield* fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

describe.each(CORES)("%s core", (core) => {
  const go = <T>(main: () => Coro<T>): T => runSync(main, { core });

  it("a deadline that passes raises TimeoutError and the Timeout is expired (test_timeouts.TimeoutTests.test_timeout_basic)", () => {
    go(function* () {
      let cm: Timeout | null = null;
      const err = yield* caught(() =>
        timeout(0.01, function* (t) {
          cm = t;
          yield* sleep(10);
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(cm!.expired()).toBe(true);
      expect(getRunningLoop().time()).toBeCloseTo(0.01, 9);
    });
  });

  it("timeoutAt uses an absolute deadline and when() returns it (test_timeouts.TimeoutTests.test_timeout_at_basic)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const deadline = loop.time() + 0.01;
      let cm: Timeout | null = null;
      const err = yield* caught(() =>
        timeoutAt(deadline, function* (t) {
          cm = t;
          yield* sleep(10);
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(cm!.expired()).toBe(true);
      expect(cm!.when()).toBe(deadline);
    });
  });

  it("nested timeouts with one deadline: only the outermost raises TimeoutError (test_timeouts.TimeoutTests.test_nested_timeouts)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const deadline = loop.time() + 0.01;
      let cm1: Timeout | null = null;
      let cm2: Timeout | null = null;
      const err = yield* caught(() =>
        timeoutAt(deadline, function* (t1) {
          cm1 = t1;
          try {
            yield* timeoutAt(deadline, function* (t2) {
              cm2 = t2;
              yield* sleep(10);
            });
          } catch (e) {
            record.push(e instanceof CancelledError ? "inner: CancelledError" : `inner: ${String(e)}`);
            throw e;
          }
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(record).toEqual(["inner: CancelledError"]);
      expect(cm1!.expired()).toBe(true);
      expect(cm2!.expired()).toBe(true);
      expect(currentTask()!.cancelling()).toBe(0);
    });
  });

  it("the body sees CancelledError at its yield* when the deadline passes (test_timeouts.TimeoutTests.test_waiter_cancelled)", () => {
    go(function* () {
      const record: string[] = [];
      const err = yield* caught(() =>
        timeout(0.01, function* () {
          try {
            yield* sleep(10);
          } catch (e) {
            record.push(e instanceof CancelledError ? "cancelled" : "other");
            throw e;
          } finally {
            record.push("finally");
          }
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(record).toEqual(["cancelled", "finally"]);
    });
  });

  it("a body that ends in time is not expired and keeps its deadline (test_timeouts.TimeoutTests.test_timeout_not_called)", () => {
    go(function* () {
      const loop = getRunningLoop();
      let cm: Timeout | null = null;
      yield* timeout(10, function* (t) {
        cm = t;
        yield* sleep(0.01);
      });
      const t1 = loop.time();
      expect(cm!.expired()).toBe(false);
      expect(cm!.when()!).toBeGreaterThan(t1);
      expect(String(cm)).toBe("<Timeout [finished]>");
    });
  });

  it("timeout(null) never fires and when() is null (test_timeouts.TimeoutTests.test_timeout_disabled)", () => {
    go(function* () {
      let cm: Timeout | null = null;
      yield* timeout(null, function* (t) {
        cm = t;
        yield* sleep(0.01);
      });
      expect(cm!.expired()).toBe(false);
      expect(cm!.when()).toBeNull();
    });
  });

  it("timeoutAt(null) never fires and when() is null (test_timeouts.TimeoutTests.test_timeout_at_disabled)", () => {
    go(function* () {
      let cm: Timeout | null = null;
      yield* timeoutAt(null, function* (t) {
        cm = t;
        yield* sleep(0.01);
      });
      expect(cm!.expired()).toBe(false);
      expect(cm!.when()).toBeNull();
    });
  });

  it("undefined is no deadline too (Python's None is null or undefined)", () => {
    const out = go(function* () {
      let cm: Timeout | null = null;
      const v = yield* timeout(undefined, function* (t) {
        cm = t;
        yield* sleep(1000);
        return "slow but fine";
      });
      return [v, cm!.when(), cm!.expired()];
    });
    expect(out).toEqual(["slow but fine", null, false]);
  });

  it("timeout(0) fires at once (test_timeouts.TimeoutTests.test_timeout_zero)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const t0 = loop.time();
      let cm: Timeout | null = null;
      const err = yield* caught(() =>
        timeout(0, function* (t) {
          cm = t;
          yield* sleep(10);
        }),
      );
      const t1 = loop.time();
      expect(err).toBeInstanceOf(TimeoutError);
      expect(cm!.expired()).toBe(true);
      expect(t0 <= cm!.when()! && cm!.when()! <= t1).toBe(true);
      expect(t1).toBe(t0); // the ten-second sleep never ran
    });
  });

  it("timeout(0) interrupts even sleep(0) (test_timeouts.TimeoutTests.test_timeout_zero_sleep_zero)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const t0 = loop.time();
      let cm: Timeout | null = null;
      const err = yield* caught(() =>
        timeout(0, function* (t) {
          cm = t;
          yield* sleep(0);
          yield* sleep(0);
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(cm!.expired()).toBe(true);
      expect(t0 <= cm!.when()! && cm!.when()! <= loop.time()).toBe(true);
    });
  });

  it("a deadline in the past fires at the next iteration (test_timeouts.TimeoutTests.test_timeout_in_the_past_sleep_zero)", () => {
    go(function* () {
      const loop = getRunningLoop();
      yield* sleep(20);
      const t0 = loop.time();
      let cm: Timeout | null = null;
      const err = yield* caught(() =>
        timeout(-11, function* (t) {
          cm = t;
          yield* sleep(0);
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(cm!.expired()).toBe(true);
      expect(cm!.when()).toBe(t0 - 11);
    });
  });

  it("an exception from the body passes through untouched (test_timeouts.TimeoutTests.test_foreign_exception_passed)", () => {
    go(function* () {
      let cm: Timeout | null = null;
      const boom = new KeyError("k");
      const err = yield* caught(() =>
        timeout(0.01, function* (t) {
          cm = t;
          throw boom;
        }),
      );
      expect(err).toBe(boom);
      expect(cm!.expired()).toBe(false);
    });
  });

  it("a body failing, then cancelled in its finally, ends in TimeoutError caused by the CancelledError (test_timeouts.TimeoutTests.test_timeout_exception_context)", () => {
    go(function* () {
      const err = yield* caught(() =>
        timeout(0.01, function* () {
          try {
            throw new ZeroDivisionError("1/0");
          } finally {
            yield* sleep(1);
          }
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).cause).toBeInstanceOf(CancelledError);
    });
  });

  it("an error raised while handling the timeout's cancellation wins (test_timeouts.TimeoutTests.test_foreign_exception_on_timeout)", () => {
    go(function* () {
      function* crash() {
        try {
          yield* sleep(1);
        } finally {
          throw new ZeroDivisionError("1/0");
        }
      }
      let cm: Timeout | null = null;
      const err = yield* caught(() =>
        timeout(0.01, function* (t) {
          cm = t;
          yield* crash();
        }),
      );
      expect(err).toBeInstanceOf(ZeroDivisionError);
      expect(cm!.expired()).toBe(true);
      expect(currentTask()!.cancelling()).toBe(0); // the timeout withdrew its cancellation anyway
    });
  });

  it("the last error raised in nested finally blocks wins (test_timeouts.TimeoutTests.test_foreign_exception_on_timeout_2)", () => {
    go(function* () {
      const err = yield* caught(() =>
        timeout(0.01, function* () {
          try {
            try {
              throw new ValueError("v");
            } finally {
              yield* sleep(1);
            }
          } finally {
            try {
              throw new KeyError("k");
            } finally {
              // eslint-disable-next-line no-unsafe-finally
              throw new ZeroDivisionError("1/0");
            }
          }
        }),
      );
      expect(err).toBeInstanceOf(ZeroDivisionError);
    });
  });

  it("a foreign cancellation before expiry stays a CancelledError (test_timeouts.TimeoutTests.test_foreign_cancel_doesnt_timeout_if_not_expired)", () => {
    const record: unknown[] = [];
    const loop = makeLoop(core);
    let cm: Timeout | null = null;
    const task = loop.createTask(
      (function* () {
        yield* timeout(10, function* (t) {
          cm = t;
          currentTask()!.cancel();
          yield* sleep(10);
        });
      })(),
    );
    return expectFails(() => loop.runUntilComplete(task), CancelledError).then(() => {
      record.push(task.cancelled(), cm!.expired(), String(cm));
      expect(record).toEqual([true, false, "<Timeout [finished]>"]);
    });
  });

  it("the task using a timeout is not cancelled by it (test_timeouts.TimeoutTests.test_outer_task_is_not_cancelled)", () => {
    go(function* () {
      const task = createTask(
        (function* () {
          const err = yield* caught(() =>
            timeout(0.001, function* () {
              yield* sleep(10);
            }),
          );
          expect(err).toBeInstanceOf(TimeoutError);
          return currentTask()!.cancelling();
        })(),
      );
      const cancelling = yield* task;
      expect(cancelling).toBe(0);
      expect(task.cancelled()).toBe(false);
      expect(task.done()).toBe(true);
    });
  });

  it("an outer deadline that passes first cancels an inner timeout without a TimeoutError there (test_timeouts.TimeoutTests.test_nested_timeouts_concurrent)", () => {
    go(function* () {
      const record: string[] = [];
      const err = yield* caught(() =>
        timeout(0.002, function* () {
          try {
            yield* timeout(0.1, function* () {
              yield* sleep(1);
            });
          } catch (e) {
            record.push((e as Error).name);
            throw e;
          }
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(record).toEqual(["CancelledError"]);
      expect(getRunningLoop().time()).toBeCloseTo(0.002, 9);
    });
  });

  it("both deadlines due in one iteration, inner first: the outer one still raises (test_timeouts.TimeoutTests.test_nested_timeouts_loop_busy)", () => {
    // CPython blocks the loop with time.sleep() so both timers are due together; here both
    // are due at the same instant and the inner one was scheduled first (the outer deadline is
    // moved onto it afterwards), which is the order a busy loop produces.
    go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const t0 = loop.time();
      const err = yield* caught(() =>
        timeout(null, function* (outer) {
          try {
            yield* timeout(0.1, function* () {
              outer.reschedule(loop.time() + 0.1);
              yield* sleep(1);
            });
          } catch (e) {
            record.push(`inner: ${(e as Error).name}`);
            if (!(e instanceof TimeoutError)) throw e;
          }
          yield* sleep(10); // interrupted by the outer timeout, if it did not fire yet
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(record).toEqual(["inner: CancelledError"]);
      expect(loop.time() - t0).toBeCloseTo(0.1, 9);
      expect(currentTask()!.cancelling()).toBe(0);
    });
  });

  it("an inner timeout that expires is handled inside; the outer one interrupts later work (test_timeouts.TimeoutTests.test_nested_timeouts_loop_busy)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const err = yield* caught(() =>
        timeout(0.1, function* () {
          try {
            yield* timeout(0.01, function* () {
              yield* sleep(1);
            });
          } catch (e) {
            record.push(`inner: ${(e as Error).name} at ${loop.time()}`);
          }
          yield* sleep(10);
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(record).toEqual(["inner: TimeoutError at 0.01"]);
      expect(loop.time()).toBeCloseTo(0.1, 9);
    });
  });

  it("reschedule moves and disables the deadline from outside the body (test_timeouts.TimeoutTests.test_reschedule)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const fut = loop.createFuture<Timeout>();
      const deadline1 = loop.time() + 10;
      const deadline2 = deadline1 + 20;
      const task = createTask(
        (function* () {
          yield* timeoutAt(deadline1, function* (cm) {
            fut.setResult(cm);
            yield* sleep(50);
          });
        })(),
      );
      const cm = yield* fut;
      expect(cm.when()).toBe(deadline1);
      cm.reschedule(deadline2);
      expect(cm.when()).toBe(deadline2);
      cm.reschedule(null);
      expect(cm.when()).toBeNull();
      task.cancel();
      const err = yield* caught(function* () {
        yield* task;
      });
      expect(err).toBeInstanceOf(CancelledError);
      expect(cm.expired()).toBe(false);
    });
  });

  it("reschedule earlier, later and into the past changes when the timeout fires", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const run = (label: string, move: (t: Timeout) => void) =>
        caught(() =>
          timeout(10, function* (t) {
            move(t);
            yield* sleep(100);
          }),
        );
      let start = loop.time();
      let err = yield* run("earlier", (t) => t.reschedule(loop.time() + 2));
      record.push(`earlier: ${(err as Error).name} after ${loop.time() - start}`);
      start = loop.time();
      err = yield* run("later", (t) => t.reschedule(loop.time() + 30));
      record.push(`later: ${(err as Error).name} after ${loop.time() - start}`);
      start = loop.time();
      err = yield* run("past", (t) => t.reschedule(loop.time() - 5));
      record.push(`past: ${(err as Error).name} after ${loop.time() - start}`);
      return record;
    });
    expect(out).toEqual(["earlier: TimeoutError after 2", "later: TimeoutError after 30", "past: TimeoutError after 0"]);
  });

  it("repr while active shows the deadline (test_timeouts.TimeoutTests.test_repr_active)", () => {
    go(function* () {
      yield* sleep(2.5);
      yield* timeout(10, function* (cm) {
        expect(String(cm)).toBe("<Timeout [active] when=12.5>");
      });
      yield* timeout(1 / 3, function* (cm) {
        expect(String(cm)).toBe("<Timeout [active] when=2.833>");
      });
    });
  });

  it("repr after expiry (test_timeouts.TimeoutTests.test_repr_expired)", () => {
    go(function* () {
      let cm: Timeout | null = null;
      yield* caught(() =>
        timeout(0.01, function* (t) {
          cm = t;
          yield* sleep(10);
        }),
      );
      expect(String(cm)).toBe("<Timeout [expired]>");
    });
  });

  it("repr after the body finished (test_timeouts.TimeoutTests.test_repr_finished)", () => {
    go(function* () {
      let cm: Timeout | null = null;
      yield* timeout(10, function* (t) {
        cm = t;
        yield* sleep(0);
      });
      expect(String(cm)).toBe("<Timeout [finished]>");
    });
  });

  it("repr of a disabled timeout (test_timeouts.TimeoutTests.test_repr_disabled)", () => {
    go(function* () {
      yield* timeout(null, function* (cm) {
        expect(String(cm)).toBe("<Timeout [active] when=null>");
      });
      expect(String(new Timeout(5))).toBe("<Timeout [created]>");
    });
  });

  it("a timeout inside the finally of an expired one works on its own (test_timeouts.TimeoutTests.test_nested_timeout_in_finally)", () => {
    go(function* () {
      const record: string[] = [];
      const err = yield* caught(() =>
        timeout(0.01, function* () {
          try {
            yield* sleep(1);
          } finally {
            const inner = yield* caught(() =>
              timeout(0.01, function* () {
                yield* sleep(10);
              }),
            );
            record.push(`inner: ${(inner as Error).name}`);
          }
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect(record).toEqual(["inner: TimeoutError"]);
    });
  });

  it("a timeout after a swallowed cancellation still raises TimeoutError (test_timeouts.TimeoutTests.test_timeout_after_cancellation)", () => {
    go(function* () {
      const record: string[] = [];
      try {
        currentTask()!.cancel();
        yield* sleep(1); // work which will be cancelled
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        record.push("swallowed");
      } finally {
        const err = yield* caught(() =>
          timeout(0, function* () {
            yield* sleep(1); // some cleanup
          }),
        );
        record.push((err as Error).name);
      }
      expect(record).toEqual(["swallowed", "TimeoutError"]);
      expect(currentTask()!.cancelling()).toBe(1); // the first request was never withdrawn
    });
  });

  it("a new cancellation inside a timeout after a swallowed one is not turned into TimeoutError (test_timeouts.TimeoutTests.test_cancel_in_timeout_after_cancellation)", () => {
    go(function* () {
      const record: string[] = [];
      try {
        currentTask()!.cancel();
        yield* sleep(1);
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
      } finally {
        const err = yield* caught(() =>
          timeout(1.0, function* () {
            currentTask()!.cancel();
            yield* sleep(2); // some cleanup
          }),
        );
        record.push((err as Error).name);
      }
      expect(record).toEqual(["CancelledError"]);
    });
  });

  it("TimeoutError's cause is the CancelledError it replaced (test_timeouts.TimeoutTests.test_timeout_exception_cause)", () => {
    go(function* () {
      let seen: unknown = null;
      const err = yield* caught(() =>
        timeout(0, function* () {
          try {
            yield* sleep(1);
          } catch (e) {
            seen = e;
            throw e;
          }
        }),
      );
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).cause).toBeInstanceOf(CancelledError);
      expect((err as Error).cause).toBe(seen); // the very instance the body saw
      expect((err as Error).message).toMatch(/timeout\(0\) timed out/);
    });
  });

  it("entering a Timeout while it is active is a RuntimeError (test_timeouts.TimeoutTests.test_timeout_already_entered)", () => {
    go(function* () {
      yield* timeout(0.01, function* (cm) {
        const err = yield* caught(() => cm.run(function* () {}));
        expect(err).toBeInstanceOf(RuntimeError);
        expect((err as Error).message).toMatch(/has already been entered/);
      });
    });
  });

  it("entering a Timeout a second time is a RuntimeError (test_timeouts.TimeoutTests.test_timeout_double_enter)", () => {
    go(function* () {
      let cm: Timeout | null = null;
      yield* timeout(0.01, function* (t) {
        cm = t;
      });
      const ran: string[] = [];
      const err = yield* caught(() =>
        cm!.run(function* () {
          ran.push("body");
        }),
      );
      expect(err).toBeInstanceOf(RuntimeError);
      expect((err as Error).message).toMatch(/has already been entered/);
      expect(ran).toEqual([]);
    });
  });

  it("reschedule after the body finished is a RuntimeError (test_timeouts.TimeoutTests.test_timeout_finished)", () => {
    go(function* () {
      let cm: Timeout | null = null;
      yield* timeout(0.01, function* (t) {
        cm = t;
      });
      expectThrows(() => cm!.reschedule(0.02), RuntimeError, /finished/);
    });
  });

  it("reschedule after expiry is a RuntimeError (test_timeouts.TimeoutTests.test_timeout_expired)", () => {
    go(function* () {
      let cm: Timeout | null = null;
      yield* caught(() =>
        timeout(0.01, function* (t) {
          cm = t;
          yield* sleep(1);
        }),
      );
      expectThrows(() => cm!.reschedule(0.02), RuntimeError, /expired/);
    });
  });

  it("reschedule while expiring is a RuntimeError; a body that swallows the cancellation returns normally (test_timeouts.TimeoutTests.test_timeout_expiring)", () => {
    const out = go(function* () {
      let cm: Timeout | null = null;
      const value = yield* timeout(0.01, function* (t) {
        cm = t;
        const err = yield* caught(() => sleep(1));
        expect(err).toBeInstanceOf(CancelledError);
        expectThrows(() => t.reschedule(0.02), RuntimeError, /expiring/);
        return "swallowed";
      });
      return [value, cm!.expired(), String(cm), currentTask()!.cancelling()];
    });
    expect(out).toEqual(["swallowed", true, "<Timeout [expired]>", 0]);
  });

  it("reschedule of a Timeout never entered is a RuntimeError (test_timeouts.TimeoutTests.test_timeout_not_entered)", () => {
    const cm = new Timeout(0.01);
    expectThrows(() => cm.reschedule(0.02), RuntimeError, /has not been entered/);
    expect(cm.expired()).toBe(false);
    expect(cm.when()).toBe(0.01);
  });

  it("entering outside a task is a RuntimeError and leaves the Timeout unentered (test_timeouts.TimeoutTests.test_timeout_without_task)", async () => {
    const loop = makeLoop(core);
    const cm = new Timeout(0.01);
    const record: unknown[] = [];
    loop.callSoon(() => {
      // await_without_task: drive the coroutine by hand from a plain callback
      const coro = cm.run(function* () {
        record.push("body ran");
      });
      try {
        coro.next();
      } catch (e) {
        record.push(e);
      }
    });
    await runOnce(loop);
    expect(record.length).toBe(1);
    expect(record[0]).toBeInstanceOf(RuntimeError);
    expect(String((record[0] as Error).message)).toMatch(/task/);
    expectThrows(() => cm.reschedule(0.02), RuntimeError, /has not been entered/);
    // the loop is fine
    expect(await loop.runUntilComplete(sleep(1, "ok"))).toBe("ok");
  });

  it("timeout() driven with no running loop is a RuntimeError naming the operation", () => {
    const coro = timeout(1, function* () {});
    expectThrows(() => coro.next(), RuntimeError, /timeout\(1\): no running event loop/);
  });

  // ---- the wasyncio form ----------------------------------------------------------------------

  it("returns the body's value and runs the body inline in the calling task (SPEC: structured forms run inline)", () => {
    const out = go(function* () {
      const me = currentTask();
      let inside: unknown = null;
      const v = yield* timeout(5, function* () {
        inside = currentTask();
        yield* sleep(1);
        return 42;
      });
      const w = yield* timeoutAt(null, function* () {
        return "no deadline";
      });
      return [v, w, inside === me];
    });
    expect(out).toEqual([42, "no deadline", true]);
  });

  it("the body may return a Future instead of a coroutine", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const fut = loop.createFuture<string>();
      loop.callLater(1, () => fut.setResult("from a future"));
      const v = yield* timeout(5, () => fut);
      const slow = loop.createFuture<string>();
      const err = yield* caught(() => timeout(1, () => slow));
      return [v, (err as Error).name, slow.cancelled()];
    });
    expect(out).toEqual(["from a future", "TimeoutError", true]);
  });

  it("a body that returns something else fails with TypeError and the Timeout is finished", () => {
    go(function* () {
      let cm: Timeout | null = null;
      const err = yield* caught(() =>
        timeout(1, ((t: Timeout) => {
          cm = t;
          return 42;
        }) as never),
      );
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toMatch(/body must return a coroutine/);
      expect(String(cm)).toBe("<Timeout [finished]>");
      yield* sleep(5); // the cancelled deadline does not fire later
      expect(currentTask()!.cancelling()).toBe(0);
    });
  });

  it("arguments are checked at the call and bad ones never disturb the loop (SPEC Details: arguments are checked eagerly)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callSoon(() => record.push("queued"));
    const body = function* () {};
    expectBadArgument(() => timeout(NaN, body), "delay", ValueError);
    expect(() => timeout(NaN, body)).toThrow(ValueError);
    expect(() => timeout("1" as never, body)).toThrow(TypeError);
    expectBadArgument(() => timeoutAt(NaN, body), "when", ValueError);
    expect(() => timeoutAt({} as never, body)).toThrow(TypeError);
    expectThrows(() => timeout(1, null as never), TypeError, /body must be a generator function/);
    expectThrows(() => timeoutAt(1, "x" as never), TypeError, /body/);
    expectThrows(() => new Timeout(NaN), ValueError, /when/);
    expectThrows(() => new Timeout(1).run(42 as never), TypeError, /body/);
    await runOnce(loop);
    expect(record).toEqual(["queued"]);
    expect(await loop.runUntilComplete(sleep(0.5, "fine"))).toBe("fine");
  });

  it("reschedule checks its argument", () => {
    go(function* () {
      yield* timeout(1, function* (t) {
        expectThrows(() => t.reschedule(NaN), ValueError, /when/);
        expectThrows(() => t.reschedule("2" as never), TypeError, /when/);
        expect(t.when()).toBe(1); // unchanged
      });
    });
  });

  it("timeout() is lazy: nothing runs and the deadline is counted from when it starts (SPEC Details: operations are lazy)", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const coro = timeout(2, function* (t) {
        record.push(`body at ${loop.time()}, deadline ${t.when()}`);
        yield* sleep(1.5);
        return "in time";
      });
      yield* sleep(10);
      record.push("driving");
      record.push(yield* coro);
      return record;
    });
    expect(out).toEqual(["driving", "body at 10, deadline 12", "in time"]);
  });

  it("an outer cancellation racing the expiry is never swallowed (cancelling()/uncancel())", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const inner = createTask(
        (function* () {
          try {
            yield* timeout(1, function* () {
              yield* sleep(10);
            });
          } catch (e) {
            record.push(`inner saw ${(e as Error).name}`);
            throw e;
          }
        })(),
      );
      // at t=1 the timeout fires first (scheduled first), then this cancel, in the same iteration
      loop.callAt(1, () => inner.cancel());
      const err = yield* caught(function* () {
        yield* inner;
      });
      record.push(`awaiter saw ${(err as Error).name}`, `cancelled=${inner.cancelled()}`);
      return record;
    });
    expect(out).toEqual(["inner saw CancelledError", "awaiter saw CancelledError", "cancelled=true"]);
  });

  it("a task woken at the deadline, then expired and cancelled in that iteration, ends cancelled (never swallowed)", () => {
    // Checked against CPython 3.13: the timeout finds the task's future already done (the
    // cancellation is delivered at the next step), then an outer cancel() arrives.
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const inner = createTask(
        (function* () {
          const f = loop.createFuture();
          loop.callLater(1, () => f.setResult(null)); // scheduled before the timeout's timer
          let cm: Timeout | null = null;
          try {
            yield* timeout(1, function* (t) {
              cm = t;
              yield* f;
              record.push("after f"); // never: the step that resumes the body throws
              yield* sleep(10);
            });
          } catch (e) {
            record.push(`inner saw ${(e as Error).name}, expired=${cm!.expired()}`);
            throw e;
          }
        })(),
      );
      yield* sleep(0); // let inner start, so the cancel below is scheduled after its timers
      loop.callLater(1, () => inner.cancel());
      const err = yield* caught(function* () {
        yield* inner;
      });
      record.push(`awaiter saw ${(err as Error).name}`);
      return record;
    });
    expect(out).toEqual(["inner saw CancelledError, expired=true", "awaiter saw CancelledError"]);
  });

  it("a generator closed with return() exits the Timeout without firing later", () => {
    go(function* () {
      const loop = getRunningLoop();
      let cm: Timeout | null = null;
      const coro = timeout(1, function* (t) {
        cm = t;
        yield* sleep(10);
      });
      // drive the first step by hand inside this task, then abandon it
      const first = coro.next();
      expect(first.done).toBe(false);
      coro.return(undefined as never);
      expect(String(cm)).toBe("<Timeout [finished]>");
      yield* sleep(5);
      expect(loop.time()).toBe(5);
      expect(currentTask()!.cancelling()).toBe(0);
    });
  });

  it("an explicit Timeout(when).run(body) behaves like timeoutAt", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const t = new Timeout(loop.time() + 1);
      const err = yield* caught(() =>
        t.run(function* () {
          yield* sleep(2);
        }),
      );
      return [(err as Error).name, t.expired(), loop.time()];
    });
    expect(out).toEqual(["TimeoutError", true, 1]);
  });

  it("an infinite delay never fires and does not keep the virtual clock waiting", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      let cm: Timeout | null = null;
      const v = yield* timeout(Infinity, function* (t) {
        cm = t;
        yield* sleep(5);
        return "done";
      });
      return [v, cm!.when(), cm!.expired(), loop.time()];
    });
    expect(out).toEqual(["done", Infinity, false, 5]);
  });

  it("timeouts in concurrent tasks only cancel their own task", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const worker = (name: string, limit: number, work: number) =>
        createTask(
          (function* () {
            try {
              yield* timeout(limit, function* () {
                yield* sleep(work);
              });
              record.push(`${name} done at ${loop.time()}`);
            } catch (e) {
              record.push(`${name} ${(e as Error).name} at ${loop.time()}`);
            }
          })(),
        );
      const a = worker("a", 1, 5);
      const b = worker("b", 5, 2);
      const c = worker("c", 3, 4);
      yield* a;
      yield* b;
      yield* c;
      return record;
    });
    expect(out).toEqual(["a TimeoutError at 1", "b done at 2", "c TimeoutError at 3"]);
  });
});
