// getRunningLoop / getEventLoop / setEventLoop / newEventLoop — ported from CPython's
// test_events.py (PolicyTests, GetEventLoopTestsMixin).

import { describe, expect, it } from "vitest";
import { RuntimeError, getEventLoop, getRunningLoop, newEventLoop, runSync, setEventLoop } from "../../src/index.ts";
import { CORES, expectThrows, makeLoop, resetEventLoopAfter, runOnce, expectSameItems } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("get_running_loop() outside a loop is a RuntimeError (test_events.GetEventLoopTestsMixin.test_get_event_loop_returns_running_loop)", () => {
    expectThrows(() => getRunningLoop(), RuntimeError, /no running/);
  });

  it("inside a running loop, get_running_loop() and get_event_loop() are that loop (test_events.GetEventLoopTestsMixin.test_get_event_loop_returns_running_loop2)", async () => {
    const loop = makeLoop(core);
    const other = makeLoop(core);
    resetEventLoopAfter();
    setEventLoop(other); // the running loop wins over the current one
    const seen: unknown[] = [];
    loop.callSoon(() => seen.push(getRunningLoop(), getEventLoop()));
    await runOnce(loop);
    expectSameItems(seen, [loop, loop]);
    expectThrows(() => getRunningLoop(), RuntimeError, /no running/);
    expect(getEventLoop()).toBe(other);
  });

  it("set_event_loop / get_event_loop round-trip (test_events.PolicyTests.test_set_event_loop)", () => {
    const oldLoop = makeLoop(core);
    const loop = makeLoop(core);
    resetEventLoopAfter();
    setEventLoop(oldLoop);
    expect(getEventLoop()).toBe(oldLoop);
    setEventLoop(loop);
    expect(getEventLoop()).toBe(loop);
    expect(getEventLoop()).not.toBe(oldLoop);
  });

  it("set_event_loop rejects something that is not a loop (test_events.PolicyTests.test_set_event_loop)", () => {
    const loop = makeLoop(core);
    resetEventLoopAfter();
    setEventLoop(loop);
    expectThrows(() => setEventLoop({} as never), TypeError);
    expectThrows(() => setEventLoop(42 as never), TypeError);
    expect(getEventLoop()).toBe(loop);
  });

  it("get_event_loop() after set_event_loop(None) is a RuntimeError (test_events.PolicyTests.test_get_event_loop_after_set_none)", () => {
    resetEventLoopAfter();
    setEventLoop(null);
    expectThrows(() => getEventLoop(), RuntimeError);
  });

  it("new_event_loop() gives a fresh, open, idle loop each time (test_events.PolicyTests.test_new_event_loop)", () => {
    const a = newEventLoop({ core, clock: "virtual" } as never);
    const b = newEventLoop({ core, clock: "virtual" } as never);
    try {
      expect(a).not.toBe(b);
      expect(a.isClosed()).toBe(false);
      expect(a.isRunning()).toBe(false);
      expect(a.time()).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });

  it("after runSync there is no running loop left behind (test_runners.RunTests.test_asyncio_run_set_event_loop)", () => {
    runSync(function* () {}, { core });
    expectThrows(() => getRunningLoop(), RuntimeError, /no running/);
  });

  it("get_running_loop() is restored after a loop throws out of run_until_complete", async () => {
    const loop = makeLoop(core);
    try {
      await loop.runUntilComplete(
        (function* () {
          throw new Error("out");
        })(),
      );
    } catch {
      // expected
    }
    expectThrows(() => getRunningLoop(), RuntimeError, /no running/);
    expect(loop.isRunning()).toBe(false);
  });
});
