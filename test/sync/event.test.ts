// asyncio.Event — ported from CPython 3.13's test_asyncio/test_locks.py (EventTests).

import { describe, expect, it } from "vitest";
import { CancelledError, createTask, getRunningLoop, runSync, sleep } from "../../src/index.ts";
import { Event } from "../../src/index.ts";
import { CORES } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Generator<unknown, T, unknown>) => runSync(main, { core });

  it("toString shows set/unset and the waiters (test_locks.EventTests.test_repr)", () => {
    rs(function* () {
      const ev = new Event();
      expect(String(ev)).toBe("<Event [unset]>");
      const t = createTask(ev.wait());
      yield* sleep(0);
      expect(String(ev)).toBe("<Event [unset, waiters:1]>");
      ev.set();
      yield* t;
      expect(String(ev)).toBe("<Event [set]>");
    });
  });

  it("set() wakes every waiter; a waiter created later runs first (test_locks.EventTests.test_wait)", () => {
    rs(function* () {
      const ev = new Event();
      expect(ev.isSet()).toBe(false);
      const result: number[] = [];
      function* c(n: number) {
        if (yield* ev.wait()) result.push(n);
      }
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      yield* sleep(0);
      expect(result).toEqual([]);
      const t3 = createTask(c(3));
      ev.set();
      yield* sleep(0);
      expect(result).toEqual([3, 1, 2]);
      for (const t of [t1, t2, t3]) {
        expect(t.done()).toBe(true);
        expect(t.result()).toBeUndefined(); // the coroutines return nothing (Python: None)
      }
    });
  });

  it("wait() on a set event returns true at once (test_locks.EventTests.test_wait_on_set)", () => {
    rs(function* () {
      const ev = new Event();
      ev.set();
      const g = ev.wait();
      expect(g.next()).toEqual({ done: true, value: true }); // no suspension
      expect(yield* ev.wait()).toBe(true);
    });
  });

  it("a cancelled wait leaves no waiter behind (test_locks.EventTests.test_wait_cancel)", () => {
    rs(function* () {
      const ev = new Event();
      const wait = createTask(ev.wait());
      getRunningLoop().callSoon(() => wait.cancel());
      let err: unknown = null;
      try {
        yield* wait;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CancelledError);
      expect(ev._waiters.length).toBe(0);
    });
  });

  it("clear() resets the flag (test_locks.EventTests.test_clear)", () => {
    const ev = new Event();
    expect(ev.isSet()).toBe(false);
    ev.set();
    expect(ev.isSet()).toBe(true);
    ev.clear();
    expect(ev.isSet()).toBe(false);
  });

  it("a waiter woken by set() stays woken when the event is cleared before it runs (test_locks.EventTests.test_clear_with_waiters)", () => {
    rs(function* () {
      const ev = new Event();
      const result: number[] = [];
      const t = createTask(
        (function* () {
          if (yield* ev.wait()) result.push(1);
          return true;
        })(),
      );
      yield* sleep(0);
      expect(result).toEqual([]);
      ev.set();
      ev.clear();
      expect(ev.isSet()).toBe(false);
      ev.set();
      ev.set();
      expect(ev._waiters.length).toBe(1);
      yield* sleep(0);
      expect(result).toEqual([1]);
      expect(ev._waiters.length).toBe(0);
      expect(t.done()).toBe(true);
      expect(t.result()).toBe(true);
    });
  });

  it("set() skips a cancelled waiter and wakes the others (the shared wait queue)", () => {
    const record: string[] = [];
    rs(function* () {
      const ev = new Event();
      function* w(name: string) {
        try {
          yield* ev.wait();
          record.push(name);
        } catch (e) {
          record.push(`${name} cancelled`);
        }
      }
      const a = createTask(w("a"));
      const b = createTask(w("b"));
      const c = createTask(w("c"));
      yield* sleep(0);
      b.cancel();
      ev.set();
      yield* a;
      yield* b;
      yield* c;
    });
    expect(record).toEqual(["b cancelled", "a", "c"]); // b.cancel() was scheduled before set()
  });

  it("wait() is lazy and each call is a fresh coroutine (SPEC: operations are lazy)", () => {
    rs(function* () {
      const ev = new Event();
      const g1 = ev.wait();
      const g2 = ev.wait();
      expect(g1 === g2).toBe(false);
      expect(ev._waiters.length).toBe(0); // nothing parked until driven
      const t = createTask(g1);
      yield* sleep(0);
      expect(ev._waiters.length).toBe(1);
      ev.set();
      expect(yield* t).toBe(true);
    });
  });
});
