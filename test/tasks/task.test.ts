// Task basics, names, get_coro/get_stack and misuse — ported from CPython's test_tasks.py
// (BaseTaskTests).

import { describe, expect, it } from "vitest";
import {
  Future,
  RuntimeError,
  Task,
  ValueError,
  createTask,
  getRunningLoop,
  runSync,
  sleep,
} from "../../src/index.ts";
import { CORES, expectFails, expectThrows, makeLoop, runBriefly, expectSameItems } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("a coroutine awaits sub-coroutines with yield* (test_tasks.BaseTaskTests.test_task_basics)", async () => {
    const loop = makeLoop(core);
    function* inner1() {
      return 42;
    }
    function* inner2() {
      return 1000;
    }
    function* outer() {
      const a = yield* inner1();
      const b = yield* inner2();
      return a + b;
    }
    expect(await loop.runUntilComplete(outer())).toBe(1042);
  });

  it("a task is a Future bound to its loop and holds the result (test_tasks.BaseTaskTests.test_task_class)", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask((function* () { return "ok"; })());
    expect(t).toBeInstanceOf(Task);
    expect(t).toBeInstanceOf(Future);
    expect(t.getLoop()).toBe(loop);
    await loop.runUntilComplete(t);
    expect(t.done()).toBe(true);
    expect(t.result()).toBe("ok");
    expect(t.exception()).toBeNull();

    const loop2 = makeLoop(core);
    const t2 = loop2.createTask((function* () { return "ok2"; })());
    expect(t2.getLoop()).toBe(loop2);
    expect(await loop2.runUntilComplete(t2)).toBe("ok2");
  });

  it("a coroutine run by run_until_complete returns its value (test_tasks.BaseTaskTests.test_coroutine_non_gen_function)", async () => {
    const loop = makeLoop(core);
    function* func() {
      return "test";
    }
    expect(await loop.runUntilComplete(func())).toBe("test");
  });

  it("get_coro returns the coroutine, also after completion (test_tasks.BaseTaskTests.test_get_coro)", async () => {
    const loop = makeLoop(core);
    const coro = (function* () { yield* sleep(0); return 1; })();
    const task = loop.createTask(coro);
    expect(task.getCoro()).toBe(coro);
    await loop.runUntilComplete(task);
    expect(task.getCoro()).toBe(coro);
  });

  it("set_result / set_exception on a task are RuntimeErrors (test_tasks.BaseTaskTests.test_task_set_methods)", async () => {
    const loop = makeLoop(core);
    const task = loop.createTask((function* () { return "ko"; })());
    expectThrows(() => task.setResult("ok"), RuntimeError, /set_?[rR]esult|setResult/);
    expectThrows(() => task.setException(new ValueError("x")), RuntimeError, /set_?[eE]xception|setException/);
    expect(await loop.runUntilComplete(task)).toBe("ko");
  });

  it("a task awaiting itself fails with RuntimeError (test_tasks.BaseTaskTests.test_task_awaits_on_itself)", async () => {
    const loop = makeLoop(core);
    let task: ReturnType<typeof loop.createTask> | null = null;
    task = loop.createTask(
      (function* () {
        yield* task!;
      })(),
    );
    await expectFails(() => loop.runUntilComplete(task!), RuntimeError, /itself/);
  });

  it("a task awaiting another loop's future fails with RuntimeError (test_tasks.BaseTaskTests.test_other_loop_future)", async () => {
    const loop = makeLoop(core);
    const other = makeLoop(core);
    const fut = other.createFuture();
    await expectFails(
      () =>
        loop.runUntilComplete(
          (function* () {
            yield* fut;
          })(),
        ),
      RuntimeError,
      /attached to a different loop|different loop/,
    );
  });

  it("a coroutine yielding something that is not a future fails its task with RuntimeError (asyncio Task.__step 'bad yield')", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const t = loop.createTask(
      (function* () {
        record.push("before");
        yield 42;
        record.push("after");
      })() as never,
    );
    await expectFails(() => loop.runUntilComplete(t), RuntimeError);
    expect(t.done()).toBe(true);
    expect(record).toEqual(["before"]);
  });

  it("a coroutine returning a future returns it as a value, unawaited (test_tasks.BaseTaskTests.test_coroutine_non_gen_function_return_future)", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    const t1 = loop.createTask((function* () { return fut; })());
    const t2 = loop.createTask((function* () { fut.setResult("test"); })());
    await loop.runUntilComplete(t2);
    await loop.runUntilComplete(t1).catch(() => {});
    // Checked on the task itself: a host Promise (what runUntilComplete returns) can never
    // resolve to a thenable, so `await runUntilComplete(t1)` adopts the future's result.
    expect(t1.result()).toBe(fut);
    expect(t2.result() ?? null).toBeNull();
  });

  it("create_task with a non-coroutine is a TypeError (test_tasks.BaseTaskTests.test_create_task_with_noncoroutine)", async () => {
    const loop = makeLoop(core);
    for (const bad of [123, "coro", null, {}, function* () {}, () => 1, Promise.resolve(1)]) {
      expectThrows(() => loop.createTask(bad as never), TypeError);
    }
    // second time: no caching mishap, and the loop still makes tasks
    expectThrows(() => loop.createTask(123 as never), TypeError);
    expect(await loop.runUntilComplete(loop.createTask((function* () { return 1; })()))).toBe(1);
  });

  it("create_task accepts any generator object, twice in a row (test_tasks.BaseTaskTests.test_create_task_with_async_function)", async () => {
    const loop = makeLoop(core);
    function* coro() {
      return "x";
    }
    const a = loop.createTask(coro());
    expect(a).toBeInstanceOf(Task);
    await loop.runUntilComplete(a);
    const b = loop.createTask(coro());
    expect(b).toBeInstanceOf(Task);
    expect(await loop.runUntilComplete(b)).toBe("x");
  });

  it("create_task accepts a hand-written coroutine-like iterator (test_tasks.BaseTaskTests.test_create_task_with_asynclike_function)", async () => {
    const loop = makeLoop(core);
    const coroLike = (function* () {
      return 42;
    })();
    const task = loop.createTask(coroLike);
    expect(await loop.runUntilComplete(task)).toBe(42);
  });

  it("tasks get default names Task-N with a rising counter (test_tasks.BaseTaskTests.test_task_repr_autogenerated)", async () => {
    const loop = makeLoop(core);
    const t1 = loop.createTask((function* () {})());
    const t2 = loop.createTask((function* () {})());
    const m1 = /^Task-(\d+)$/.exec(t1.getName());
    const m2 = /^Task-(\d+)$/.exec(t2.getName());
    expect(m1).not.toBeNull();
    expect(m2).not.toBeNull();
    expect(Number(m2![1])).toBeGreaterThan(Number(m1![1]));
    await loop.runUntilComplete(t2);
    await loop.runUntilComplete(t1);
  });

  it("set_name renames a task and stringifies non-strings (test_tasks.BaseTaskTests.test_task_repr_name_not_str)", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask((function* () {})(), { name: "first" });
    expect(t.getName()).toBe("first");
    t.setName("second");
    expect(t.getName()).toBe("second");
    t.setName(123 as never);
    expect(t.getName()).toBe("123");
    await loop.runUntilComplete(t);
  });

  it("create_task in a running loop, named or not (test_tasks.BaseTaskTests.test_bare_create_task / test_bare_create_named_task)", () => {
    const out = runSync(
      function* () {
        const task = createTask((function* () { return 1; })());
        expect(task).toBeInstanceOf(Task);
        expect(task.getLoop()).toBe(getRunningLoop());
        const ret = yield* task;
        const named = createTask((function* () {})(), { name: "No-op" });
        expect(named.getName()).toBe("No-op");
        yield* named;
        return ret;
      },
      { core },
    );
    expect(out).toBe(1);
  });

  it("create_task outside a running loop is a RuntimeError (test_tasks.BaseCurrentLoopTests.test_current_task_no_running_loop_implicit)", () => {
    const coro = (function* () {})();
    expectThrows(() => createTask(coro), RuntimeError, /no running event loop/i);
  });

  it("a task's exception reaches its awaiter as the same instance (test_tasks.BaseTaskTests.test_exception_traceback)", () => {
    const boom = new ValueError("from the child");
    const out = runSync(
      function* () {
        const task = createTask(
          (function* () {
            yield* sleep(0);
            throw boom;
          })(),
        );
        yield* sleep(0);
        yield* sleep(0);
        expect(task.exception()).toBe(boom);
        expect((task.exception() as Error).stack).toBeTruthy();
        try {
          yield* task;
        } catch (e) {
          return e;
        }
        return null;
      },
      { core },
    );
    expect(out).toBe(boom);
  });

  it("a task's done callbacks receive the task (test_tasks.add_subclass_tests.test_subclasses_ctask_cfuture)", async () => {
    const loop = makeLoop(core);
    const seen: unknown[] = [];
    const fut = loop.createFuture();
    const task = loop.createTask(
      (function* () {
        loop.callSoon(() => fut.setResult("spam"));
        return yield* fut;
      })(),
    );
    task.addDoneCallback((t: unknown) => seen.push(t));
    expect(await loop.runUntilComplete(task)).toBe("spam");
    await runBriefly(loop);
    expectSameItems(seen, [task]);
  });

  it("get_stack lists the suspended coroutine, and nothing once done (test_tasks.BaseTaskTests.test_get_stack)", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    const t = loop.createTask((function* foo() { yield* fut; })());
    await runBriefly(loop);
    const stack = t.getStack();
    expect(Array.isArray(stack)).toBe(true);
    expect(stack.length).toBeGreaterThanOrEqual(1);
    fut.setResult(null);
    await loop.runUntilComplete(t);
    expect(t.getStack()).toEqual([]);
  });

  it("try/finally in a coroutine runs when the task ends normally or by error (SPEC Futures and tasks)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const ok = loop.createTask(
      (function* () {
        try {
          yield* sleep(1);
          return "ok";
        } finally {
          record.push("ok finally");
        }
      })(),
    );
    const bad = loop.createTask(
      (function* () {
        try {
          yield* sleep(2);
          throw new ValueError("bad");
        } finally {
          record.push("bad finally");
        }
      })(),
    );
    expect(await loop.runUntilComplete(ok)).toBe("ok");
    await expectFails(() => loop.runUntilComplete(bad), ValueError);
    expect(record).toEqual(["ok finally", "bad finally"]);
  });

  it("two tasks interleave at each yield* point (test_tasks.BaseTaskTests.test_current_task_with_interleaving_tasks)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const worker = (name: string, n: number) =>
      loop.createTask(
        (function* () {
          for (let i = 0; i < n; i++) {
            record.push(`${name}${i}`);
            yield* sleep(0);
          }
        })(),
      );
    const a = worker("a", 3);
    const b = worker("b", 3);
    await loop.runUntilComplete(a);
    await loop.runUntilComplete(b);
    expect(record).toEqual(["a0", "b0", "a1", "b1", "a2", "b2"]);
  });


  it("yield instead of yield* on a future fails the task with RuntimeError (asyncio 'yield was used instead of yield from')", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    const t = loop.createTask(
      (function* () {
        yield fut;
      })() as never,
    );
    await expectFails(() => loop.runUntilComplete(t), RuntimeError, /yield/);
    expect(fut.done()).toBe(false);
  });

  it("yield instead of yield* on a coroutine fails the task with RuntimeError (asyncio Task.__step bad yield)", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask(
      (function* () {
        yield sleep(1);
      })() as never,
    );
    await expectFails(() => loop.runUntilComplete(t), RuntimeError);
    expect(loop.time()).toBe(0);
  });
});
