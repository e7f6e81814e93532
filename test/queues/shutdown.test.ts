// Queue.shutdown (Python 3.13) — ported from CPython 3.13's test_asyncio/test_queues.py
// (_QueueShutdownTestMixin, run for Queue, LifoQueue and PriorityQueue), plus the wake-ups of
// blocked getters and putters.

import { describe, expect, it } from "vitest";
import { ValueError, createTask, getRunningLoop, runSync, sleep, type Coro, type Task } from "../../src/index.ts";
import { LifoQueue, PriorityQueue, Queue, QueueShutDown } from "../../src/index.ts";
import { CORES, expectThrows } from "../helpers.ts";

const CLASSES = [
  ["Queue", Queue],
  ["LifoQueue", LifoQueue],
  ["PriorityQueue", PriorityQueue],
] as const;

/** The error `coro` throws, or null. */
function* failure(coro: Coro<unknown> | Task<unknown>): Coro<unknown> {
  try {
    yield* coro;
  } catch (e) {
    return e;
  }
  return null;
}

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Coro<T>) => runSync(main, { core });

  describe.each(CLASSES)("%s", (name, QClass) => {
    const suite = `test_queues.${name}ShutdownTests`;


    function* expectAllRaise(q: InstanceType<typeof QClass>) {
      expect(yield* failure(q.put("data"))).toBeInstanceOf(QueueShutDown);
      expectThrows(() => q.putNowait("data"), QueueShutDown);
      expect(yield* failure(q.get())).toBeInstanceOf(QueueShutDown);
      expectThrows(() => q.getNowait(), QueueShutDown);
    }

    it(`toString says shutdown (${suite}.test_format)`, () => {
      const q = new QClass();
      q.shutdown();
      expect(String(q)).toBe(`<${name} maxsize=0 shutdown>`);
    });

    it(`shutting down an empty queue wakes the getter with QueueShutDown (${suite}.test_shutdown_empty)`, () => {
      rs(function* () {
        const q = new QClass<string>();
        const getTask = getRunningLoop().createTask(q.get());
        yield* sleep(0); // the get is pending before the shutdown
        q.shutdown(false); // unfinished tasks: 0 -> 0
        expect(q.qsize()).toBe(0);
        yield* q.join();
        yield* sleep(0);
        expect(getTask.done()).toBe(true);
        expect(yield* failure(getTask)).toBeInstanceOf(QueueShutDown);
        yield* expectAllRaise(q);
      });
    });

    it(`shutting down a non-empty queue lets gets drain it (${suite}.test_shutdown_nonempty)`, () => {
      rs(function* () {
        const q = new QClass<string>(1);
        const loop = getRunningLoop();
        q.putNowait("data");
        const joinTask = loop.createTask(q.join());
        const putTask = loop.createTask(q.put("data2"));
        yield* sleep(0);
        expect(putTask.done()).toBe(false);
        q.shutdown(false); // unfinished tasks: 1 -> 1
        expect(q.qsize()).toBe(1);
        yield* sleep(0);
        expect(putTask.done()).toBe(true);
        expect(yield* failure(putTask)).toBeInstanceOf(QueueShutDown);
        expect(yield* q.get()).toBe("data");
        yield* sleep(0);
        expect(joinTask.done()).toBe(false);
        yield* expectAllRaise(q);
        q.taskDone();
        yield* sleep(0);
        expect(joinTask.done()).toBe(true);
        yield* joinTask;
        expectThrows(() => q.taskDone(), ValueError);
      });
    });

    it(`shutdown(true) drops the items and unblocks join (${suite}.test_shutdown_immediate)`, () => {
      rs(function* () {
        const q = new QClass<string>();
        q.putNowait("data");
        const joinTask = getRunningLoop().createTask(q.join());
        q.shutdown(true); // unfinished tasks: 1 -> 0
        expect(q.qsize()).toBe(0);
        yield* sleep(0);
        expect(joinTask.done()).toBe(true);
        yield* joinTask;
        yield* expectAllRaise(q);
        expectThrows(() => q.taskDone(), ValueError);
      });
    });

    it(`shutdown(true) counts only the dropped items as done (${suite}.test_shutdown_immediate_with_unfinished)`, () => {
      rs(function* () {
        const q = new QClass<string>();
        q.putNowait("data");
        q.putNowait("data");
        const joinTask = getRunningLoop().createTask(q.join());
        expect(yield* q.get()).toBe("data");
        q.shutdown(true); // unfinished tasks: 2 -> 1
        expect(q.qsize()).toBe(0);
        yield* sleep(0);
        expect(joinTask.done()).toBe(false);
        yield* expectAllRaise(q);
        q.taskDone();
        expectThrows(() => q.taskDone(), ValueError);
        yield* sleep(0);
        expect(joinTask.done()).toBe(true);
        yield* joinTask;
      });
    });

    it(`shutdown wakes every blocked putter and getter (asyncio 3.13 Queue.shutdown)`, () => {
      const record: string[] = [];
      rs(function* () {
        const full = new QClass<number>(1);
        full.putNowait(0);
        const empty = new QClass<number>();
        const tasks = [
          ...["p1", "p2"].map((n) => [n, createTask(full.put(1))] as const),
          ...["g1", "g2"].map((n) => [n, createTask(empty.get())] as const),
        ];
        yield* sleep(0);
        full.shutdown();
        empty.shutdown();
        for (const [n, t] of tasks) {
          const e = yield* failure(t);
          record.push(`${n}: ${(e as Error).name}`);
        }
        expect(full.qsize()).toBe(1); // not immediate: the item stays for a getter
        expect(yield* full.get()).toBe(0);
      });
      expect(record).toEqual(["p1: QueueShutDown", "p2: QueueShutDown", "g1: QueueShutDown", "g2: QueueShutDown"]);
    });
  });

  it("shutdown(immediate) checks its argument (SPEC: eager argument checks)", () => {
    const q = new Queue<number>();
    expectThrows(() => q.shutdown("yes" as never), TypeError, /immediate must be a boolean/);
    expectThrows(() => q.shutdown(1 as never), TypeError, /immediate/);
    q.putNowait(1);
    expect(q.qsize()).toBe(1); // not shut down by the bad call
    q.shutdown(null); // Python's None: false
    expect(q.qsize()).toBe(1);
    expect(q.getNowait()).toBe(1);
    expectThrows(() => q.getNowait(), QueueShutDown, /shut down/);
  });

  it("consumers drain what is left after shutdown(), then stop (the 3.13 worker pattern)", () => {
    const record: string[] = [];
    rs(function* () {
      const q = new Queue<number>();
      for (let i = 1; i <= 3; i++) q.putNowait(i);
      q.shutdown();
      const worker = createTask(
        (function* () {
          for (;;) {
            try {
              record.push(`got ${yield* q.get()}`);
            } catch (e) {
              if (!(e instanceof QueueShutDown)) throw e;
              record.push("stop");
              return;
            }
          }
        })(),
      );
      yield* worker;
      expect(new QueueShutDown().name).toBe("QueueShutDown");
    });
    expect(record).toEqual(["got 1", "got 2", "got 3", "stop"]);
  });
});
