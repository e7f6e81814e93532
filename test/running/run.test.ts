// run() — ported from CPython's test_runners.py (RunTests, RunnerTests).

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  ValueError,
  createTask,
  currentTask,
  getEventLoop,
  getRunningLoop,
  run,
  sleep,
} from "../../src/index.ts";
import { CORES, expectFails, expectThrows } from "../helpers.ts";

type Ctx = Record<string, unknown>;

describe.each(CORES)("%s core", (core) => {
  it("run returns main's value (test_runners.RunTests.test_asyncio_run_return)", async () => {
    const r = await run(
      function* () {
        yield* sleep(0);
        return 42;
      },
      { core, clock: "virtual" },
    );
    expect(r).toBe(42);
  });

  it("run accepts a coroutine object as well as a coroutine function (test_runners.RunnerTests.test_run)", async () => {
    function* main() {
      yield* sleep(0);
      return "obj";
    }
    expect(await run(main(), { core, clock: "virtual" })).toBe("obj");
    expect(await run(main, { core, clock: "virtual" })).toBe("obj");
  });

  it("run rejects with main's exception (test_runners.RunTests.test_asyncio_run_raises)", async () => {
    const err = new ValueError("spam");
    const got = await expectFails(
      () =>
        run(
          function* () {
            yield* sleep(0);
            throw err;
          },
          { core, clock: "virtual" },
        ),
      ValueError,
      "spam",
    );
    expect(got).toBe(err);
  });

  it("run of something that is not a coroutine fails naming it (test_runners.RunTests.test_asyncio_run_only_coro)", async () => {
    for (const o of [1, "main", null]) {
      let err: unknown = null;
      try {
        await run(o as never, { core, clock: "virtual" });
      } catch (e) {
        err = e;
      }
      expect(err instanceof TypeError || err instanceof ValueError).toBe(true);
      expect(String((err as Error).message)).toMatch(/coroutine/);
    }
  });

  it("run of a function that returns a non-coroutine fails (test_runners.RunnerTests.test_run_non_coro)", async () => {
    let err: unknown = null;
    try {
      await run((() => 123) as never, { core, clock: "virtual" });
    } catch (e) {
      err = e;
    }
    expect(err instanceof TypeError || err instanceof ValueError).toBe(true);
  });

  it("run's debug option sets the loop's debug mode (test_runners.RunTests.test_asyncio_run_debug)", async () => {
    function* main() {
      return getRunningLoop().getDebug();
    }
    expect(await run(main, { core, clock: "virtual", debug: false })).toBe(false);
    expect(await run(main, { core, clock: "virtual", debug: true })).toBe(true);
    expect(await run(main, { core, clock: "virtual" })).toBe(false);
  });

  it("run inside a running loop is a RuntimeError, thrown synchronously (test_runners.RunTests.test_asyncio_run_from_running_loop)", async () => {
    const out = await run(
      function* () {
        const coro = (function* () {})();
        try {
          const p = run(coro, { core, clock: "virtual" });
          // must not get here; swallow the promise if an implementation returned one
          (p as Promise<unknown>).catch(() => {});
          return "no error";
        } catch (e) {
          return e;
        }
      },
      { core, clock: "virtual" },
    );
    expect(out).toBeInstanceOf(RuntimeError);
    expect((out as Error).message).toMatch(/cannot be called from a running event loop/);
  });

  it("run cancels tasks left pending when main returns (test_runners.RunTests.test_asyncio_run_cancels_hanging_tasks)", async () => {
    let loTask: ReturnType<typeof createTask> | null = null;
    const r = await run(
      function* () {
        loTask = createTask(
          (function* () {
            yield* sleep(0.1);
          })(),
        );
        return 123;
      },
      { core, clock: "virtual" },
    );
    expect(r).toBe(123);
    expect(loTask!.done()).toBe(true);
    expect(loTask!.cancelled()).toBe(true);
  });

  it("run reports errors raised by leftover tasks while cancelling them (test_runners.RunTests.test_asyncio_run_reports_hanging_tasks_errors)", async () => {
    const contexts: Ctx[] = [];
    let loTask: ReturnType<typeof createTask> | null = null;
    const r = await run(
      function* () {
        getRunningLoop().setExceptionHandler((_l: unknown, ctx: Ctx) => contexts.push(ctx));
        loTask = createTask(
          (function* () {
            try {
              yield* sleep(0.1);
            } catch (e) {
              if (e instanceof CancelledError) throw new ValueError("division by zero");
              throw e;
            }
          })(),
        );
        return 123;
      },
      { core, clock: "virtual" },
    );
    expect(r).toBe(123);
    expect(loTask!.done()).toBe(true);
    expect(contexts).toHaveLength(1);
    expect(String(contexts[0]!.message)).toMatch(/shutdown/);
    expect(contexts[0]!.task).toBe(loTask);
    expect(contexts[0]!.exception).toBeInstanceOf(ValueError);
  });

  it("run cancels leftover tasks also when main fails (test_runners.RunTests.test_asyncio_run_closes_gens_after_hanging_tasks_errors)", async () => {
    let lazyboy: ReturnType<typeof createTask> | null = null;
    const record: string[] = [];
    class FancyExit extends Error {}
    await expectFails(
      () =>
        run(
          function* () {
            getRunningLoop().setExceptionHandler(() => {});
            lazyboy = createTask(
              (function* () {
                try {
                  for (;;) yield* sleep(1);
                } finally {
                  record.push("spinner finalised");
                }
              })(),
            );
            yield* sleep(0);
            throw new FancyExit("fancy");
          },
          { core, clock: "virtual" },
        ),
      FancyExit,
    );
    expect(lazyboy!.done()).toBe(true);
    expect(record).toEqual(["spinner finalised"]);
  });

  it("inside run, getEventLoop() is the running loop and it is closed afterwards (test_runners.RunTests.test_asyncio_run_set_event_loop)", async () => {
    let loop: ReturnType<typeof getRunningLoop> | null = null;
    const same = await run(
      function* () {
        yield* sleep(0);
        loop = getRunningLoop();
        return getEventLoop() === loop;
      },
      { core, clock: "virtual" },
    );
    expect(same).toBe(true);
    expect(loop!.isClosed()).toBe(true);
    expect(loop!.isRunning()).toBe(false);
    expectThrows(() => getRunningLoop(), RuntimeError, /no running/);
  });

  it("main runs as a task, so current_task() is set (test_runners.RunnerTests.test_run)", async () => {
    const ok = await run(
      function* () {
        const t = currentTask();
        return t !== null && !t.done();
      },
      { core, clock: "virtual" },
    );
    expect(ok).toBe(true);
  });

  it("two runs in a row get two fresh loops (test_runners.RunnerTests.test_second_with_block_raises)", async () => {
    const loops: unknown[] = [];
    function* main() {
      loops.push(getRunningLoop());
      yield* sleep(1);
      return getRunningLoop().time();
    }
    expect(await run(main, { core, clock: "virtual" })).toBe(1);
    expect(await run(main, { core, clock: "virtual" })).toBe(1);
    expect(loops[0]).not.toBe(loops[1]);
  });

  it("a CancelledError from main propagates out of run (test_runners.RunTests.test_asyncio_run_without_uncancel)", async () => {
    await expectFails(
      () =>
        run(
          function* () {
            currentTask()!.cancel();
            yield* sleep(1);
          },
          { core, clock: "virtual" },
        ),
      CancelledError,
    );
  });
});
