// Signal handlers: loop.addSignalHandler / loop.removeSignalHandler (cases after CPython's
// test_asyncio/test_unix_events.py SelectorEventLoopSignalTests). The process signals itself;
// SIGUSR2 would end a Node process without a listener (TOOLCHAIN.md), so a no-op listener is
// kept for the whole file, and SIGWINCH's default is to do nothing.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  run,
  runSync,
  sleep,
  getRunningLoop,
  newEventLoop,
  RuntimeError,
  ValueError,
  NotImplementedError,
  TimersDriver,
  type EventLoop,
} from "../../src/index.ts";
import { expectThrows, captureConsole } from "../helpers.ts";
import { openResources } from "./helpers.ts";

const keepAlive = () => {};
beforeAll(() => {
  process.on("SIGUSR2", keepAlive);
});
afterAll(() => {
  process.removeListener("SIGUSR2", keepAlive);
});

const listeners = (name: "SIGUSR2" | "SIGWINCH" | "SIGHUP") => process.listenerCount(name);

/** Send `sig` to this process and wait (in the loop) until `done()` holds. */
function* signalAndWait(loop: EventLoop, sig: NodeJS.Signals, done: () => boolean) {
  process.kill(process.pid, sig);
  for (let i = 0; i < 500 && !done(); i++) yield* sleep(0.005);
  void loop;
}

describe("addSignalHandler", () => {
  test("test_add_signal_handler: the callback runs in a loop iteration, with its arguments", async () => {
    const base = listeners("SIGUSR2");
    const calls: unknown[][] = [];
    await run(function* () {
      const loop = getRunningLoop();
      loop.addSignalHandler("SIGUSR2", (...args: unknown[]) => {
        calls.push([...args, getRunningLoop() === loop]);
      }, "a", 1);
      expect(listeners("SIGUSR2")).toBe(base + 1);
      yield* signalAndWait(loop, "SIGUSR2", () => calls.length > 0);
      expect(calls).toEqual([["a", 1, true]]);
      yield* signalAndWait(loop, "SIGUSR2", () => calls.length > 1);
      expect(calls).toHaveLength(2);
      expect(loop.removeSignalHandler("SIGUSR2")).toBe(true);
    });
    expect(listeners("SIGUSR2")).toBe(base);
  });

  test("a signal number names the same signal (Linux numbering)", async () => {
    const base = listeners("SIGUSR2");
    let n = 0;
    await run(function* () {
      const loop = getRunningLoop();
      loop.addSignalHandler(12, () => n++);
      yield* signalAndWait(loop, "SIGUSR2", () => n > 0);
      expect(loop.removeSignalHandler("SIGUSR2")).toBe(true);
    });
    expect(n).toBe(1);
    expect(listeners("SIGUSR2")).toBe(base);
  });

  test("adding again replaces the handler; the host keeps one listener", async () => {
    const base = listeners("SIGUSR2");
    const record: string[] = [];
    await run(function* () {
      const loop = getRunningLoop();
      loop.addSignalHandler("SIGUSR2", () => record.push("first"));
      loop.addSignalHandler("SIGUSR2", (tag: string) => record.push(tag), "second");
      expect(listeners("SIGUSR2")).toBe(base + 1);
      expect(openResources(loop)).toHaveLength(1);
      yield* signalAndWait(loop, "SIGUSR2", () => record.length > 0);
      loop.removeSignalHandler("SIGUSR2");
    });
    expect(record).toEqual(["second"]);
  });

  test("test_remove_signal_handler: true once, then false; the host listener is gone", async () => {
    const base = listeners("SIGWINCH");
    await run(function* () {
      const loop = getRunningLoop();
      loop.addSignalHandler("SIGWINCH", () => {});
      expect(listeners("SIGWINCH")).toBe(base + 1);
      expect(loop.removeSignalHandler("SIGWINCH")).toBe(true);
      expect(listeners("SIGWINCH")).toBe(base);
      expect(loop.removeSignalHandler("SIGWINCH")).toBe(false);
      expect(loop.removeSignalHandler(28)).toBe(false);
      expect(openResources(loop)).toEqual([]);
      yield* sleep(0);
    });
  });

  test("a removed handler is not called for a signal that arrives later", async () => {
    let n = 0;
    let other = 0;
    await run(function* () {
      const loop = getRunningLoop();
      loop.addSignalHandler("SIGWINCH", () => n++);
      loop.removeSignalHandler("SIGWINCH");
      loop.addSignalHandler("SIGUSR2", () => other++);
      process.kill(process.pid, "SIGWINCH");
      yield* signalAndWait(loop, "SIGUSR2", () => other > 0);
      loop.removeSignalHandler("SIGUSR2");
    });
    expect(n).toBe(0);
  });

  test("test_add_signal_handler_coroutine_error / bad callbacks: TypeError at the call", () => {
    const loop = newEventLoop();
    try {
      expectThrows(() => loop.addSignalHandler("SIGWINCH", function* () {} as never), TypeError, "coroutines cannot be used with addSignalHandler()");
      expectThrows(() => loop.addSignalHandler("SIGWINCH", "nope" as never), TypeError, /callback must be a function, got "nope"/);
      expectThrows(() => loop.addSignalHandler("SIGWINCH", null as never), TypeError, /callback must be a function/);
      expect(openResources(loop)).toEqual([]);
    } finally {
      loop.close();
    }
  });

  test("test_check_signal: unknown names and numbers out of range are ValueError; other types TypeError", () => {
    const loop = newEventLoop();
    try {
      expectThrows(() => loop.addSignalHandler("SIGFOO", () => {}), ValueError, /unknown signal "SIGFOO"/);
      expectThrows(() => loop.addSignalHandler("sigint", () => {}), ValueError, /unknown signal/);
      expectThrows(() => loop.addSignalHandler(0, () => {}), ValueError, /sig 0 out of range\(1, 65\)/);
      expectThrows(() => loop.addSignalHandler(65, () => {}), ValueError, /out of range/);
      expectThrows(() => loop.addSignalHandler(1.5, () => {}), ValueError, /out of range/);
      expectThrows(() => loop.addSignalHandler({} as never, () => {}), TypeError, /sig must be a signal name/);
      expectThrows(() => loop.removeSignalHandler("SIGFOO"), ValueError, /unknown signal/);
      expectThrows(() => loop.removeSignalHandler(null as never), TypeError, /sig must be a signal name/);
      expect(openResources(loop)).toEqual([]);
    } finally {
      loop.close();
    }
  });

  test("test_add_signal_handler_install_error: SIGKILL and SIGSTOP cannot be caught (RuntimeError)", () => {
    const loop = newEventLoop();
    try {
      expectThrows(() => loop.addSignalHandler("SIGKILL", () => {}), RuntimeError, "sig 9 (SIGKILL) cannot be caught");
      expectThrows(() => loop.addSignalHandler(9, () => {}), RuntimeError, "cannot be caught");
      expectThrows(() => loop.addSignalHandler("SIGSTOP", () => {}), RuntimeError, "sig 19 (SIGSTOP) cannot be caught");
      expect(openResources(loop)).toEqual([]);
    } finally {
      loop.close();
    }
  });

  test("a closed loop: RuntimeError", () => {
    const loop = newEventLoop();
    loop.close();
    expectThrows(() => loop.addSignalHandler("SIGWINCH", () => {}), RuntimeError, "Event loop is closed");
    expect(loop.removeSignalHandler("SIGWINCH")).toBe(false);
  });

  test("test_close: closing the loop removes its handlers", () => {
    const base = listeners("SIGWINCH");
    const baseHup = listeners("SIGHUP");
    const loop = newEventLoop();
    loop.addSignalHandler("SIGWINCH", () => {});
    loop.addSignalHandler("SIGHUP", () => {});
    expect(listeners("SIGWINCH")).toBe(base + 1);
    expect(listeners("SIGHUP")).toBe(baseHup + 1);
    loop.close();
    expect(listeners("SIGWINCH")).toBe(base);
    expect(listeners("SIGHUP")).toBe(baseHup);
    expect(loop.removeSignalHandler("SIGWINCH")).toBe(false);
  });

  test("run() removes the handlers still installed when main ends", async () => {
    const base = listeners("SIGWINCH");
    await run(function* () {
      getRunningLoop().addSignalHandler("SIGWINCH", () => {});
      yield* sleep(0);
    });
    expect(listeners("SIGWINCH")).toBe(base);
  });

  test("a handler is not in flight: the virtual clock still jumps, and runSync still works", async () => {
    const t = runSync(function* () {
      const loop = getRunningLoop();
      loop.addSignalHandler("SIGWINCH", () => {});
      yield* sleep(3600);
      loop.removeSignalHandler("SIGWINCH");
      return loop.time();
    });
    expect(t).toBe(3600);
    const t2 = await run(
      function* () {
        const loop = getRunningLoop();
        loop.addSignalHandler("SIGWINCH", () => {});
        yield* sleep(3600);
        return loop.time();
      },
      { clock: "virtual" },
    );
    expect(t2).toBe(3600);
  });

  test("a callback that throws goes to the exception handler; the loop goes on", async () => {
    const out = captureConsole();
    const seen: unknown[] = [];
    let after = 0;
    await run(function* () {
      const loop = getRunningLoop();
      loop.setExceptionHandler((_l, ctx) => seen.push({ ...ctx, handle: String(ctx.handle) }));
      loop.addSignalHandler("SIGUSR2", function onUsr2() {
        after++;
        throw new Error("handler broke");
      });
      yield* signalAndWait(loop, "SIGUSR2", () => seen.length > 0);
      yield* signalAndWait(loop, "SIGUSR2", () => after > 1);
      loop.removeSignalHandler("SIGUSR2");
    });
    expect(after).toBe(2);
    const ctx = seen[0] as { message: string; exception: Error; handle: unknown };
    expect(ctx.message).toBe("Exception in callback onUsr2");
    expect(ctx.exception.message).toBe("handler broke");
    expect(ctx.handle).toContain("onUsr2");
    expect(out.text()).toBe("");
  });

  test("a host without signals: NotImplementedError naming the host", () => {
    const loop = newEventLoop({ driver: new TimersDriver("browser") });
    try {
      expectThrows(() => loop.addSignalHandler("SIGINT", () => {}), NotImplementedError, /signal handlers are not available on browser/);
      expectThrows(() => loop.removeSignalHandler("SIGINT"), NotImplementedError, /not available on browser/);
    } finally {
      loop.close();
    }
  });
});
