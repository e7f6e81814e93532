// callLater / callAt / TimerHandle / time() on the virtual clock — ported from CPython's
// test_base_events.py (BaseEventLoopTests) and test_events.py (EventLoopTestsMixin, TimerTests).

import { describe, expect, it } from "vitest";
import { ValueError, Handle, TimerHandle, RuntimeError, getRunningLoop, runSync, sleep } from "../../src/index.ts";
import { CORES, expectBadArgument, expectThrows, makeLoop, runOnce } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("call_later runs the callback with its argument after the delay (test_events.EventLoopTestsMixin.test_call_later)", async () => {
    const loop = makeLoop(core);
    const results: unknown[] = [];
    loop.callLater(0.1, (arg: string) => {
      results.push([arg, loop.time()]);
      loop.stop();
    }, "hello world");
    await loop.runForever();
    expect(results).toHaveLength(1);
    const [arg, t] = results[0] as [string, number];
    expect(arg).toBe("hello world");
    expect(t).toBeCloseTo(0.1, 9);
  });

  it("call_later returns a TimerHandle that is scheduled, not ready (test_base_events.BaseEventLoopTests.test_call_later)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const h = loop.callLater(10.0, () => record.push("timer"));
    expect(h.cancelled()).toBe(false);
    expect(h.when()).toBeCloseTo(loop.time() + 10.0, 9);
    await runOnce(loop);
    expect(record).toEqual([]); // not in the ready queue
  });

  it("call_later with a missing delay is a TypeError (test_base_events.BaseEventLoopTests.test_call_later)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    expectThrows(() => loop.callLater(null as never, () => {}), TypeError);
    expectThrows(() => loop.callLater(undefined as never, () => {}), TypeError);
    loop.callLater(0, () => record.push("still works"));
    await runOnce(loop);
    expect(record).toEqual(["still works"]);
  });

  it("call_later with a NaN or non-number delay names 'delay' and leaves the scheduler intact (SPEC Errors)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callLater(1, () => record.push("queued before"));
    expectBadArgument(() => loop.callLater(NaN, () => record.push("nan")), "delay", ValueError);
    expectBadArgument(() => loop.callLater("1" as never, () => record.push("str")), "delay", ValueError);
    loop.callLater(2, () => {
      record.push("queued after");
      loop.stop();
    });
    await loop.runForever();
    expect(record).toEqual(["queued before", "queued after"]);
    expect(loop.time()).toBeCloseTo(2, 9);
  });

  it("call_later / call_at reject a non-function callback (test_base_events.BaseEventLoopTests.test_call_coroutine)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    expectThrows(() => loop.callLater(1, "cb" as never), TypeError);
    expectThrows(() => loop.callAt(loop.time() + 1, 1 as never), TypeError);
    expectThrows(() => loop.callLater(1, (function* () {})() as never), TypeError);
    loop.callLater(0.5, () => {
      record.push("ok");
      loop.stop();
    });
    await loop.runForever();
    expect(record).toEqual(["ok"]);
  });

  it("negative delays fire at once, earliest deadline first (test_base_events.BaseEventLoopTests.test_call_later_negative_delays)", async () => {
    const loop = makeLoop(core);
    const calls: string[] = [];
    loop.callLater(-1, (a: string) => calls.push(a), "a");
    loop.callLater(-2, (a: string) => calls.push(a), "b");
    await runOnce(loop);
    expect(calls).toEqual(["b", "a"]);
    expect(loop.time()).toBe(0);
  });

  it("call_at fires at its deadline on the loop's clock (test_base_events.BaseEventLoopTests.test_time_and_call_at)", async () => {
    const loop = makeLoop(core);
    const delay = 0.1;
    const when = loop.time() + delay;
    const h = loop.callAt(when, () => loop.stop());
    expect(h.when()).toBe(when);
    const t0 = loop.time();
    await loop.runForever();
    const dt = loop.time() - t0;
    expect(dt).toBeGreaterThanOrEqual(delay);
    expect(dt).toBeCloseTo(delay, 9); // virtual clock: exactly the deadline
  });

  it("call_at with a missing or NaN 'when' is rejected at the call (test_base_events.BaseEventLoopTests.test_time_and_call_at)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    expectThrows(() => loop.callAt(null as never, () => {}), TypeError);
    expectBadArgument(() => loop.callAt(NaN, () => {}), "when", ValueError);
    loop.callAt(0.25, () => {
      record.push("ok");
      loop.stop();
    });
    await loop.runForever();
    expect(record).toEqual(["ok"]);
  });

  it("TimerHandle.when() is the absolute deadline (test_events.TimerTests.test_when)", () => {
    const loop = makeLoop(core);
    const h1 = loop.callAt(12.5, () => {});
    const h2 = loop.callLater(3, () => {});
    expect(h1.when()).toBe(12.5);
    expect(h2.when()).toBeCloseTo(3, 9);
  });

  it("a cancelled timer never fires (test_events.TimerTests.test_timer)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const h = loop.callLater(1, () => record.push("cancelled timer"));
    loop.callLater(2, () => {
      record.push("live timer");
      loop.stop();
    });
    expect(h.cancelled()).toBe(false);
    h.cancel();
    expect(h.cancelled()).toBe(true);
    h.cancel();
    await loop.runForever();
    expect(record).toEqual(["live timer"]);
  });

  it("timers with equal deadlines fire in the order they were scheduled (asyncio heapq + seq)", async () => {
    const loop = makeLoop(core);
    const record: number[] = [];
    for (let i = 0; i < 20; i++) {
      if (i % 2 === 0) loop.callAt(1, (n: number) => record.push(n), i);
      else loop.callLater(1, (n: number) => record.push(n), i);
    }
    loop.callAt(1, () => loop.stop());
    await loop.runForever();
    expect(record).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("timers fire in deadline order whatever the insertion order (test_events.TimerTests.test_timer_comparison)", async () => {
    const loop = makeLoop(core);
    const record: Array<[number, number]> = [];
    const delays = [5, 0.5, 3, 9, 0.1, 7, 2, 2.5, 8, 1, 4, 6];
    for (const d of delays) loop.callLater(d, () => record.push([d, loop.time()]));
    loop.callLater(10, () => loop.stop());
    await loop.runForever();
    const sorted = [...delays].sort((a, b) => a - b);
    expect(record.map(([d]) => d)).toEqual(sorted);
    for (const [d, t] of record) expect(t).toBeCloseTo(d, 9);
  });

  it("due timers join the ready queue behind handles already ready (test_base_events.BaseEventLoopTests.test__run_once)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callLater(0, () => record.push("timer(0)"));
    loop.callSoon(() => record.push("soon"));
    await runOnce(loop);
    expect(record).toEqual(["soon", "timer(0)"]);
  });

  it("a timer cancelled by an earlier callback with the same deadline does not run (test_base_events.BaseEventLoopTests.test__run_once_cancelled_event_cleanup)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    let second: { cancel(): void } | null = null;
    loop.callLater(1, () => {
      record.push("first");
      second!.cancel();
    });
    second = loop.callLater(1, () => record.push("second"));
    loop.callLater(1, () => record.push("third"));
    loop.callLater(2, () => loop.stop());
    await loop.runForever();
    expect(record).toEqual(["first", "third"]);
  });

  it("many cancelled timers are dropped and the live ones keep their order (test_base_events.BaseEventLoopTests.test__run_once_cancelled_event_cleanup)", async () => {
    const loop = makeLoop(core);
    const record: number[] = [];
    const handles = [];
    for (let i = 0; i < 400; i++) {
      handles.push(loop.callLater(1 + (i % 37) / 10, (n: number) => record.push(n), i));
    }
    for (let i = 0; i < 400; i++) if (i % 3 !== 0) handles[i]!.cancel();
    loop.callLater(100, () => loop.stop());
    await loop.runForever();
    const expected = Array.from({ length: 400 }, (_, i) => i)
      .filter((i) => i % 3 === 0)
      .sort((a, b) => (a % 37) - (b % 37) || a - b);
    expect(record).toEqual(expected);
    expect(handles.filter((h) => h.cancelled()).length).toBe(266);
  });

  it("the virtual clock starts at 0 and jumps to the next deadline (SPEC Determinism)", async () => {
    const loop = makeLoop(core);
    expect(loop.time()).toBe(0);
    const record: number[] = [];
    loop.callLater(3600, () => {
      record.push(loop.time());
      loop.stop();
    });
    const started = Date.now();
    await loop.runForever();
    expect(record).toEqual([3600]);
    expect(loop.time()).toBe(3600);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("time() is monotonic across iterations (test_base_events.BaseEventLoopTests.test_time_and_call_at)", async () => {
    const loop = makeLoop(core);
    const times: number[] = [];
    for (const d of [0, 0.001, 0.5, 0.5, 2, 1e-9, 30]) {
      loop.callLater(d, () => times.push(loop.time()));
    }
    loop.callLater(31, () => loop.stop());
    await loop.runForever();
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
  });

  it("a timer scheduled from a timer callback fires after the remaining due ones (test_base_events.BaseEventLoopTests.test__run_once_schedule_handle)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callLater(1, () => {
      record.push("t1");
      loop.callLater(0, () => record.push("t1 -> later(0)"));
      loop.callSoon(() => record.push("t1 -> soon"));
    });
    loop.callLater(1, () => record.push("t2"));
    loop.callLater(5, () => loop.stop());
    await loop.runForever();
    expect(record).toEqual(["t1", "t2", "t1 -> soon", "t1 -> later(0)"]);
  });


  it("call_soon gives a Handle, call_later / call_at a TimerHandle (test_base_events.BaseEventLoopTests.test_call_later)", () => {
    const loop = makeLoop(core);
    const h = loop.callSoon(() => {});
    const t1 = loop.callLater(1, () => {});
    const t2 = loop.callAt(2, () => {});
    expect(h).toBeInstanceOf(Handle);
    expect(h).not.toBeInstanceOf(TimerHandle);
    expect(t1).toBeInstanceOf(TimerHandle);
    expect(t2).toBeInstanceOf(TimerHandle);
    expect(t1).toBeInstanceOf(Handle);
  });

  it("call_at in the past runs on the next iteration, in deadline order (test_base_events.BaseEventLoopTests.test_call_later_negative_delays)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callLater(5, () => {
      loop.callAt(1, () => record.push("at 1"));
      loop.callAt(0, () => record.push("at 0"));
      loop.callAt(loop.time(), () => record.push("at now"));
      loop.callSoon(() => record.push("soon"));
    });
    loop.callLater(6, () => loop.stop());
    await loop.runForever();
    expect(record).toEqual(["soon", "at 0", "at 1", "at now"]);
  });

  it("a timer at +Infinity never fires and does not hold up the program (asyncio accepts math.inf)", () => {
    const record: string[] = [];
    const t = runSync(
      function* () {
        const loop = getRunningLoop();
        loop.callLater(Infinity, () => record.push("infinite timer fired"));
        yield* sleep(1);
        return loop.time();
      },
      { core },
    );
    expect(t).toBe(1);
    expect(record).toEqual([]);
  });

  it("waiting on a future that only a +Infinity timer would resolve is a deadlock, not a jump to Infinity (SPEC Details: runSync never hangs)", () => {
    const record: number[] = [];
    expectThrows(
      () =>
        runSync(
          function* () {
            const loop = getRunningLoop();
            const fut = loop.createFuture();
            loop.callLater(Infinity, () => {
              record.push(loop.time());
              fut.setResult(null);
            });
            yield* fut;
          },
          { core },
        ),
      RuntimeError,
    );
    expect(record).toEqual([]);
  });

  it("cancelling a timer inside its own callback, or after it fired, is harmless (test_events.TimerTests.test_timer)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    let self: { cancel(): void; cancelled(): boolean } | null = null;
    self = loop.callLater(1, () => {
      record.push("fired");
      self!.cancel();
    });
    const other = loop.callLater(2, () => record.push("other"));
    loop.callLater(3, () => {
      other.cancel();
      record.push(`other.cancelled()=${other.cancelled()}`);
      loop.stop();
    });
    await loop.runForever();
    expect(record).toEqual(["fired", "other", "other.cancelled()=true"]);
  });


  it("a stale timer handle cannot cancel the timer that reused its slot (handles are slot + generation)", async () => {
    const loop = makeLoop(core);
    const record: number[] = [];
    const old = Array.from({ length: 300 }, (_, i) => loop.callLater(1 + i / 1000, () => record.push(-i)));
    loop.callLater(2, () => loop.stop());
    await loop.runForever();
    await runOnce(loop);
    expect(record.length).toBe(300);
    record.length = 0;
    Array.from({ length: 300 }, (_, i) => loop.callLater(1 + i / 1000, () => record.push(i)));
    for (const h of old) h.cancel();
    loop.callLater(2, () => loop.stop());
    await loop.runForever();
    expect(record).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});
