// The one fair wait queue under every primitive (src/sync/wait-queue.ts): FIFO wake-ups, skipping
// cancelled waiters, Lock's single-turn rule, the abandon hand-off, O(1) unlinking.

import { describe, expect, it } from "vitest";
import { CancelledError, createTask, getRunningLoop, runSync, sleep, type Coro, type Task } from "../../src/index.ts";
import { WaitQueue, Waiter } from "../../src/sync/wait-queue.ts";
import { CORES } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Coro<T>) => runSync(main, { core });
  const owner = { toString: () => "<Owner>" };

  function* parker(q: WaitQueue, name: string, record: string[]) {
    try {
      yield* q.park(getRunningLoop());
      record.push(`${name} woken`);
    } catch (e) {
      record.push(`${name} ${e instanceof CancelledError ? "cancelled" : String(e)}`);
      throw e;
    }
  }

  it("wake(n) wakes the first n pending waiters in FIFO order (trio's ParkingLot.unpark(count=n))", () => {
    const record: string[] = [];
    rs(function* () {
      const q = new WaitQueue(owner);
      const tasks = ["a", "b", "c", "d"].map((n) => createTask(parker(q, n, record)));
      yield* sleep(0);
      expect(q.length).toBe(4);
      expect(q.wake(2)).toBe(2);
      expect(q.wake(1)).toBe(1); // skips the two already woken
      yield* sleep(0);
      expect(record).toEqual(["a woken", "b woken", "c woken"]);
      expect(q.length).toBe(1);
      expect(q.wakeAll()).toBe(1);
      expect(q.wake(5)).toBe(0);
      for (const t of tasks) yield* t;
      expect(q.length).toBe(0);
    });
    expect(record).toEqual(["a woken", "b woken", "c woken", "d woken"]);
  });

  it("a cancelled waiter is skipped and unlinked when its task runs", () => {
    const record: string[] = [];
    rs(function* () {
      const q = new WaitQueue(owner);
      const [a, b, c] = ["a", "b", "c"].map((n) => createTask(parker(q, n, record)));
      yield* sleep(0);
      a.cancel();
      expect(q.length).toBe(3); // still linked until a runs
      expect(q.hasLiveWaiter()).toBe(true);
      expect(q.wake(1)).toBe(1); // b, not a
      yield* sleep(0);
      expect(q.length).toBe(1);
      c.cancel();
      yield* sleep(0);
      expect(q.length).toBe(0);
      expect(q.hasLiveWaiter()).toBe(false);
      for (const t of [a, b, c]) {
        try {
          yield* t;
        } catch {
          // cancelled
        }
      }
    });
    expect(record).toEqual(["a cancelled", "b woken", "c cancelled"]);
  });

  it("wakeFirst gives the turn to one waiter at a time (Lock's _wake_up_first)", () => {
    rs(function* () {
      const q = new WaitQueue(owner);
      const record: string[] = [];
      const tasks = ["a", "b"].map((n) => createTask(parker(q, n, record)));
      yield* sleep(0);
      expect(q.wakeFirst()).toBe(true);
      expect(q.wakeFirst()).toBe(false); // a holds the turn until it runs
      expect(q.hasLiveWaiter()).toBe(true);
      yield* sleep(0);
      expect(record).toEqual(["a woken"]);
      tasks[1].cancel();
      expect(q.wakeFirst()).toBe(false); // only a cancelled waiter is left
      expect(q.hasLiveWaiter()).toBe(false);
      yield* sleep(0);
      expect(record).toEqual(["a woken", "b cancelled"]);
    });
  });

  it("onAbandon says whether a wake-up was lost with the waiter", () => {
    const abandons: boolean[] = [];
    rs(function* () {
      const q = new WaitQueue(owner, (woken) => abandons.push(woken));
      const record: string[] = [];
      const a = createTask(parker(q, "a", record));
      const b = createTask(parker(q, "b", record));
      yield* sleep(0);
      a.cancel(); // cancelled while pending: no wake-up lost
      q.wake(1); // lands on b ...
      b.cancel(); // ... which is cancelled before it runs: its wake-up is lost
      yield* sleep(0);
      expect(record).toEqual(["a cancelled", "b cancelled"]);
      const c = createTask(parker(q, "c", record));
      yield* sleep(0);
      q.wake(1);
      yield* c; // resumed normally: no abandon
    });
    expect(abandons).toEqual([false, true]);
  });

  it("a waiter closed with return() is unlinked and reported abandoned", () => {
    const abandons: boolean[] = [];
    rs(function* () {
      const q = new WaitQueue(owner, (woken) => abandons.push(woken));
      const g = q.park(getRunningLoop());
      const step = g.next();
      expect(step.done).toBe(false);
      expect(step.value).toBeInstanceOf(Waiter);
      expect(q.length).toBe(1);
      g.return(undefined);
      expect(q.length).toBe(0);
      yield* sleep(0);
    });
    expect(abandons).toEqual([false]);
  });

  it("park() is lazy: nothing is linked until the coroutine runs", () => {
    rs(function* () {
      const q = new WaitQueue(owner);
      const g = q.park(getRunningLoop());
      expect(q.length).toBe(0);
      const t = createTask(g);
      yield* sleep(0);
      expect(q.length).toBe(1);
      q.wake(1);
      yield* t;
    });
  });

  it("a waiter names its owner, for deadlock reports", () => {
    rs(function* () {
      const q = new WaitQueue(owner);
      const g = q.park(getRunningLoop());
      const w = g.next().value as Waiter;
      expect(String(w)).toBe("<Waiter pending, parked on <Owner>>");
      g.return(undefined);
    });
  });

  it("5,000 waiters cancelled out of order are unlinked and the rest keep FIFO order", () => {
    const woken: number[] = [];
    rs(function* () {
      const q = new WaitQueue(owner);
      const n = 5_000;
      const tasks: Task<void>[] = [];
      for (let i = 0; i < n; i++) {
        tasks.push(
          createTask(
            (function* () {
              yield* q.park(getRunningLoop());
              woken.push(i);
            })(),
          ),
        );
      }
      yield* sleep(0);
      // cancel every waiter but the multiples of 250: the odd ones from the back, then the even
      for (let i = n - 1; i >= 0; i--) if (i % 250 !== 0 && i % 2 === 1) tasks[i].cancel();
      for (let i = 0; i < n; i++) if (i % 250 !== 0 && i % 2 === 0) tasks[i].cancel();
      const t0 = Date.now();
      yield* sleep(0);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(q.length).toBe(20);
      expect(q.wakeAll()).toBe(20);
      yield* sleep(0);
    });
    expect(woken).toEqual(Array.from({ length: 20 }, (_, i) => i * 250));
  });
});
