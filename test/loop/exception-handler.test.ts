// Exception handlers and error reporting — ported from CPython's test_base_events.py
// (test_default_exc_handler_*, test_set_exc_handler_*), test_events.py
// (HandleTests.test_callback_with_exception) and test_futures.py (test_tb_logger_*).

import { describe, expect, it } from "vitest";
import { CancelledError, Handle, ValueError, createTask, getRunningLoop, runSync, sleep } from "../../src/index.ts";
import { CORES, captureConsole, expectThrows, makeLoop, runOnce } from "../helpers.ts";

type Ctx = Record<string, unknown>;

describe.each(CORES)("%s core", (core) => {
  it("the default handler logs 'Exception in callback' for call_soon and call_later (test_base_events.BaseEventLoopTests.test_default_exc_handler_callback)", async () => {
    const out = captureConsole();
    const loop = makeLoop(core);
    const zeroError = (fut: { setResult(v: unknown): void }) => {
      fut.setResult(true);
      throw new ValueError("zero division in callback");
    };
    let fut = loop.createFuture();
    loop.callSoon(zeroError, fut);
    fut.addDoneCallback(() => loop.stop());
    await loop.runForever();
    expect(out.text()).toMatch(/Exception in callback/);
    expect(out.text()).toContain("zero division in callback");

    const before = out.calls().length;
    fut = loop.createFuture();
    loop.callLater(0.01, zeroError, fut);
    fut.addDoneCallback(() => loop.stop());
    await loop.runForever();
    expect(out.calls().length).toBeGreaterThan(before);
    expect(out.text()).toMatch(/Exception in callback/);
  });

  it("a custom handler gets the loop and a context with message, exception and handle (test_base_events.BaseEventLoopTests.test_set_exc_handler_custom)", async () => {
    const out = captureConsole();
    const loop = makeLoop(core);
    loop.setDebug(true); // as the CPython test does
    expect(loop.getExceptionHandler()).toBeNull();
    const calls: Array<[unknown, Ctx]> = [];
    const handler = (l: unknown, ctx: Ctx) => {
      calls.push([l, ctx]);
    };
    loop.setExceptionHandler(handler);
    expect(loop.getExceptionHandler()).toBe(handler);
    const boom = new ValueError("zero_error");
    const handle = loop.callSoon(function zeroError() {
      throw boom;
    });
    await runOnce(loop);
    expect(calls).toHaveLength(1);
    const [l, ctx] = calls[0]!;
    expect(l).toBe(loop);
    expect(ctx.exception).toBe(boom);
    expect(String(ctx.message)).toMatch(/Exception in callback/);
    expect(ctx.handle).toBe(handle);
    expect(out.calls()).toEqual([]); // nothing printed: the custom handler took it

    // Back to the default handler.
    loop.setExceptionHandler(null);
    expect(loop.getExceptionHandler()).toBeNull();
    loop.callSoon(() => {
      throw new ValueError("second");
    });
    await runOnce(loop);
    expect(calls).toHaveLength(1);
    expect(out.text()).toMatch(/Exception in callback/);
    expect(out.text()).toContain("second");
  });

  it("outside debug mode, the context's handle describes the failed callback (identity is kept in debug mode only: see loop.ts _describeHandle)", async () => {
    const loop = makeLoop(core);
    expect(loop.getDebug()).toBe(false);
    const handles: Handle[] = [];
    loop.setExceptionHandler((_l: unknown, ctx: Ctx) => handles.push(ctx.handle as Handle));
    loop.callSoon(function failingSoon() {
      throw new ValueError("soon");
    });
    loop.callLater(0.5, function failingLater() {
      throw new ValueError("later");
    });
    loop.callLater(1, () => loop.stop());
    await loop.runForever();
    expect(handles).toHaveLength(2);
    expect(handles.map((h) => h instanceof Handle)).toEqual([true, true]);
    expect(String(handles[0])).toContain("failingSoon");
    expect(String(handles[1])).toContain("failingLater");
    expect(handles.map((h) => [h.cancelled(), h.getLoop() === loop])).toEqual([
      [false, true],
      [false, true],
    ]);
  });

  it("cancelling the context's handle from a handler cannot cancel an unrelated callback (handles are slot + generation)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    // Scheduled first, so it holds the loop's first handle slot for the whole test.
    loop.callLater(10, () => {
      record.push("first timer fired");
      loop.stop();
    });
    loop.setExceptionHandler((_l: unknown, ctx: Ctx) => {
      (ctx.handle as { cancel(): void }).cancel();
    });
    loop.callSoon(() => {
      throw new ValueError("failing callback");
    });
    await loop.runForever();
    expect(record).toEqual(["first timer fired"]);
    expect(loop.time()).toBe(10);
  });

  it("set_exception_handler rejects a non-callable and keeps the old handler (test_base_events.BaseEventLoopTests.test_set_exc_handler_invalid)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    expectThrows(() => loop.setExceptionHandler("spam" as never), TypeError);
    expectThrows(() => loop.setExceptionHandler(42 as never), TypeError);
    expect(loop.getExceptionHandler()).toBeNull();
    loop.callSoon(() => record.push("loop still runs"));
    await runOnce(loop);
    expect(record).toEqual(["loop still runs"]);
  });

  it("a handler that throws is reported through the default handler (test_base_events.BaseEventLoopTests.test_set_exc_handler_broken)", async () => {
    const out = captureConsole();
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.setExceptionHandler(() => {
      throw new ValueError("spam from the handler");
    });
    loop.callSoon(() => {
      throw new ValueError("original");
    });
    loop.callSoon(() => record.push("next callback"));
    await runOnce(loop);
    expect(record).toEqual(["next callback"]);
    expect(out.text()).toMatch(/exception handler/i);
    expect(out.text()).toContain("spam from the handler");
  });

  it("call_exception_handler routes a context to the custom handler (test_events.HandleTests.test_callback_with_exception)", () => {
    const loop = makeLoop(core);
    const seen: Ctx[] = [];
    loop.setExceptionHandler((_l: unknown, ctx: Ctx) => {
      seen.push(ctx);
    });
    const exc = new ValueError("x");
    loop.callExceptionHandler({ message: "custom message", exception: exc });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.message).toBe("custom message");
    expect(seen[0]!.exception).toBe(exc);
  });

  it("default_exception_handler prints the message and the exception (test_base_events.BaseEventLoopTests.test_default_exc_handler_callback)", () => {
    const out = captureConsole();
    const loop = makeLoop(core);
    loop.defaultExceptionHandler({ message: "something odd happened", exception: new ValueError("the cause") });
    expect(out.text()).toContain("something odd happened");
    expect(out.text()).toContain("the cause");
    // without a custom handler, callExceptionHandler uses the default one
    loop.callExceptionHandler({ message: "via call_exception_handler" });
    expect(out.text()).toContain("via call_exception_handler");
  });

  it("errors raised by callbacks never stop the loop (test_events.HandleTests.test_callback_with_exception)", async () => {
    const loop = makeLoop(core);
    const errors: unknown[] = [];
    loop.setExceptionHandler((_l: unknown, ctx: Ctx) => errors.push(ctx.exception));
    const record: number[] = [];
    for (let i = 0; i < 6; i++) {
      loop.callSoon(() => {
        record.push(i);
        if (i % 2 === 0) throw new ValueError(`e${i}`);
      });
      loop.callLater(i, () => {
        if (i % 2 === 1) throw new ValueError(`t${i}`);
        record.push(100 + i);
      });
    }
    loop.callLater(10, () => loop.stop());
    await loop.runForever();
    expect(record).toEqual([0, 1, 2, 3, 4, 5, 100, 102, 104]);
    expect(errors.map((e) => (e as Error).message)).toEqual(["e0", "e2", "e4", "t1", "t3", "t5"]);
  });

  it("an error in a done callback goes to the handler and other callbacks still run (test_futures.BaseFutureDoneCallbackTests.test_callbacks_invoked_on_set_result)", async () => {
    const loop = makeLoop(core);
    const contexts: Ctx[] = [];
    loop.setExceptionHandler((_l: unknown, ctx: Ctx) => contexts.push(ctx));
    const record: string[] = [];
    const fut = loop.createFuture();
    fut.addDoneCallback(() => {
      throw new ValueError("bad done callback");
    });
    fut.addDoneCallback(() => record.push("good done callback"));
    fut.setResult(1);
    await runOnce(loop);
    expect(record).toEqual(["good done callback"]);
    expect(contexts).toHaveLength(1);
    expect((contexts[0]!.exception as Error).message).toBe("bad done callback");
  });

  it("a task exception never retrieved is reported exactly once by loop close (test_base_events.BaseEventLoopTests.test_default_exc_handler_coro)", () => {
    const contexts: Ctx[] = [];
    let failing: unknown = null;
    const boom = new ValueError("never retrieved");
    runSync(
      function* () {
        getRunningLoop().setExceptionHandler((_l: unknown, ctx: Ctx) => contexts.push(ctx));
        failing = createTask(
          (function* () {
            yield* sleep(0.01);
            throw boom;
          })(),
        );
        yield* sleep(1);
      },
      { core },
    );
    expect(contexts).toHaveLength(1);
    expect(String(contexts[0]!.message)).toMatch(/never retrieved/);
    expect(contexts[0]!.exception).toBe(boom);
    expect(contexts[0]!.task ?? contexts[0]!.future).toBe(failing);
  });

  it("the default handler prints a never-retrieved task exception (test_futures.BaseFutureTests.test_tb_logger_exception_unretrieved)", () => {
    const out = captureConsole();
    runSync(
      function* () {
        createTask(
          (function* () {
            throw new ValueError("boom, nobody looked");
          })(),
        );
        yield* sleep(0.1);
      },
      { core },
    );
    expect(out.text()).toMatch(/never retrieved/);
    expect(out.text()).toContain("boom, nobody looked");
  });

  it("a retrieved task exception is not reported (test_futures.BaseFutureTests.test_tb_logger_exception_retrieved / _result_retrieved)", () => {
    const contexts: Ctx[] = [];
    runSync(
      function* () {
        getRunningLoop().setExceptionHandler((_l: unknown, ctx: Ctx) => contexts.push(ctx));
        const t1 = createTask(
          (function* () {
            throw new ValueError("seen through exception()");
          })(),
        );
        const t2 = createTask(
          (function* () {
            throw new ValueError("seen through result()");
          })(),
        );
        const t3 = createTask(
          (function* () {
            throw new ValueError("seen through await");
          })(),
        );
        yield* sleep(0.1);
        t1.exception();
        expect(() => t2.result()).toThrow("seen through result()");
        try {
          yield* t3;
        } catch {
          // retrieved
        }
      },
      { core },
    );
    expect(contexts).toEqual([]);
  });

  it("a cancelled task is not reported as an unretrieved exception (test_tasks.BaseTaskTests.test_tb_logger_not_called_after_cancel)", () => {
    const contexts: Ctx[] = [];
    runSync(
      function* () {
        getRunningLoop().setExceptionHandler((_l: unknown, ctx: Ctx) => contexts.push(ctx));
        const task = createTask(
          (function* () {
            yield* sleep(10);
            throw new ValueError("never raised");
          })(),
        );
        yield* sleep(0.05);
        task.cancel();
        yield* sleep(0);
        expect(task.cancelled()).toBe(true);
      },
      { core },
    );
    expect(contexts).toEqual([]);
  });

  it("a task failing with CancelledError of its own is cancelled, not reported (test_futures.BaseFutureTests.test_tb_logger_not_called_after_cancel)", () => {
    const contexts: Ctx[] = [];
    runSync(
      function* () {
        getRunningLoop().setExceptionHandler((_l: unknown, ctx: Ctx) => contexts.push(ctx));
        const t = createTask(
          (function* () {
            yield* sleep(0);
            throw new CancelledError("self-inflicted");
          })(),
        );
        yield* sleep(0.1);
        expect(t.cancelled()).toBe(true);
      },
      { core },
    );
    expect(contexts).toEqual([]);
  });


  it("closing a hand-made loop reports a never-retrieved task exception once (SPEC Exception handler: exactly once, at the latest at close)", async () => {
    const loop = makeLoop(core);
    const contexts: Ctx[] = [];
    loop.setExceptionHandler((_l: unknown, ctx: Ctx) => contexts.push(ctx));
    const boom = new ValueError("lost in a hand-made loop");
    const t = loop.createTask(
      (function* () {
        yield* sleep(0);
        throw boom;
      })(),
    );
    await loop.runUntilComplete(sleep(1));
    expect(t.done()).toBe(true);
    loop.close();
    loop.close();
    expect(contexts).toHaveLength(1);
    expect(contexts[0]!.exception).toBe(boom);
    expect(String(contexts[0]!.message)).toMatch(/never retrieved/);
  });
});
