// Queue.get / Queue.put and their races with cancellation — ported from CPython 3.13's
// test_asyncio/test_queues.py (QueueGetTests, QueuePutTests).

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  createTask,
  gather,
  getRunningLoop,
  runSync,
  sleep,
  type Coro,
  type Task,
} from "../../src/index.ts";
import { Event } from "../../src/index.ts";
import { Queue, QueueEmpty, QueueFull } from "../../src/index.ts";
import { Waiter } from "../../src/sync/wait-queue.ts";
import { CORES, expectThrows } from "../helpers.ts";

/** asyncio.wait_for(coro, timeout) for these tests: "timeout" if it timed out. */
function* waitFor<T>(coro: Coro<T>, delay: number): Coro<T | "timeout"> {
  const task = createTask(coro);
  let expired = false;
  const h = getRunningLoop().callLater(delay, () => {
    expired = true;
    task.cancel();
  });
  try {
    return yield* task;
  } catch (e) {
    if (expired && e instanceof CancelledError) return "timeout";
    throw e;
  } finally {
    h.cancel();
  }
}

function* settle<T>(t: Task<T>): Coro<T | CancelledError> {
  try {
    return yield* t;
  } catch (e) {
    if (e instanceof CancelledError) return e;
    throw e;
  }
}

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Coro<T>) => runSync(main, { core });

  // ---- QueueGetTests ----------------------------------------------------------------------

  it("get returns a queued item at once (test_queues.QueueGetTests.test_blocking_get)", () => {
    rs(function* () {
      const q = new Queue<number>();
      q.putNowait(1);
      const g = q.get();
      expect(g.next()).toEqual({ done: true, value: 1 }); // no suspension
    });
  });

  it("get wakes a parked putter (test_queues.QueueGetTests.test_get_with_putters)", () => {
    rs(function* () {
      const q = new Queue<number>(1);
      yield* q.put(1);
      // asyncio appends a bare future to q._putters; here: park one by hand
      const parked = q._putters.park(getRunningLoop());
      const waiter = parked.next().value as Waiter;
      expect(yield* q.get()).toBe(1);
      expect(waiter.done()).toBe(true);
      expect(waiter.result()).toBeNull();
      parked.return(undefined);
      expect(q._putters.length).toBe(0);
    });
  });

  it("get waits for a put scheduled later (test_queues.QueueGetTests.test_blocking_get_wait)", () => {
    rs(function* () {
      const loop = getRunningLoop();
      const q = new Queue<number>();
      const started = new Event();
      let finished = false;
      const t = createTask(
        (function* () {
          started.set();
          const res = yield* q.get();
          finished = true;
          return res;
        })(),
      );
      yield* started.wait();
      expect(finished).toBe(false);
      loop.callLater(0.01, () => q.putNowait(1));
      const res = yield* t;
      expect(finished).toBe(true);
      expect(res).toBe(1);
      expect(loop.time()).toBe(0.01);
    });
  });

  it("getNowait returns a queued item (test_queues.QueueGetTests.test_nonblocking_get)", () => {
    const q = new Queue<number>();
    q.putNowait(1);
    expect(q.getNowait()).toBe(1);
  });

  it("getNowait on an empty queue raises QueueEmpty (test_queues.QueueGetTests.test_nonblocking_get_exception)", () => {
    const q = new Queue<number>();
    expectThrows(() => q.getNowait(), QueueEmpty);
  });

  it("a cancelled getter does not take the item of the next (test_queues.QueueGetTests.test_get_cancelled_race)", () => {
    rs(function* () {
      const q = new Queue<string>();
      const t1 = createTask(q.get());
      const t2 = createTask(q.get());
      yield* sleep(0);
      t1.cancel();
      yield* sleep(0);
      expect(t1.done()).toBe(true);
      yield* q.put("a");
      yield* sleep(0);
      expect(yield* t2).toBe("a");
    });
  });

  it("get takes items from waiting putters in order (test_queues.QueueGetTests.test_get_with_waiting_putters)", () => {
    rs(function* () {
      const q = new Queue<string>(1);
      createTask(q.put("a"));
      createTask(q.put("b"));
      expect(yield* q.get()).toBe("a");
      expect(yield* q.get()).toBe("b");
    });
  });

  it("a producer and a consumer on a one-slot queue both finish (test_queues.QueueGetTests.test_why_are_getters_waiting)", () => {
    rs(function* () {
      const q = new Queue<number>(1);
      const got: number[] = [];
      function* consumer(n: number) {
        for (let i = 0; i < n; i++) got.push(yield* q.get());
      }
      function* producer(n: number) {
        for (let i = 0; i < n; i++) yield* q.put(i);
      }
      yield* gather(producer(5), consumer(5));
      expect(got).toEqual([0, 1, 2, 3, 4]);
    });
  });

  it("a getter that timed out leaves no getter behind (test_queues.QueueGetTests.test_cancelled_getters_not_being_held_in_self_getters)", () => {
    rs(function* () {
      const q = new Queue<number>(5);
      expect(yield* waitFor(q.get(), 0.1)).toBe("timeout");
      expect(q._getters.length).toBe(0);
    });
  });

  // ---- QueuePutTests ----------------------------------------------------------------------

  it("put on an unbounded queue never blocks (test_queues.QueuePutTests.test_blocking_put)", () => {
    rs(function* () {
      const q = new Queue<number>();
      const p = q.put(1);
      expect(p.next()).toEqual({ done: true, value: null }); // Python's None
      expect(yield* q.get()).toBe(1);
    });
  });

  it("put waits for a getNowait scheduled later (test_queues.QueuePutTests.test_blocking_put_wait)", () => {
    rs(function* () {
      const q = new Queue<number>(1);
      const started = new Event();
      let finished = false;
      const loop = getRunningLoop();
      loop.callLater(0.01, () => q.getNowait());
      const t = createTask(
        (function* () {
          started.set();
          yield* q.put(1);
          yield* q.put(2);
          finished = true;
        })(),
      );
      yield* started.wait();
      expect(finished).toBe(false);
      yield* t;
      expect(finished).toBe(true);
      expect(loop.time()).toBe(0.01);
    });
  });

  it("putNowait then getNowait (test_queues.QueuePutTests.test_nonblocking_put)", () => {
    const q = new Queue<number>();
    q.putNowait(1);
    expect(q.getNowait()).toBe(1);
  });

  it("a reader cancelled after being woken does not drop the item (test_queues.QueuePutTests.test_get_cancel_drop_one_pending_reader)", () => {
    rs(function* () {
      const q = new Queue<number>();
      let reader = createTask(q.get());
      yield* sleep(0);
      q.putNowait(1);
      q.putNowait(2);
      reader.cancel();
      try {
        yield* reader;
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        reader = createTask(q.get());
        yield* reader;
      }
      expect(reader.result()).toBe(1); // 2 would mean 1 was dropped
    });
  });

  it("a reader cancelled among many passes its wake-up on (test_queues.QueuePutTests.test_get_cancel_drop_many_pending_readers)", () => {
    rs(function* () {
      const q = new Queue<number>();
      const reader1 = createTask(q.get());
      const reader2 = createTask(q.get());
      const reader3 = createTask(q.get());
      yield* sleep(0);
      q.putNowait(1);
      q.putNowait(2);
      reader1.cancel();
      expect(yield* settle(reader1)).toBeInstanceOf(CancelledError);
      yield* reader3;
      expect(new Set([reader2.result(), reader3.result()])).toEqual(new Set([1, 2]));
    });
  });

  it("a writer cancelled after being woken does not lose its slot (test_queues.QueuePutTests.test_put_cancel_drop)", () => {
    rs(function* () {
      const q = new Queue<number>(1);
      q.putNowait(1);
      let writer = createTask(q.put(2));
      yield* sleep(0);
      expect(q.getNowait()).toBe(1);
      writer.cancel();
      try {
        yield* writer;
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        writer = createTask(q.put(2));
        yield* writer;
      }
      expect(q.getNowait()).toBe(2);
      expect(q.qsize()).toBe(0);
    });
  });

  it("putNowait on a full queue raises QueueFull (test_queues.QueuePutTests.test_nonblocking_put_exception)", () => {
    const q = new Queue<number>(1);
    q.putNowait(1);
    expectThrows(() => q.putNowait(2), QueueFull);
  });

  it("a fractional maxsize rounds up, as in Python (test_queues.QueuePutTests.test_float_maxsize)", () => {
    rs(function* () {
      let q = new Queue<number>(1.3);
      q.putNowait(1);
      q.putNowait(2);
      expect(q.full()).toBe(true);
      expectThrows(() => q.putNowait(3), QueueFull);
      q = new Queue<number>(1.3);
      yield* q.put(1);
      yield* q.put(2);
      expect(q.full()).toBe(true);
    });
  });

  it("a put task completes once its item is taken (test_queues.QueuePutTests.test_put_cancelled)", () => {
    rs(function* () {
      const q = new Queue<number>();
      const t = createTask(
        (function* () {
          yield* q.put(1);
          return true;
        })(),
      );
      expect(yield* q.get()).toBe(1);
      expect(t.done()).toBe(true);
      expect(t.result()).toBe(true);
    });
  });

  it("a cancelled putter in the middle is skipped (test_queues.QueuePutTests.test_put_cancelled_race)", () => {
    rs(function* () {
      const q = new Queue<string>(1);
      const putA = createTask(q.put("a"));
      const putB = createTask(q.put("b"));
      const putC = createTask(q.put("X"));
      yield* sleep(0);
      expect(putA.done()).toBe(true);
      expect(putB.done()).toBe(false);
      putC.cancel();
      yield* sleep(0);
      expect(putC.done()).toBe(true);
      expect(q.getNowait()).toBe("a");
      yield* sleep(0);
      expect(q.getNowait()).toBe("b");
      yield* putB;
    });
  });

  it("put hands the item to a waiting getter (test_queues.QueuePutTests.test_put_with_waiting_getters)", () => {
    rs(function* () {
      const q = new Queue<string>();
      const t = createTask(q.get());
      yield* sleep(0);
      yield* q.put("a");
      expect(yield* t).toBe("a");
    });
  });

  it("four putters and a draining getter all finish (test_queues.QueuePutTests.test_why_are_putters_waiting)", () => {
    rs(function* () {
      const q = new Queue<number>(2);
      function* putter(item: number) {
        yield* q.put(item);
      }
      function* getter() {
        yield* sleep(0);
        const n = q.qsize();
        for (let i = 0; i < n; i++) q.getNowait();
      }
      yield* gather(getter(), putter(0), putter(1), putter(2), putter(3));
      expect(q.qsize()).toBe(2);
      expect([q.getNowait(), q.getNowait()]).toEqual([2, 3]);
    });
  });

  it("a cancelled putter leaves no putter behind (test_queues.QueuePutTests.test_cancelled_puts_not_being_held_in_self_putters)", () => {
    rs(function* () {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const putTask = createTask(q.put(1));
      yield* sleep(0);
      expect(q._putters.length).toBe(1);
      putTask.cancel();
      expect(yield* settle(putTask)).toBeInstanceOf(CancelledError);
      expect(q._putters.length).toBe(0);
    });
  });

  it("a putter cancelled after getNowait woke it just raises CancelledError (test_queues.QueuePutTests.test_cancelled_put_silence_value_error_exception)", () => {
    rs(function* () {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const putTask = createTask(q.put(1));
      yield* sleep(0);
      q.getNowait(); // wakes the putter
      putTask.cancel();
      expect(yield* settle(putTask)).toBeInstanceOf(CancelledError);
      expect(q._putters.length).toBe(0);
      expect(q.qsize()).toBe(0);
    });
  });

  it("a putter woken then cancelled hands its slot to the next putter (asyncio Queue.put's hand-off)", () => {
    const order: string[] = [];
    rs(function* () {
      const q = new Queue<string>(1);
      q.putNowait("x");
      const a = createTask(q.put("a"));
      const b = createTask(q.put("b"));
      yield* sleep(0);
      order.push(q.getNowait()); // wakes a ...
      a.cancel(); // ... which is cancelled before it runs: b must get the slot
      yield* settle(a);
      yield* b;
      order.push(q.getNowait());
      expect(q.empty()).toBe(true);
    });
    expect(order).toEqual(["x", "b"]);
  });

  it("many timed-out getters do not pile up and later items still flow (waitFor(q.get(), t) churn)", () => {
    rs(function* () {
      const q = new Queue<number>();
      for (let i = 0; i < 200; i++) expect(yield* waitFor(q.get(), 0.01)).toBe("timeout");
      expect(q._getters.length).toBe(0);
      const t = createTask(q.get());
      yield* sleep(0);
      q.putNowait(42);
      expect(yield* t).toBe(42);
    });
  });
});
