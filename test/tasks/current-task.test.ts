// currentTask() / allTasks() — ported from CPython's test_tasks.py (test_current_task*,
// BaseCurrentLoopTests, test_log_destroyed_pending_task's all_tasks checks).

import { describe, expect, it } from "vitest";
import { RuntimeError, allTasks, createTask, currentTask, runSync, sleep } from "../../src/index.ts";
import { CORES, expectThrows, makeLoop, runOnce, expectSameItems } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("current_task() is the running task (test_tasks.BaseTaskTests.test_current_task)", async () => {
    const loop = makeLoop(core);
    const seen: unknown[] = [];
    let task: ReturnType<typeof loop.createTask> | null = null;
    task = loop.createTask(
      (function* () {
        seen.push(currentTask());
        yield* sleep(0);
        seen.push(currentTask());
      })(),
    );
    await loop.runUntilComplete(task);
    expectSameItems(seen, [task, task]);
  });

  it("current_task() follows interleaving tasks (test_tasks.BaseTaskTests.test_current_task_with_interleaving_tasks)", async () => {
    const loop = makeLoop(core);
    const fut1 = loop.createFuture();
    const fut2 = loop.createFuture();
    const record: unknown[] = [];
    let task1: ReturnType<typeof loop.createTask> | null = null;
    let task2: ReturnType<typeof loop.createTask> | null = null;
    task1 = loop.createTask(
      (function* () {
        record.push(["1 before", currentTask() === task1]);
        yield* fut1;
        record.push(["1 after", currentTask() === task1]);
        fut2.setResult(true);
      })(),
    );
    task2 = loop.createTask(
      (function* () {
        record.push(["2 before", currentTask() === task2]);
        fut1.setResult(true);
        yield* fut2;
        record.push(["2 after", currentTask() === task2]);
      })(),
    );
    await loop.runUntilComplete(task2);
    await loop.runUntilComplete(task1);
    expect(record).toEqual([
      ["1 before", true],
      ["2 before", true],
      ["1 after", true],
      ["2 after", true],
    ]);
  });

  it("current_task() outside a running loop is a RuntimeError (test_tasks.BaseCurrentLoopTests.test_current_task_no_running_loop_implicit)", () => {
    expectThrows(() => currentTask(), RuntimeError, /no running event loop/i);
  });

  it("current_task() in a plain callback is null (test_tasks.BaseCurrentLoopTests.test_current_task_no_running_loop)", async () => {
    const loop = makeLoop(core);
    const seen: unknown[] = [];
    loop.callSoon(() => seen.push(currentTask()));
    await runOnce(loop);
    expect(seen).toEqual([null]);
  });

  it("current_task() is null again between task steps (test_tasks.BaseCurrentLoopTests.test_current_task_with_implicit_loop)", async () => {
    const loop = makeLoop(core);
    const seen: unknown[] = [];
    const t = loop.createTask(
      (function* () {
        loop.callSoon(() => seen.push(["callback", currentTask()]));
        yield* sleep(0);
        seen.push(["task", currentTask()]);
      })(),
    );
    await loop.runUntilComplete(t);
    expectSameItems(seen, [
      ["callback", null],
      ["task", t],
    ]);
  });

  it("current_task() inside runSync's main is main's task (test_runners.RunTests.test_asyncio_run_return)", () => {
    const out = runSync(
      function* () {
        const me = currentTask();
        yield* sleep(0);
        return [me !== null, me === currentTask(), allTasks().has(me!)];
      },
      { core },
    );
    expect(out).toEqual([true, true, true]);
  });

  it("all_tasks() holds the pending tasks only (test_tasks.BaseTaskTests.test_log_destroyed_pending_task)", () => {
    const out = runSync(
      function* () {
        const main = currentTask();
        const a = createTask((function* () { yield* sleep(1); })(), { name: "a" });
        const b = createTask((function* () { return 1; })(), { name: "b" });
        const before = allTasks();
        const snapshot1 = [before instanceof Set, before.has(a), before.has(b), before.has(main!), before.size];
        yield* sleep(0.5);
        const mid = allTasks();
        const snapshot2 = [mid.has(a), mid.has(b), mid.size];
        yield* sleep(1);
        const after = allTasks();
        const snapshot3 = [after.has(a), after.size];
        return [snapshot1, snapshot2, snapshot3];
      },
      { core },
    );
    expect(out).toEqual([
      [true, true, true, true, 3],
      [true, false, 2],
      [false, 1],
    ]);
  });

  it("all_tasks() outside a running loop is a RuntimeError (asyncio.all_tasks without a loop)", () => {
    expectThrows(() => allTasks(), RuntimeError, /no running event loop/i);
  });

  it("all_tasks() returns a fresh set each call (asyncio.all_tasks)", () => {
    const out = runSync(
      function* () {
        const s1 = allTasks();
        const s2 = allTasks();
        s1.clear();
        return [s1 === s2, s2.size, allTasks().size];
      },
      { core },
    );
    expect(out).toEqual([false, 1, 1]);
  });


  it("current_task(loop) of a loop that is not running is null (test_tasks.BaseCurrentLoopTests.test_current_task_no_running_loop)", () => {
    const loop = makeLoop(core);
    expect(currentTask(loop)).toBeNull();
  });

  it("all_tasks(loop) lists a loop's pending tasks even when it is not running (asyncio.all_tasks(loop))", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask((function* () { yield* sleep(1); })());
    const s = allTasks(loop);
    expect(s.size).toBe(1);
    expect(s.has(t)).toBe(true);
    await loop.runUntilComplete(t);
    expect(allTasks(loop).size).toBe(0);
  });
});
