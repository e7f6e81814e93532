// asyncio.Queue basics — ported from CPython 3.13's test_asyncio/test_queues.py
// (QueueBasicTests, LifoQueueTests, PriorityQueueTests), plus the contract's argument checks,
// laziness and read-only `maxsize`.

import { describe, expect, expectTypeOf, it } from "vitest";
import {
  RuntimeError,
  ValueError,
  createTask,
  getRunningLoop,
  runSync,
  sleep,
  type Coro,
} from "../../src/index.ts";
import { LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull } from "../../src/index.ts";
import { CORES, expectBadArgument, expectThrows } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Coro<T>) => runSync(main, { core });

  it("toString shows maxsize, items, getters, putters (test_queues.QueueBasicTests.test_repr / test_str)", () => {
    rs(function* () {
      let q = new Queue<number>();
      expect(String(q)).toBe("<Queue maxsize=0>");
      // getters
      const getter = createTask(q.get());
      yield* sleep(0);
      expect(String(q)).toContain("_getters[1]");
      q.putNowait(0);
      expect(yield* getter).toBe(0);
      // putters
      q = new Queue<number>(1);
      q.putNowait(1);
      const putter = createTask(q.put(2));
      yield* sleep(0);
      expect(String(q)).toContain("_putters[1]");
      q.getNowait();
      yield* putter;
      expect(putter.done()).toBe(true);

      q = new Queue<number>();
      q.putNowait(1);
      expect(String(q)).toBe("<Queue maxsize=0 _queue=[1] tasks=1>");
      for (let i = 2; i <= 12; i++) q.putNowait(i);
      expect(String(q)).toBe("<Queue maxsize=0 _queue=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, … 2 more] tasks=12>");
      expect(String(new LifoQueue(3))).toBe("<LifoQueue maxsize=3>");
    });
  });

  it("Queue<T> is generic over its items (test_queues.QueueBasicTests.test_generic_alias)", () => {
    rs(function* () {
      const q = new Queue<number>();
      const lifo = new LifoQueue<string>();
      const prio = new PriorityQueue<[number, string]>();
      q.putNowait(1);
      lifo.putNowait("a");
      prio.putNowait([1, "a"]);
      expectTypeOf(q.getNowait).returns.toEqualTypeOf<number>();
      expectTypeOf(lifo.get).returns.toEqualTypeOf<Coro<string>>();
      expectTypeOf(prio.put).parameter(0).toEqualTypeOf<[number, string]>();
      expect([q.getNowait(), yield* lifo.get(), prio.getNowait()]).toEqual([1, "a", [1, "a"]]);
    });
  });

  it("empty() follows puts and gets (test_queues.QueueBasicTests.test_empty)", () => {
    rs(function* () {
      const q = new Queue<number>();
      expect(q.empty()).toBe(true);
      yield* q.put(1);
      expect(q.empty()).toBe(false);
      expect(yield* q.get()).toBe(1);
      expect(q.empty()).toBe(true);
    });
  });

  it("full() is never true when unbounded (test_queues.QueueBasicTests.test_full)", () => {
    rs(function* () {
      let q = new Queue<number>();
      expect(q.full()).toBe(false);
      q = new Queue<number>(1);
      yield* q.put(1);
      expect(q.full()).toBe(true);
      for (const unbounded of [0, -1, Infinity]) {
        const u = new Queue<number>(unbounded);
        for (let i = 0; i < 100; i++) u.putNowait(i);
        expect(u.full()).toBe(false);
      }
    });
  });

  it("items come out in FIFO order (test_queues.QueueBasicTests.test_order)", () => {
    rs(function* () {
      const q = new Queue<number>();
      for (const i of [1, 3, 2]) yield* q.put(i);
      const items = [yield* q.get(), yield* q.get(), yield* q.get()];
      expect(items).toEqual([1, 3, 2]);
    });
  });

  it("put blocks at maxsize until a get (test_queues.QueueBasicTests.test_maxsize)", () => {
    rs(function* () {
      const q = new Queue<number>(2);
      expect(q.maxsize).toBe(2);
      const haveBeenPut: number[] = [];
      const t = createTask(
        (function* () {
          for (let i = 0; i < 3; i++) {
            yield* q.put(i);
            haveBeenPut.push(i);
          }
          return true;
        })(),
      );
      for (let i = 0; i < 2; i++) yield* sleep(0);
      expect(haveBeenPut).toEqual([0, 1]);
      expect(yield* q.get()).toBe(0);
      yield* sleep(0);
      expect(haveBeenPut).toEqual([0, 1, 2]);
      expect(yield* q.get()).toBe(1);
      expect(yield* q.get()).toBe(2);
      expect(t.done()).toBe(true);
      expect(t.result()).toBe(true);
    });
  });

  it("LifoQueue returns the newest item first (test_queues.LifoQueueTests.test_order)", () => {
    rs(function* () {
      const q = new LifoQueue<number>();
      for (const i of [1, 3, 2]) yield* q.put(i);
      expect([yield* q.get(), yield* q.get(), yield* q.get()]).toEqual([2, 3, 1]);
    });
  });

  it("PriorityQueue returns the lowest item first (test_queues.PriorityQueueTests.test_order)", () => {
    rs(function* () {
      const q = new PriorityQueue<number>();
      for (const i of [1, 3, 2]) yield* q.put(i);
      expect([yield* q.get(), yield* q.get(), yield* q.get()]).toEqual([1, 2, 3]);
    });
  });

  it("maxsize is a read-only property (SPEC: Properties)", () => {
    for (const cls of [Queue, LifoQueue, PriorityQueue]) {
      const q = new cls(3);
      expect(q.maxsize).toBe(3);
      expect(() => {
        (q as { maxsize: number }).maxsize = 10;
      }).toThrow(TypeError);
      expect(q.maxsize).toBe(3);
      expect(new cls().maxsize).toBe(0);
    }
  });

  it("a bad maxsize is refused at construction: TypeError for a non-number, ValueError for NaN (SPEC: Errors)", () => {
    for (const cls of [Queue, LifoQueue, PriorityQueue]) {
      expectBadArgument(() => new cls(NaN), "maxsize", ValueError);
      expectThrows(() => new cls(NaN), ValueError, /maxsize must be a number.*NaN/);
      expectThrows(() => new cls("3" as never), TypeError, /maxsize must be a number.*"3"/);
      expectThrows(() => new cls(null as never), TypeError, /maxsize/);
      expectThrows(() => new cls({} as never), TypeError, /maxsize/);
      expectThrows(() => new cls(3n as never), TypeError, /maxsize/);
    }
    expectThrows(() => new PriorityQueue("x" as never), TypeError, /PriorityQueue\(maxsize\)/);
  });

  it("get() and put() are lazy: nothing happens until driven (SPEC: operations are lazy)", () => {
    rs(function* () {
      const q = new Queue<string>(1);
      const p1 = q.put("a");
      const p2 = q.put("a");
      expect(p1 === p2).toBe(false);
      expect(q.qsize()).toBe(0);
      const g = q.get();
      expect(q._getters.length).toBe(0);
      yield* p1;
      expect(q.qsize()).toBe(1);
      expect(yield* g).toBe("a");
      p2.return(null); // never driven: closing it is harmless
      expect(q.qsize()).toBe(0);
    });
  });

  it("putNowait/getNowait raise QueueFull/QueueEmpty with a message, and the loop keeps running (SPEC: bad input never corrupts the loop)", () => {
    rs(function* () {
      const q = new Queue<number>(1);
      expectThrows(() => q.getNowait(), QueueEmpty, "the queue is empty");
      q.putNowait(1);
      expectThrows(() => q.putNowait(2), QueueFull, "maxsize=1");
      expect(q.qsize()).toBe(1);
      expect(q._unfinishedTasks).toBe(1);
      yield* sleep(1);
      expect(getRunningLoop().time()).toBe(1);
      expect(q.getNowait()).toBe(1);
      const e = new QueueEmpty("x", { cause: 1 });
      expect(e.name).toBe("QueueEmpty");
      expect(e.cause).toBe(1);
      expect(new QueueFull().name).toBe("QueueFull");
      expect(new QueueFull()).toBeInstanceOf(Error);
    });
  });

  it("putters are served in arrival order (the shared FIFO wait queue)", () => {
    const order: string[] = [];
    rs(function* () {
      const q = new Queue<string>(1);
      q.putNowait("first");
      const putters = ["a", "b", "c", "d"].map((n) => createTask(q.put(n)));
      yield* sleep(0);
      expect(q._putters.length).toBe(4);
      for (let i = 0; i < 5; i++) order.push(yield* q.get());
      for (const p of putters) yield* p;
    });
    expect(order).toEqual(["first", "a", "b", "c", "d"]);
  });

  it("getters are served in arrival order (the shared FIFO wait queue)", () => {
    const order: string[] = [];
    rs(function* () {
      const q = new Queue<number>();
      const getters = ["a", "b", "c"].map((n) =>
        createTask(
          (function* () {
            order.push(`${n}:${yield* q.get()}`);
          })(),
        ),
      );
      yield* sleep(0);
      q.putNowait(1);
      q.putNowait(2);
      q.putNowait(3);
      for (const g of getters) yield* g;
    });
    expect(order).toEqual(["a:1", "b:2", "c:3"]);
  });

  it("a get that can never complete is reported as a deadlock naming the queue (SPEC: runSync deadlock)", () => {
    const err = expectThrows(
      () =>
        runSync(function* () {
          const q = new Queue<number>();
          yield* q.get();
        }, { core }),
      RuntimeError,
    );
    expect(String((err as Error).message)).toContain("parked on <Queue maxsize=0 _getters[1]>");
  });

  it("a queue bound to one loop refuses to park in another (asyncio _LoopBoundMixin)", () => {
    const q = new Queue<number>();
    runSync(function* () {
      const t = createTask(q.get());
      yield* sleep(0);
      q.putNowait(1);
      expect(yield* t).toBe(1);
    }, { core });
    expectThrows(
      () =>
        runSync(function* () {
          yield* q.get();
        }, { core }),
      RuntimeError,
      /bound to a different event loop/,
    );
  });
});
