// withLock(prim, body) — `async with lock:` (asyncio's _ContextManagerMixin: __aenter__
// acquires, __aexit__ releases), run inline in the calling task; plus bad-input checks.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ValueError,
  createTask,
  currentTask,
  getRunningLoop,
  runSync,
  sleep,
  type Coro,
} from "../../src/index.ts";
import { Barrier, BoundedSemaphore, Condition, Event, Lock, Semaphore, withLock } from "../../src/index.ts";
import { CORES, expectThrows } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Coro<T>) => runSync(main, { core });

  it("runs the body inline in the calling task and returns its value (SPEC: structured forms run inline)", () => {
    rs(function* () {
      const lock = new Lock();
      const me = currentTask();
      const v = yield* withLock(lock, function* () {
        expect(currentTask()).toBe(me);
        yield* sleep(1);
        return "body";
      });
      expect(v).toBe("body");
      expect(getRunningLoop().time()).toBe(1);
    });
  });

  it("releases when the body throws, and the error propagates (asyncio __aexit__ on exception)", () => {
    rs(function* () {
      for (const prim of [new Lock(), new Condition(), new Semaphore(), new BoundedSemaphore()]) {
        const boom = new ValueError("boom");
        let err: unknown = null;
        try {
          yield* withLock(prim, function* () {
            expect(prim.locked()).toBe(true);
            throw boom;
          });
        } catch (e) {
          err = e;
        }
        expect(err).toBe(boom);
        expect(prim.locked()).toBe(false);
      }
    });
  });

  it("releases when the task is cancelled inside the body (test_locks: cancellation inside async with)", () => {
    rs(function* () {
      const lock = new Lock();
      const t = createTask(
        withLock(lock, function* () {
          yield* sleep(10);
        }),
      );
      yield* sleep(1);
      expect(lock.locked()).toBe(true);
      t.cancel();
      yield* sleep(0);
      expect(t.cancelled()).toBe(true);
      expect(lock.locked()).toBe(false);
    });
  });

  it("a task cancelled while waiting to acquire never runs the body and releases nothing", () => {
    rs(function* () {
      const lock = new Lock();
      yield* lock.acquire();
      let ran = false;
      const t = createTask(
        withLock(lock, function* () {
          ran = true;
        }),
      );
      yield* sleep(0);
      t.cancel();
      let err: unknown = null;
      try {
        yield* t;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CancelledError);
      expect(ran).toBe(false);
      expect(lock.locked()).toBe(true); // still ours
      lock.release();
    });
  });

  it("serializes a read-modify-write across tasks (the classic lost update)", () => {
    rs(function* () {
      const lock = new Lock();
      let balance = 0;
      function* deposit() {
        yield* withLock(lock, function* () {
          const v = balance;
          yield* sleep(0.1);
          balance = v + 10;
        });
      }
      const tasks = Array.from({ length: 10 }, () => createTask(deposit()));
      for (const t of tasks) yield* t;
      expect(balance).toBe(100);
      expect(getRunningLoop().time()).toBeCloseTo(1, 9);
    });
  });

  it("arguments are checked at the call and nothing is acquired (SPEC: eager argument checks)", () => {
    rs(function* () {
      const lock = new Lock();
      expectThrows(() => withLock({} as never, function* () {}), TypeError, /prim must be a Lock, Condition, Semaphore or BoundedSemaphore/);
      expectThrows(() => withLock(new Event() as never, function* () {}), TypeError, /prim must be/);
      expectThrows(() => withLock(new Barrier(2) as never, function* () {}), TypeError, /prim must be/);
      expectThrows(() => withLock(lock, null as never), TypeError, /body must be a generator function/);
      expect(lock.locked()).toBe(false);
      // lazy: the lock is taken only when driven
      const g = withLock(lock, function* () {
        return 1;
      });
      expect(lock.locked()).toBe(false);
      expect(yield* g).toBe(1);
      expect(lock.locked()).toBe(false);
      // the loop keeps running after bad input
      yield* sleep(1);
      expect(getRunningLoop().time()).toBe(1);
    });
  });

  it("a body that returns no coroutine is a TypeError and the lock is released", () => {
    rs(function* () {
      const lock = new Lock();
      let err: unknown = null;
      try {
        yield* withLock(lock, (() => 42) as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TypeError);
      expect(String((err as Error).message)).toMatch(/body must return a coroutine/);
      expect(lock.locked()).toBe(false);
    });
  });
});
