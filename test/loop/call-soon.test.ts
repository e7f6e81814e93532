// callSoon / callSoonThreadsafe / Handle — ported from CPython's test_base_events.py and
// test_events.py (EventLoopTestsMixin, HandleTests). Order is asserted with a record list.

import { describe, expect, it } from "vitest";
import { newEventLoop } from "../../src/index.ts";
import { CORES, expectThrows, makeLoop, runOnce } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("call_soon passes positional arguments (test_events.EventLoopTestsMixin.test_call_soon)", async () => {
    const loop = makeLoop(core);
    const record: unknown[] = [];
    loop.callSoon((a: string, b: string) => {
      record.push([a, b]);
      loop.stop();
    }, "hello", "world");
    await loop.runForever();
    expect(record).toEqual([["hello", "world"]]);
  });

  it("call_soon returns a live Handle and runs callbacks FIFO (test_base_events.BaseEventLoopTests.test_call_soon)", async () => {
    const loop = makeLoop(core);
    const record: number[] = [];
    const handles = [];
    for (let i = 0; i < 10; i++) handles.push(loop.callSoon((n: number) => record.push(n), i));
    for (const h of handles) expect(h.cancelled()).toBe(false);
    await runOnce(loop);
    expect(record).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("callbacks scheduled during an iteration wait for the next one (test_base_events.BaseEventLoopTests.test__run_once_schedule_handle)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callSoon(() => {
      record.push("a");
      loop.callSoon(() => record.push("c"));
    });
    loop.callSoon(() => record.push("b"));
    // stop() is queued in the same iteration as a and b: the iteration finishes, c waits.
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(record).toEqual(["a", "b"]);
    await runOnce(loop);
    expect(record).toEqual(["a", "b", "c"]);
  });

  it("call_soon from a callback runs after the already-queued handles (asyncio _run_once ntodo snapshot)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callSoon(() => {
      record.push("a1");
      loop.callSoon(() => {
        record.push("a2");
        loop.callSoon(() => {
          record.push("a3");
          loop.stop();
        });
      });
    });
    loop.callSoon(() => {
      record.push("b1");
      loop.callSoon(() => record.push("b2"));
    });
    await loop.runForever();
    expect(record).toEqual(["a1", "b1", "a2", "b2", "a3"]);
  });

  it("a cancelled handle never runs (test_base_events.BaseEventLoopTests.test__add_callback_cancelled_handle)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const h = loop.callSoon(() => record.push("cancelled one"));
    loop.callSoon(() => record.push("kept"));
    expect(h.cancelled()).toBe(false);
    h.cancel();
    expect(h.cancelled()).toBe(true);
    h.cancel(); // idempotent
    expect(h.cancelled()).toBe(true);
    await runOnce(loop);
    expect(record).toEqual(["kept"]);
  });

  it("a handle cancelled by an earlier callback of the same iteration is skipped (test_events.HandleTests.test_handle)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    let victim: { cancel(): void } | null = null;
    loop.callSoon(() => {
      record.push("first");
      victim!.cancel();
    });
    victim = loop.callSoon(() => record.push("victim"));
    loop.callSoon(() => record.push("last"));
    await runOnce(loop);
    expect(record).toEqual(["first", "last"]);
  });

  it("cancelling a handle after it ran is harmless (test_events.HandleTests.test_handle)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const h = loop.callSoon(() => record.push("ran"));
    await runOnce(loop);
    h.cancel();
    loop.callSoon(() => record.push("next"));
    await runOnce(loop);
    expect(record).toEqual(["ran", "next"]);
  });

  it("a non-function callback is a TypeError at the call and the loop keeps working (test_base_events.BaseEventLoopTests.test_call_soon_non_callable)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callSoon(() => record.push("before"));
    const gen = (function* () {})();
    for (const bad of [1, "spam", null, undefined, {}, [], gen, Promise.resolve(1)]) {
      expectThrows(() => loop.callSoon(bad as never), TypeError);
    }
    loop.callSoon(() => record.push("after"));
    await runOnce(loop);
    expect(record).toEqual(["before", "after"]);
  });

  it("call_soon_threadsafe keeps FIFO with call_soon on the loop's thread (test_events.EventLoopTestsMixin.test_call_soon_threadsafe_same_thread)", async () => {
    const loop = makeLoop(core);
    const results: string[] = [];
    const callback = (arg: string) => {
      results.push(arg);
      if (results.length >= 2) loop.stop();
    };
    const h = loop.callSoonThreadsafe(callback, "hello");
    expect(h.cancelled()).toBe(false);
    loop.callSoon(callback, "world");
    await loop.runForever();
    expect(results).toEqual(["hello", "world"]);
  });

  it("call_soon_threadsafe from a host callback wakes an idle loop (test_events.EventLoopTestsMixin.test_call_soon_threadsafe)", async () => {
    // The one place a real clock is needed: the loop must sleep in the host and be woken.
    const loop = newEventLoop({ core, clock: "real" } as never);
    try {
      const results: string[] = [];
      const callback = (arg: string) => {
        results.push(arg);
        if (results.length >= 2) loop.stop();
      };
      loop.callSoon(callback, "world");
      setTimeout(() => loop.callSoonThreadsafe(callback, "hello"), 20);
      await loop.runForever();
      expect(results).toEqual(["world", "hello"]);
    } finally {
      loop.close();
    }
  });

  it("call_soon_threadsafe rejects a non-function callback (test_base_events.BaseEventLoopTests.test_call_coroutine)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    expectThrows(() => loop.callSoonThreadsafe(42 as never), TypeError);
    expectThrows(() => loop.callSoonThreadsafe(null as never), TypeError);
    loop.callSoonThreadsafe(() => record.push("ok"));
    await runOnce(loop);
    expect(record).toEqual(["ok"]);
  });

  it("the call_soon(stop) + run_forever idiom runs one iteration (test_base_events.BaseEventLoopTests.test_run_once)", async () => {
    const loop = makeLoop(core);
    let count = 0;
    loop.callSoon(() => {
      count += 1;
    });
    await runOnce(loop);
    expect(count).toBe(1);
    await runOnce(loop);
    expect(count).toBe(1);
  });

  it("callbacks see the running loop as getRunningLoop() (test_events.GetEventLoopTestsMixin.test_get_event_loop_returns_running_loop)", async () => {
    const { getRunningLoop } = await import("../../src/index.ts");
    const loop = makeLoop(core);
    let seen: unknown = undefined;
    loop.callSoon(() => {
      seen = getRunningLoop();
    });
    await runOnce(loop);
    expect(seen).toBe(loop);
  });

  it("ten thousand chained callbacks keep order (stress for the ready ring)", async () => {
    const loop = makeLoop(core);
    const record: number[] = [];
    const N = 10_000;
    const step = (i: number) => {
      record.push(i);
      if (i + 1 < N) loop.callSoon(step, i + 1);
      else loop.stop();
    };
    loop.callSoon(step, 0);
    await loop.runForever();
    expect(record.length).toBe(N);
    expect(record.every((v, i) => v === i)).toBe(true);
  });


  it("a stale handle cannot cancel the callback that reused its slot (handles are slot + generation)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const old = Array.from({ length: 500 }, (_, i) => loop.callSoon(() => record.push(`old${i}`)));
    await runOnce(loop);
    await runOnce(loop); // let the core recycle the slots
    record.length = 0;
    const fresh = Array.from({ length: 500 }, (_, i) => loop.callSoon(() => record.push(`new${i}`)));
    for (const h of old) h.cancel();
    await runOnce(loop);
    expect(record).toEqual(Array.from({ length: 500 }, (_, i) => `new${i}`));
    for (const h of fresh) expect(h.cancelled()).toBe(false);
  });


  it("call_soon passes exactly the arguments given (test_events.HandleTests.test_handle)", async () => {
    const loop = makeLoop(core);
    const record: unknown[] = [];
    const cb = (...a: unknown[]) => record.push(a);
    loop.callSoon(cb);
    loop.callSoon(cb, undefined);
    loop.callSoon(cb, null, 0, "");
    const obj = {};
    loop.callSoon(cb, obj);
    await runOnce(loop);
    expect(record).toEqual([[], [undefined], [null, 0, ""], [obj]]);
    expect((record[3] as unknown[])[0]).toBe(obj);
  });
});
