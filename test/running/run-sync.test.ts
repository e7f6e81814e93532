// runSync() — the synchronous run() on the virtual clock. Mirrors CPython's test_runners.py
// (RunTests) for the shared behaviour, plus the contract's deadlock and host-I/O checks.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  ValueError,
  createTask,
  getRunningLoop,
  run,
  runSync,
  sleep,
  wrap,
} from "../../src/index.ts";
import { CORES, expectThrows } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("runSync returns main's value synchronously (test_runners.RunTests.test_asyncio_run_return)", () => {
    const r = runSync(
      function* () {
        yield* sleep(0);
        return 42;
      },
      { core },
    );
    expect(r).toBe(42);
  });

  it("runSync accepts a coroutine object (test_runners.RunnerTests.test_run)", () => {
    function* main() {
      yield* sleep(2);
      return getRunningLoop().time();
    }
    expect(runSync(main(), { core })).toBe(2);
  });

  it("runSync throws main's exception (test_runners.RunTests.test_asyncio_run_raises)", () => {
    const err = new ValueError("spam");
    const got = expectThrows(
      () =>
        runSync(
          function* () {
            yield* sleep(0);
            throw err;
          },
          { core },
        ),
      ValueError,
      "spam",
    );
    expect(got).toBe(err);
  });

  it("runSync of something that is not a coroutine fails naming it (test_runners.RunTests.test_asyncio_run_only_coro)", () => {
    for (const o of [1, "main", {}, () => 5]) {
      let err: unknown = null;
      try {
        runSync(o as never, { core });
      } catch (e) {
        err = e;
      }
      expect(err instanceof TypeError || err instanceof ValueError).toBe(true);
    }
  });

  it("runSync uses the virtual clock by default: time starts at 0 and jumps (SPEC Running)", () => {
    const started = Date.now();
    const out = runSync(
      function* () {
        const loop = getRunningLoop();
        const t0 = loop.time();
        yield* sleep(86_400);
        return [t0, loop.time()];
      },
      { core },
    );
    expect(out).toEqual([0, 86_400]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("runSync on a deadlock throws a RuntimeError naming what main waits on (SPEC Details: entry points)", () => {
    const err = expectThrows(
      () =>
        runSync(
          function* () {
            const stuck = createTask(
              (function* () {
                yield* getRunningLoop().createFuture();
              })(),
              { name: "stuck-worker" },
            );
            yield* stuck;
          },
          { core },
        ),
      RuntimeError,
    ) as Error;
    expect(err.message).toContain("stuck-worker");
  });

  it("runSync on main awaiting a bare future that nobody resolves throws, never hangs (SPEC Details: entry points)", () => {
    const err = expectThrows(
      () =>
        runSync(
          function* () {
            yield* getRunningLoop().createFuture();
          },
          { core },
        ),
      RuntimeError,
    ) as Error;
    expect(err.message).toMatch(/Future|future/);
  });

  it("runSync waits out timers before calling it a deadlock (SPEC Determinism: autojump)", () => {
    const out = runSync(
      function* () {
        const loop = getRunningLoop();
        const fut = loop.createFuture();
        loop.callLater(30, () => fut.setResult("resolved by a timer"));
        return [yield* fut, loop.time()];
      },
      { core },
    );
    expect(out).toEqual(["resolved by a timer", 30]);
  });

  it("runSync with a real clock is a RuntimeError (SPEC Running)", () => {
    let ran = false;
    expectThrows(
      () =>
        runSync(
          function* () {
            ran = true;
            yield* sleep(0);
          },
          { core, clock: "real" } as never,
        ),
      RuntimeError,
    );
    expect(ran).toBe(false);
  });

  it("runSync with host I/O pending throws a RuntimeError naming it (SPEC Running)", () => {
    const err = expectThrows(
      () =>
        runSync(
          function* () {
            yield* wrap(new Promise(() => {}));
          },
          { core },
        ),
      RuntimeError,
    ) as Error;
    expect(err.message.length).toBeGreaterThan(0);
    expect(err.message).toMatch(/wrap|[Pp]romise|host|I\/O/);
  });

  it("runSync inside a running loop is a RuntimeError (test_runners.RunnerTests.test_recursive_run)", () => {
    const out = runSync(
      function* () {
        try {
          runSync(function* () {}, { core });
          return "no error";
        } catch (e) {
          return e instanceof RuntimeError ? "RuntimeError" : String(e);
        }
      },
      { core },
    );
    expect(out).toBe("RuntimeError");
  });

  it("run() inside runSync is a RuntimeError (test_runners.RunTests.test_asyncio_run_from_running_loop)", () => {
    const out = runSync(
      function* () {
        try {
          const p = run(function* () {}, { core, clock: "virtual" } as never);
          (p as Promise<unknown>).catch(() => {});
          return "no error";
        } catch (e) {
          return e instanceof RuntimeError ? (e as Error).message : String(e);
        }
      },
      { core },
    );
    expect(out).toMatch(/cannot be called from a running event loop/);
  });

  it("runSync cancels leftover tasks and closes its loop (test_runners.RunTests.test_asyncio_run_cancels_hanging_tasks)", () => {
    let loop: ReturnType<typeof getRunningLoop> | null = null;
    const record: string[] = [];
    let left: ReturnType<typeof createTask> | null = null;
    runSync(
      function* () {
        loop = getRunningLoop();
        left = createTask(
          (function* () {
            try {
              yield* sleep(100);
            } catch (e) {
              record.push(e instanceof CancelledError ? "leftover cancelled" : String(e));
              throw e;
            }
          })(),
        );
        yield* sleep(1);
      },
      { core },
    );
    expect(record).toEqual(["leftover cancelled"]);
    expect(left!.cancelled()).toBe(true);
    expect(loop!.isClosed()).toBe(true);
  });

  it("runSync's debug and seed options reach the loop (test_runners.RunTests.test_asyncio_run_debug)", () => {
    const draw = (seed: number) =>
      runSync(
        function* () {
          const loop = getRunningLoop();
          return [loop.getDebug(), loop.random(), loop.random()];
        },
        { core, debug: true, seed },
      );
    const a = draw(11);
    const b = draw(11);
    const c = draw(12);
    expect(a[0]).toBe(true);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });

  it("the same seeded program gives the same record twice (tokio paused_time_is_deterministic)", () => {
    const program = () =>
      runSync(
        function* () {
          const loop = getRunningLoop();
          const rec: string[] = [];
          const tasks = [];
          for (let i = 0; i < 8; i++) {
            tasks.push(
              createTask(
                (function* () {
                  for (let k = 0; k < 3; k++) {
                    yield* sleep(Math.floor(loop.random() * 4) / 2);
                    rec.push(`${i}:${k}@${loop.time()}`);
                  }
                })(),
              ),
            );
          }
          for (const t of tasks) yield* t;
          return rec;
        },
        { core, seed: 1234 },
      );
    const first = program();
    expect(first).toHaveLength(24);
    expect(program()).toEqual(first);
  });
});
