// Future state machine — ported from CPython's test_futures.py (BaseFutureTests).

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  Future,
  InvalidStateError,
  RuntimeError,
  ValueError,
  createTask,
  getRunningLoop,
  runSync,
  setEventLoop,
  sleep,
} from "../../src/index.ts";
import { CORES, expectFails, expectThrows, makeLoop, resetEventLoopAfter, runOnce } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("a new future is pending and not cancelled (test_futures.BaseFutureTests.test_initial_state)", () => {
    const loop = makeLoop(core);
    const f = loop.createFuture();
    expect(f.cancelled()).toBe(false);
    expect(f.done()).toBe(false);
    expect(f).toBeInstanceOf(Future);
    f.cancel();
    expect(f.cancelled()).toBe(true);
  });

  it("cancel() makes the future done and cancelled, once (test_futures.BaseFutureTests.test_cancel)", () => {
    const loop = makeLoop(core);
    const f = loop.createFuture();
    expect(f.cancel()).toBe(true);
    expect(f.cancelled()).toBe(true);
    expect(f.done()).toBe(true);
    expectThrows(() => f.result(), CancelledError);
    expectThrows(() => f.exception(), CancelledError);
    expectThrows(() => f.setResult(null), InvalidStateError);
    expectThrows(() => f.setException(new ValueError("x")), InvalidStateError);
    expect(f.cancel()).toBe(false);
  });

  it("set_result makes the result available, once (test_futures.BaseFutureTests.test_result)", () => {
    const loop = makeLoop(core);
    const f = loop.createFuture();
    expectThrows(() => f.result(), InvalidStateError);
    f.setResult(42);
    expect(f.cancelled()).toBe(false);
    expect(f.done()).toBe(true);
    expect(f.result()).toBe(42);
    expect(f.exception()).toBeNull();
    expectThrows(() => f.setResult(null), InvalidStateError);
    expectThrows(() => f.setException(new ValueError("x")), InvalidStateError);
    expect(f.cancel()).toBe(false);
    expect(f.result()).toBe(42);
  });

  it("set_exception stores the very exception instance (test_futures.BaseFutureTests.test_exception)", () => {
    const loop = makeLoop(core);
    const exc = new RuntimeError("stored");
    const f = loop.createFuture();
    expectThrows(() => f.exception(), InvalidStateError);
    f.setException(exc);
    expect(f.cancelled()).toBe(false);
    expect(f.done()).toBe(true);
    let thrown: unknown = null;
    try {
      f.result();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(exc);
    expect(f.exception()).toBe(exc);
    expectThrows(() => f.setResult(null), InvalidStateError);
    expectThrows(() => f.setException(new ValueError("x")), InvalidStateError);
    expect(f.cancel()).toBe(false);
  });

  it("set_result on a done future is an InvalidStateError and the loop keeps running its work (SPEC Futures and tasks)", async () => {
    const loop = makeLoop(core);
    const record: unknown[] = [];
    const f = loop.createFuture();
    f.addDoneCallback((fut: { result(): unknown }) => record.push(["done cb", fut.result()]));
    loop.callSoon(() => record.push("queued"));
    f.setResult("first");
    expectThrows(() => f.setResult("second"), InvalidStateError);
    expectThrows(() => f.setException(new ValueError("late")), InvalidStateError);
    await runOnce(loop);
    expect(record).toEqual(["queued", ["done cb", "first"]]);
    expect(f.result()).toBe("first");
  });

  it("result() and exception() of a pending future are InvalidStateError (test_futures.BaseFutureTests.test_uninitialized)", () => {
    const loop = makeLoop(core);
    const f = loop.createFuture();
    const e1 = expectThrows(() => f.result(), InvalidStateError) as Error;
    expect(e1.message.length).toBeGreaterThan(0);
    expectThrows(() => f.exception(), InvalidStateError);
    expect(f.done()).toBe(false);
  });

  it("new Future() binds to the running loop (test_futures.BaseFutureTests.test_constructor_use_running_loop)", () => {
    const [f, loop] = runSync(
      function* () {
        yield* sleep(0);
        return [new Future(), getRunningLoop()] as const;
      },
      { core },
    );
    expect(f.getLoop()).toBe(loop);
  });

  it("new Future() outside a running loop binds to the current event loop (test_futures.BaseFutureTests.test_constructor_use_global_loop)", () => {
    const loop = makeLoop(core);
    resetEventLoopAfter();
    setEventLoop(loop);
    const f = new Future();
    expect(f.getLoop()).toBe(loop);
  });

  it("createFuture() futures belong to their loop (test_futures.BaseFutureTests.test_constructor_use_running_loop)", () => {
    const a = makeLoop(core);
    const b = makeLoop(core);
    expect(a.createFuture().getLoop()).toBe(a);
    expect(b.createFuture().getLoop()).toBe(b);
  });

  it("cancel(msg) is carried by the CancelledError (test_futures.BaseFutureTests.test_future_cancel_message_getter)", async () => {
    const loop = makeLoop(core);
    const f = loop.createFuture();
    f.cancel("my message");
    const err = (await expectFails(() => loop.runUntilComplete(f), CancelledError)) as Error;
    expect(err.message).toBe("my message");
    const again = expectThrows(() => f.result(), CancelledError) as Error;
    expect(again.message).toBe("my message");
  });

  it("an awaiting task receives the future's cancellation message (test_futures.BaseFutureTests.test_future_cancel_message_setter)", () => {
    const out = runSync(
      function* () {
        const loop = getRunningLoop();
        const fut = loop.createFuture();
        const t = createTask(
          (function* () {
            try {
              yield* fut;
              return "not cancelled";
            } catch (e) {
              return e instanceof CancelledError ? `caught: ${(e as Error).message}` : `other: ${String(e)}`;
            }
          })(),
        );
        yield* sleep(0);
        fut.cancel("stop waiting");
        return yield* t;
      },
      { core },
    );
    expect(out).toBe("caught: stop waiting");
  });

  it("a future can hold null and undefined-like results (Python None is null)", () => {
    const loop = makeLoop(core);
    const f = loop.createFuture();
    f.setResult(null);
    expect(f.result()).toBeNull();
    expect(f.exception()).toBeNull();
  });

  it("cancelling an already-failed future returns false and keeps the exception (test_futures.BaseFutureTests.test_tb_logger_not_called_after_cancel)", () => {
    const loop = makeLoop(core);
    const f = loop.createFuture();
    const e = new ValueError("kept");
    f.setException(e);
    expect(f.cancel()).toBe(false);
    expect(f.cancelled()).toBe(false);
    expect(f.exception()).toBe(e);
  });
});
