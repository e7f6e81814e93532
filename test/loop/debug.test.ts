// Debug mode, slow-callback reports and loop.random() — ported from CPython's
// test_base_events.py (test_set_debug, test_env_var_debug, test_call_coroutine,
// test_log_slow_callbacks).

import { describe, expect, it } from "vitest";
import { newEventLoop, runSync, getRunningLoop, sleep } from "../../src/index.ts";
import { CORES, captureConsole, expectThrows, makeLoop, runOnce } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("set_debug / get_debug round-trip (test_base_events.BaseEventLoopTests.test_set_debug)", () => {
    const loop = makeLoop(core);
    expect(loop.getDebug()).toBe(false);
    loop.setDebug(true);
    expect(loop.getDebug()).toBe(true);
    loop.setDebug(false);
    expect(loop.getDebug()).toBe(false);
  });

  it("newEventLoop({ debug: true }) starts in debug mode (test_runners.RunnerTests.test_debug)", () => {
    const loop = makeLoop(core, { debug: true });
    expect(loop.getDebug()).toBe(true);
  });

  it("WASYNCIO_DEBUG=1 turns debug mode on for new loops (test_base_events.BaseEventLoopTests.test_env_var_debug)", () => {
    const saved = process.env.WASYNCIO_DEBUG;
    try {
      delete process.env.WASYNCIO_DEBUG;
      const a = newEventLoop({ core, clock: "virtual" } as never);
      process.env.WASYNCIO_DEBUG = "";
      const b = newEventLoop({ core, clock: "virtual" } as never);
      process.env.WASYNCIO_DEBUG = "1";
      const c = newEventLoop({ core, clock: "virtual" } as never);
      const d = newEventLoop({ core, clock: "virtual", debug: false } as never);
      expect([a.getDebug(), b.getDebug(), c.getDebug(), d.getDebug()]).toEqual([false, false, true, false]);
      for (const l of [a, b, c, d]) l.close();
    } finally {
      if (saved === undefined) delete process.env.WASYNCIO_DEBUG;
      else process.env.WASYNCIO_DEBUG = saved;
    }
  });

  it("in debug mode a generator function is rejected as a callback (test_base_events.BaseEventLoopTests.test_call_coroutine)", async () => {
    const loop = makeLoop(core, { debug: true });
    const record: string[] = [];
    function* simpleCoroutine() {
      yield* sleep(0);
    }
    const coroObj = simpleCoroutine();
    for (const func of [simpleCoroutine, coroObj]) {
      expectThrows(() => loop.callSoon(func as never), TypeError);
      expectThrows(() => loop.callSoonThreadsafe(func as never), TypeError);
      expectThrows(() => loop.callLater(60, func as never), TypeError);
      expectThrows(() => loop.callAt(loop.time() + 60, func as never), TypeError);
    }
    loop.callSoon(() => record.push("plain function still fine"));
    await runOnce(loop);
    expect(record).toEqual(["plain function still fine"]);
  });

  it("slowCallbackDuration defaults to 0.1 s and is settable (SPEC Properties)", () => {
    const loop = makeLoop(core);
    expect(loop.slowCallbackDuration).toBe(0.1);
    loop.slowCallbackDuration = 0.25;
    expect(loop.slowCallbackDuration).toBe(0.25);
  });

  it("a slow callback is reported with its name and duration in debug mode (test_base_events.BaseEventLoopTests.test_log_slow_callbacks)", async () => {
    const out = captureConsole();
    const loop = makeLoop(core, { debug: true });
    loop.slowCallbackDuration = 0.0;
    loop.callSoon(function stopLoopCb() {
      loop.stop();
    });
    await loop.runForever();
    expect(out.text()).toMatch(/stopLoopCb/);
    expect(out.text()).toMatch(/took/);
  });

  it("a slow task step is reported with the task's name in debug mode (test_base_events.BaseEventLoopTests.test_log_slow_callbacks)", async () => {
    const out = captureConsole();
    const loop = makeLoop(core, { debug: true });
    loop.slowCallbackDuration = 0.0;
    const t = loop.createTask(
      (function* stopLoopCoro() {
        loop.stop();
      })(),
      { name: "slow-stepper" },
    );
    await loop.runForever();
    expect(t.done()).toBe(true);
    expect(out.text()).toMatch(/slow-stepper|stopLoopCoro/);
    expect(out.text()).toMatch(/took/);
  });

  it("no slow-callback report outside debug mode (test_base_events.BaseEventLoopTests.test_log_slow_callbacks)", async () => {
    const out = captureConsole();
    const loop = makeLoop(core);
    loop.slowCallbackDuration = 0.0;
    loop.callSoon(function quietCb() {
      loop.stop();
    });
    await loop.runForever();
    expect(out.text()).not.toMatch(/quietCb/);
  });

  it("loop.random() is seeded: same seed, same draws; values in [0, 1) (SPEC Determinism)", () => {
    const a = makeLoop(core, { seed: 42 });
    const b = makeLoop(core, { seed: 42 });
    const c = makeLoop(core, { seed: 43 });
    const da = Array.from({ length: 20 }, () => a.random());
    const db = Array.from({ length: 20 }, () => b.random());
    const dc = Array.from({ length: 20 }, () => c.random());
    expect(da).toEqual(db);
    expect(dc).not.toEqual(da);
    for (const v of [...da, ...dc]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });

  it("runSync with a seed draws the same numbers twice (tokio paused_time_is_deterministic)", () => {
    const draw = () =>
      runSync(
        function* () {
          const loop = getRunningLoop();
          const out: number[] = [];
          for (let i = 0; i < 5; i++) {
            yield* sleep(loop.random());
            out.push(loop.random(), loop.time());
          }
          return out;
        },
        { core, seed: 7 },
      );
    expect(draw()).toEqual(draw());
  });
});
