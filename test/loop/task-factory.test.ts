// setTaskFactory / getTaskFactory / createTask on the loop — ported from CPython's
// test_base_events.py (test_set_task_factory*, test_create_task*, test_create_named_task_*).

import { describe, expect, it } from "vitest";
import { RuntimeError, Task, createTask, ensureFuture, getRunningLoop, runSync, sleep } from "../../src/index.ts";
import { CORES, expectThrows, makeLoop, runOnce, expectSameItems } from "../helpers.ts";

type AnyLoop = ReturnType<typeof makeLoop>;

/** A factory that records its calls and delegates to the default factory. */
function recordingFactory(record: unknown[]) {
  const factory = (loop: AnyLoop, coro: unknown, opts?: { name?: string }) => {
    record.push(["factory", opts?.name ?? null]);
    loop.setTaskFactory(null);
    try {
      return loop.createTask(coro as never, opts as never);
    } finally {
      loop.setTaskFactory(factory as never);
    }
  };
  return factory;
}

describe.each(CORES)("%s core", (core) => {
  it("set_task_factory rejects a non-callable (test_base_events.BaseEventLoopTests.test_set_task_factory_invalid)", async () => {
    const loop = makeLoop(core);
    expectThrows(() => loop.setTaskFactory(1 as never), TypeError);
    expectThrows(() => loop.setTaskFactory("factory" as never), TypeError);
    expect(loop.getTaskFactory()).toBeNull();
    // the loop still makes tasks with the default factory
    const r = await loop.runUntilComplete(loop.createTask((function* () { return 5; })()));
    expect(r).toBe(5);
  });

  it("a custom factory makes the loop's tasks; null restores the default (test_base_events.BaseEventLoopTests.test_set_task_factory)", async () => {
    const loop = makeLoop(core);
    const record: unknown[] = [];
    const made: unknown[] = [];
    const inner = recordingFactory(record);
    const factory = (l: AnyLoop, coro: unknown, opts?: { name?: string }) => {
      const t = inner(l, coro, opts);
      made.push(t);
      return t;
    };
    expect(loop.getTaskFactory()).toBeNull();
    loop.setTaskFactory(factory as never);
    expect(loop.getTaskFactory()).toBe(factory);
    const task = loop.createTask((function* () { return "custom"; })());
    expectSameItems(made, [task]);
    expect(await loop.runUntilComplete(task)).toBe("custom");

    loop.setTaskFactory(null);
    expect(loop.getTaskFactory()).toBeNull();
    const task2 = loop.createTask((function* () { return "default"; })());
    expect(task2).toBeInstanceOf(Task);
    expect(made).toHaveLength(1);
    expect(await loop.runUntilComplete(task2)).toBe("default");
    expect(record).toEqual([["factory", null]]);
  });

  it("a named task keeps its name with the default factory (test_base_events.BaseEventLoopTests.test_create_named_task_with_default_factory)", async () => {
    const loop = makeLoop(core);
    const task = loop.createTask((function* () {})(), { name: "test_task" });
    expect(task.getName()).toBe("test_task");
    await loop.runUntilComplete(task);
  });

  it("a named task keeps its name with a custom factory (test_base_events.BaseEventLoopTests.test_create_named_task_with_custom_factory)", async () => {
    const loop = makeLoop(core);
    const record: unknown[] = [];
    loop.setTaskFactory(recordingFactory(record) as never);
    const task = loop.createTask((function* () {})(), { name: "test_task" });
    expect(task.getName()).toBe("test_task");
    await loop.runUntilComplete(task);
    expect(record).toHaveLength(1);
  });

  it("module-level createTask and ensureFuture go through the running loop's factory (test_base_events.BaseEventLoopTests.test_create_task)", () => {
    const record: unknown[] = [];
    runSync(
      function* () {
        const loop = getRunningLoop();
        loop.setTaskFactory(recordingFactory(record) as never);
        const a = createTask((function* () { return 1; })(), { name: "via-createTask" });
        const b = ensureFuture((function* () { return 2; })());
        expect(a.getName()).toBe("via-createTask");
        expect((yield* a) + (yield* b)).toBe(3);
      },
      { core },
    );
    expect(record.length).toBe(2);
    expect(record[0]).toEqual(["factory", "via-createTask"]);
  });

  it("create_task on a closed loop is a RuntimeError (test_base_events.BaseEventLoopTests.test_create_task_error_closes_coro)", () => {
    const loop = makeLoop(core);
    loop.close();
    expectThrows(() => loop.createTask((function* () {})()), RuntimeError);
    expectThrows(() => ensureFuture((function* () {})(), { loop } as never), RuntimeError);
  });

  it("tasks take their first step in creation order on the next iteration (test_tasks.BaseTaskTests.test_task_class)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const mk = (name: string) =>
      loop.createTask(
        (function* () {
          record.push(`${name} step 1`);
          yield* sleep(0);
          record.push(`${name} step 2`);
        })(),
      );
    mk("A");
    loop.callSoon(() => record.push("callback"));
    mk("B");
    expect(record).toEqual([]); // lazy: nothing ran at createTask
    await runOnce(loop);
    expect(record).toEqual(["A step 1", "callback", "B step 1"]);
    await runOnce(loop);
    expect(record).toEqual(["A step 1", "callback", "B step 1", "A step 2", "B step 2"]);
  });
});
