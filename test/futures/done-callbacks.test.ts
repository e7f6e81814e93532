// Future done callbacks — ported from CPython's test_futures.py (BaseFutureDoneCallbackTests).
// Done callbacks are scheduled through the loop (callSoon), never called inline.

import { describe, expect, it } from "vitest";
import { ValueError } from "../../src/index.ts";
import { CORES, expectThrows, makeLoop, runBriefly, runOnce, expectSameItems } from "../helpers.ts";

const bagAppender = (bag: unknown[], thing: unknown) => (_fut: unknown) => {
  bag.push(thing);
};

describe.each(CORES)("%s core", (core) => {
  it("removing the first callback (test_futures.BaseFutureDoneCallbackTests.test_callbacks_remove_first_callback)", async () => {
    const loop = makeLoop(core);
    const bag: unknown[] = [];
    const f = loop.createFuture();
    const cb1 = bagAppender(bag, 42);
    const cb2 = bagAppender(bag, 17);
    const cb3 = bagAppender(bag, 100);
    f.addDoneCallback(cb1);
    f.addDoneCallback(cb2);
    f.addDoneCallback(cb3);
    f.removeDoneCallback(cb1);
    f.removeDoneCallback(cb1);
    expect(bag).toEqual([]);
    f.setResult("foo");
    await runBriefly(loop);
    expect(bag).toEqual([17, 100]);
    expect(f.result()).toBe("foo");
  });

  it("removing the first and second callbacks (test_futures.BaseFutureDoneCallbackTests.test_callbacks_remove_first_and_second_callback)", async () => {
    const loop = makeLoop(core);
    const bag: unknown[] = [];
    const f = loop.createFuture();
    const cb1 = bagAppender(bag, 42);
    const cb2 = bagAppender(bag, 17);
    const cb3 = bagAppender(bag, 100);
    f.addDoneCallback(cb1);
    f.addDoneCallback(cb2);
    f.addDoneCallback(cb3);
    f.removeDoneCallback(cb1);
    f.removeDoneCallback(cb2);
    f.removeDoneCallback(cb1);
    expect(bag).toEqual([]);
    f.setResult("foo");
    await runBriefly(loop);
    expect(bag).toEqual([100]);
    expect(f.result()).toBe("foo");
  });

  it("removing the third callback (test_futures.BaseFutureDoneCallbackTests.test_callbacks_remove_third_callback)", async () => {
    const loop = makeLoop(core);
    const bag: unknown[] = [];
    const f = loop.createFuture();
    const cb1 = bagAppender(bag, 42);
    const cb2 = bagAppender(bag, 17);
    const cb3 = bagAppender(bag, 100);
    f.addDoneCallback(cb1);
    f.addDoneCallback(cb2);
    f.addDoneCallback(cb3);
    f.removeDoneCallback(cb3);
    f.removeDoneCallback(cb3);
    expect(bag).toEqual([]);
    f.setResult("foo");
    await runBriefly(loop);
    expect(bag).toEqual([42, 17]);
    expect(f.result()).toBe("foo");
  });

  it("callbacks run in order after set_result, not inline (test_futures.BaseFutureDoneCallbackTests.test_callbacks_invoked_on_set_result)", async () => {
    const loop = makeLoop(core);
    const bag: unknown[] = [];
    const f = loop.createFuture();
    f.addDoneCallback(bagAppender(bag, 42));
    f.addDoneCallback(bagAppender(bag, 17));
    expect(bag).toEqual([]);
    f.setResult("foo");
    expect(bag).toEqual([]); // scheduled, not called
    await runBriefly(loop);
    expect(bag).toEqual([42, 17]);
    expect(f.result()).toBe("foo");
  });

  it("callbacks run after set_exception (test_futures.BaseFutureDoneCallbackTests.test_callbacks_invoked_on_set_exception)", async () => {
    const loop = makeLoop(core);
    const bag: unknown[] = [];
    const f = loop.createFuture();
    f.addDoneCallback(bagAppender(bag, 100));
    expect(bag).toEqual([]);
    const exc = new ValueError("x");
    f.setException(exc);
    await runBriefly(loop);
    expect(bag).toEqual([100]);
    expect(f.exception()).toBe(exc);
  });

  it("callbacks run after cancel() and receive the future", async () => {
    const loop = makeLoop(core);
    const seen: unknown[] = [];
    const f = loop.createFuture();
    f.addDoneCallback((fut: unknown) => seen.push(fut));
    f.cancel();
    expect(seen).toEqual([]);
    await runOnce(loop);
    expectSameItems(seen, [f]);
  });

  it("remove_done_callback returns how many it removed (test_futures.BaseFutureDoneCallbackTests.test_remove_done_callback)", async () => {
    const loop = makeLoop(core);
    const bag: unknown[] = [];
    const f = loop.createFuture();
    const cb1 = bagAppender(bag, 1);
    const cb2 = bagAppender(bag, 2);
    const cb3 = bagAppender(bag, 3);
    f.addDoneCallback(cb1);
    f.addDoneCallback(cb2);
    expect(f.removeDoneCallback(cb2)).toBe(1);
    expect(f.removeDoneCallback(cb3)).toBe(0);
    f.addDoneCallback(cb2);
    for (let i = 0; i < 5; i++) f.addDoneCallback(cb1);
    expect(f.removeDoneCallback(cb1)).toBe(6);
    expect(bag).toEqual([]);
    f.setResult("foo");
    await runBriefly(loop);
    expect(bag).toEqual([2]);
    expect(f.result()).toBe("foo");
  });

  it("remove_done_callback after completion removes nothing and the callbacks still run (test_futures.BaseFutureDoneCallbackTests.test_remove_done_callbacks_list_clear)", async () => {
    const loop = makeLoop(core);
    const bag: unknown[] = [];
    const f = loop.createFuture();
    const cb = bagAppender(bag, "ran");
    f.addDoneCallback(cb);
    f.setResult(1);
    // Already scheduled: asyncio clears the list when it schedules the callbacks.
    expect(f.removeDoneCallback(cb)).toBe(0);
    await runOnce(loop);
    expect(bag).toEqual(["ran"]);
  });

  it("a callback added to a done future is scheduled soon, not called inline (asyncio Future.add_done_callback)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const f = loop.createFuture();
    f.setResult(1);
    loop.callSoon(() => record.push("earlier callSoon"));
    f.addDoneCallback(() => record.push("done callback"));
    expect(record).toEqual([]);
    await runOnce(loop);
    expect(record).toEqual(["earlier callSoon", "done callback"]);
  });

  it("a callback that mutates the list while callbacks are scheduled is safe (test_futures.BaseFutureDoneCallbackTests.test_schedule_callbacks_list_mutation_1)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const str = () => record.push("str");
    const f = loop.createFuture();
    f.addDoneCallback((fut: { removeDoneCallback(fn: unknown): number }) => {
      record.push("mut");
      fut.removeDoneCallback(str);
    });
    f.addDoneCallback(str);
    f.addDoneCallback(str);
    f.setResult(1);
    await runBriefly(loop);
    expect(record).toEqual(["mut", "str", "str"]);
  });

  it("many callbacks and removals in between (test_futures.BaseFutureDoneCallbackTests.test_remove_done_callbacks_list_mutation)", async () => {
    const loop = makeLoop(core);
    const record: number[] = [];
    const f = loop.createFuture();
    const id = () => record.push(1);
    const str = () => record.push(0);
    f.addDoneCallback(str);
    for (let i = 0; i < 63; i++) f.addDoneCallback(id);
    expect(f.removeDoneCallback(id)).toBe(63);
    expect(f.removeDoneCallback(() => {})).toBe(0);
    f.setResult(null);
    await runBriefly(loop);
    expect(record).toEqual([0]);
  });

  it("add_done_callback with a non-function is a TypeError at the call (SPEC Errors)", async () => {
    const loop = makeLoop(core);
    const bag: unknown[] = [];
    const f = loop.createFuture();
    expectThrows(() => f.addDoneCallback(42 as never), TypeError);
    expectThrows(() => f.addDoneCallback(null as never), TypeError);
    f.addDoneCallback(bagAppender(bag, "fine"));
    f.setResult(null);
    await runBriefly(loop);
    expect(bag).toEqual(["fine"]);
  });
});
