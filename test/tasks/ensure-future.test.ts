// ensureFuture — ported from CPython's test_tasks.py (test_ensure_future_*).

import { describe, expect, it } from "vitest";
import { Task, ValueError, ensureFuture, getRunningLoop, runSync, setEventLoop, sleep } from "../../src/index.ts";
import { CORES, expectThrows, makeLoop, resetEventLoopAfter } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  function* notmuch() {
    return "ok";
  }

  it("a coroutine becomes a task on the given loop (test_tasks.BaseTaskTests.test_ensure_future_coroutine)", async () => {
    const loop = makeLoop(core);
    const t = ensureFuture(notmuch(), { loop });
    expect(t).toBeInstanceOf(Task);
    expect(t.getLoop()).toBe(loop);
    await loop.runUntilComplete(t);
    expect(t.done()).toBe(true);
    expect(t.result()).toBe("ok");
  });

  it("inside a running loop a coroutine becomes a task of that loop (test_tasks.BaseTaskTests.test_ensure_future_coroutine)", () => {
    const [same, r] = runSync(
      function* () {
        const t = ensureFuture(notmuch());
        return [t.getLoop() === getRunningLoop(), yield* t] as const;
      },
      { core },
    );
    expect(same).toBe(true);
    expect(r).toBe("ok");
  });

  it("outside a running loop, the current event loop is used (test_tasks.BaseTaskTests.test_ensure_future_coroutine)", async () => {
    const loop = makeLoop(core);
    resetEventLoopAfter();
    setEventLoop(loop);
    const t = ensureFuture(notmuch());
    expect(t.getLoop()).toBe(loop);
    expect(await loop.runUntilComplete(t)).toBe("ok");
  });

  it("a future is returned as is (test_tasks.BaseTaskTests.test_ensure_future_future)", async () => {
    const loop = makeLoop(core);
    const fOrig = loop.createFuture();
    fOrig.setResult("ko");
    const f = ensureFuture(fOrig);
    expect(f).toBe(fOrig);
    expect(await loop.runUntilComplete(f)).toBe("ko");
    expect(ensureFuture(fOrig, { loop })).toBe(fOrig);
  });

  it("a future of another loop is a ValueError when a loop is given (test_tasks.BaseTaskTests.test_ensure_future_error_msg)", () => {
    const loop = makeLoop(core);
    const other = makeLoop(core);
    const f = loop.createFuture();
    expectThrows(() => ensureFuture(f, { loop: other }), ValueError, /different loop/);
  });

  it("a task is returned as is (test_tasks.BaseTaskTests.test_ensure_future_task)", async () => {
    const loop = makeLoop(core);
    const tOrig = loop.createTask(notmuch());
    const t = ensureFuture(tOrig);
    expect(t).toBe(tOrig);
    expect(await loop.runUntilComplete(t)).toBe("ok");
    const other = makeLoop(core);
    expectThrows(() => ensureFuture(tOrig, { loop: other }), ValueError);
    expect(ensureFuture(tOrig, { loop })).toBe(tOrig);
  });

  it("anything else is a TypeError (test_tasks.BaseTaskTests.test_ensure_future_neither)", () => {
    const loop = makeLoop(core);
    for (const bad of ["ok", 42, null, undefined, {}, notmuch, () => 1]) {
      expectThrows(() => ensureFuture(bad as never, { loop }), TypeError);
    }
  });

  it("ensure_future schedules the coroutine without running it inline (asyncio.ensure_future)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const t = ensureFuture(
      (function* () {
        record.push("ran");
        yield* sleep(0);
      })(),
      { loop },
    );
    expect(record).toEqual([]);
    await loop.runUntilComplete(t);
    expect(record).toEqual(["ran"]);
  });
});
