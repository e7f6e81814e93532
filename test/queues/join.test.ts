// taskDone / join — ported from CPython 3.13's test_asyncio/test_queues.py
// (_QueueJoinTestMixin, run for QueueJoinTests, LifoQueueJoinTests, PriorityQueueJoinTests).

import { describe, expect, it } from "vitest";
import { ValueError, createTask, gather, getRunningLoop, runSync, sleep, type Coro } from "../../src/index.ts";
import { LifoQueue, PriorityQueue, Queue } from "../../src/index.ts";
import { CORES, expectThrows } from "../helpers.ts";

const CLASSES = [
  ["Queue", Queue],
  ["LifoQueue", LifoQueue],
  ["PriorityQueue", PriorityQueue],
] as const;

describe.each(CORES)("%s core", (core) => {
  const rs = <T>(main: () => Coro<T>) => runSync(main, { core });

  describe.each(CLASSES)("%s", (name, QClass) => {
    const suite = `test_queues.${name}JoinTests`;

    it(`taskDone without a put is a ValueError (${suite}.test_task_done_underflow)`, () => {
      const q = new QClass<number>();
      expectThrows(() => q.taskDone(), ValueError, "taskDone() called too many times");
    });

    it(`two workers process 100 items and join returns when all are done (${suite}.test_task_done)`, () => {
      rs(function* () {
        const q = new QClass<number>();
        for (let i = 0; i < 100; i++) q.putNowait(i);
        let accumulator = 0;
        let running = true;
        function* worker() {
          while (running) {
            const item = yield* q.get();
            accumulator += item;
            q.taskDone();
          }
        }
        const tasks = [createTask(worker()), createTask(worker())];
        yield* q.join();
        expect(accumulator).toBe((99 * 100) / 2);
        running = false;
        for (let i = 0; i < tasks.length; i++) q.putNowait(0);
        yield* gather(...tasks);
      });
    });

    it(`join on an empty queue returns at once, twice (${suite}.test_join_empty_queue)`, () => {
      rs(function* () {
        const q = new QClass<number>();
        const g = q.join();
        expect(g.next()).toEqual({ done: true, value: null });
        expect(yield* q.join()).toBeNull();
      });
    });

    it(`toString shows the unfinished tasks (${suite}.test_format)`, () => {
      const q = new QClass<number>();
      expect(String(q)).toBe(`<${name} maxsize=0>`);
      q._unfinishedTasks = 2;
      expect(String(q)).toBe(`<${name} maxsize=0 tasks=2>`);
    });

    it(`every joiner wakes when the last item is marked done (asyncio Queue.join over Event)`, () => {
      const record: string[] = [];
      rs(function* () {
        const q = new QClass<number>();
        q.putNowait(1);
        q.putNowait(2);
        const joiners = ["a", "b"].map((n) =>
          createTask(
            (function* () {
              yield* q.join();
              record.push(`${n} joined at ${getRunningLoop().time()}`);
            })(),
          ),
        );
        yield* sleep(1);
        q.getNowait();
        q.taskDone();
        yield* sleep(1);
        expect(record).toEqual([]);
        q.getNowait();
        q.taskDone();
        yield* gather(...joiners);
        expectThrows(() => q.taskDone(), ValueError);
      });
      expect(record).toEqual(["a joined at 2", "b joined at 2"]);
    });
  });
});
