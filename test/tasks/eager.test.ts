// Eager tasks (3.12 semantics): with `eagerTaskFactory`, createTask runs the coroutine's first
// step synchronously. Ported from CPython 3.12's test_eager_task_factory.py
// (EagerTaskFactoryLoopTests); these tests are not in the 3.11 tree.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  Task,
  ValueError,
  allTasks,
  createTask,
  currentTask,
  eagerTaskFactory,
  getRunningLoop,
  runSync,
  sleep,
} from "../../src/index.ts";
import { CORES, expectFails, makeLoop, runOnce } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  /** Run `main` on a fresh loop whose task factory is eager. */
  function runEager<T>(main: () => Generator<unknown, T, unknown>): T {
    return runSync(
      function* () {
        getRunningLoop().setTaskFactory(eagerTaskFactory as never);
        return yield* main();
      },
      { core },
    );
  }

  it("the eager factory is installed and makes Tasks (test_eager_task_factory.EagerTaskFactoryLoopTests.test_eager_task_factory_set)", () => {
    runEager(function* () {
      const loop = getRunningLoop();
      expect(loop.getTaskFactory()).toBe(eagerTaskFactory);
      const t = loop.createTask((function* () {})());
      expect(t).toBeInstanceOf(Task);
      yield* t;
    });
  });

  it("an eager step can complete another future synchronously (test_eager_task_factory.EagerTaskFactoryLoopTests.test_await_future_during_eager_step)", () => {
    const out = runEager(function* () {
      const loop = getRunningLoop();
      const fut = loop.createFuture();
      const t = loop.createTask(
        (function* () {
          fut.setResult("my message");
        })(),
      );
      expect(t.done()).toBe(true);
      return yield* fut;
    });
    expect(out).toBe("my message");
  });

  it("a coroutine that never suspends is done when createTask returns (test_eager_task_factory.EagerTaskFactoryLoopTests.test_eager_completion)", () => {
    const out = runEager(function* () {
      const t = getRunningLoop().createTask((function* () { return "hello"; })());
      expect(t.done()).toBe(true);
      expect(t.result()).toBe("hello");
      return yield* t;
    });
    expect(out).toBe("hello");
  });

  it("a coroutine that suspends continues as an ordinary task (test_eager_task_factory.EagerTaskFactoryLoopTests.test_block_after_eager_step)", () => {
    const out = runEager(function* () {
      const t = getRunningLoop().createTask(
        (function* () {
          yield* sleep(0.1);
          return "finished after blocking";
        })(),
      );
      expect(t.done()).toBe(false);
      const r = yield* t;
      expect(t.done()).toBe(true);
      return r;
    });
    expect(out).toBe("finished after blocking");
  });

  it("cancel() after eager completion has no effect (test_eager_task_factory.EagerTaskFactoryLoopTests.test_cancellation_after_eager_completion)", () => {
    const out = runEager(function* () {
      const t = getRunningLoop().createTask((function* () { return "finished without blocking"; })());
      t.cancel();
      const r = yield* t;
      expect(t.cancelled()).toBe(false);
      return r;
    });
    expect(out).toBe("finished without blocking");
  });

  it("cancel() after the eager step blocked cancels with the message (test_eager_task_factory.EagerTaskFactoryLoopTests.test_cancellation_after_eager_step_blocks)", () => {
    let err: unknown = null;
    try {
      runEager(function* () {
        const t = getRunningLoop().createTask(
          (function* () {
            yield* sleep(0.1);
            return "finished after blocking";
          })(),
        );
        t.cancel("cancellation message");
        expect(t.cancelling()).toBeGreaterThan(0);
        yield* t;
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).message).toBe("cancellation message");
  });

  it("current_task() during the eager step is the new task, and the caller's after (test_eager_task_factory.EagerTaskFactoryLoopTests.test_current_task)", () => {
    runEager(function* () {
      const parent = currentTask();
      let captured: unknown = null;
      const t = getRunningLoop().createTask(
        (function* () {
          captured = currentTask();
          yield* sleep(0.1);
          expect(currentTask()).toBe(captured);
        })(),
      );
      expect(captured).toBe(t);
      expect(currentTask()).toBe(parent);
      yield* t;
    });
  });

  it("all_tasks() sees an eager task during its step, not after it completed (test_eager_task_factory.EagerTaskFactoryLoopTests.test_all_tasks_with_eager_completion)", () => {
    runEager(function* () {
      let captured: Set<unknown> | null = null;
      const t = getRunningLoop().createTask(
        (function* () {
          captured = allTasks();
        })(),
      );
      expect(captured!.has(t)).toBe(true);
      expect(allTasks().has(t)).toBe(false);
      yield* sleep(0);
    });
  });

  it("all_tasks() keeps an eager task that blocked until it finishes (test_eager_task_factory.EagerTaskFactoryLoopTests.test_all_tasks_with_blocking)", () => {
    runEager(function* () {
      const loop = getRunningLoop();
      const fut1 = loop.createFuture();
      const fut2 = loop.createFuture();
      let captured: Set<unknown> | null = null;
      const t = loop.createTask(
        (function* () {
          captured = allTasks();
          yield* fut1;
          fut2.setResult(null);
        })(),
      );
      expect(captured!.has(t)).toBe(true);
      expect(allTasks().has(t)).toBe(true);
      fut1.setResult(null);
      yield* fut2;
      yield* sleep(0);
      expect(allTasks().has(t)).toBe(false);
    });
  });

  it("the eager step runs before callbacks that were already queued (3.12 eager_start)", () => {
    const record = runEager(function* () {
      const loop = getRunningLoop();
      const rec: string[] = [];
      loop.callSoon(() => rec.push("queued callback"));
      rec.push("before createTask");
      const t = loop.createTask(
        (function* () {
          rec.push("eager step");
          yield* sleep(0);
          rec.push("second step");
        })(),
      );
      rec.push("after createTask");
      yield* t;
      return rec;
    });
    expect(record).toEqual(["before createTask", "eager step", "after createTask", "queued callback", "second step"]);
  });

  it("an exception in the eager step fails the task, not the caller (3.12 eager_start)", () => {
    const boom = new ValueError("eager boom");
    const out = runEager(function* () {
      const t = getRunningLoop().createTask(
        (function* () {
          throw boom;
        })(),
      );
      expect(t.done()).toBe(true);
      expect(t.exception()).toBe(boom);
      return "caller continued";
    });
    expect(out).toBe("caller continued");
  });

  it("module-level createTask uses the eager factory and keeps the name (SPEC Task factories)", () => {
    runEager(function* () {
      const t = createTask((function* () { return 1; })(), { name: "eager-one" });
      expect(t.done()).toBe(true);
      expect(t.getName()).toBe("eager-one");
      yield* sleep(0);
    });
  });

  it("with the loop not running, an eager task is scheduled normally (3.12 Task eager_start when the loop is not running)", async () => {
    const loop = makeLoop(core);
    loop.setTaskFactory(eagerTaskFactory as never);
    const record: string[] = [];
    const t = loop.createTask(
      (function* () {
        record.push("body");
        return 7;
      })(),
    );
    expect(record).toEqual([]);
    expect(t.done()).toBe(false);
    expect(await loop.runUntilComplete(t)).toBe(7);
    expect(record).toEqual(["body"]);
    await runOnce(loop);
  });

  it("an eager task awaiting a failed future fails the task (3.12 eager_start)", async () => {
    const loop = makeLoop(core);
    loop.setTaskFactory(eagerTaskFactory as never);
    const exc = new ValueError("inner");
    await expectFails(
      () =>
        loop.runUntilComplete(
          (function* () {
            const fut = loop.createFuture();
            fut.setException(exc);
            const t = loop.createTask(
              (function* () {
                yield* fut;
              })(),
            );
            expect(t.done()).toBe(true);
            yield* t;
          })(),
        ),
      ValueError,
      "inner",
    );
  });
});
