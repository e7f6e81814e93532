// Shared helpers for the conformance suites.
//
// Every suite runs against both scheduler cores (the Wasm core and the pure-TS reference core),
// as CPython runs BaseTaskTests against the C and the Python task: a divergence between the
// cores is found here, not by users.

import { expect, onTestFinished, vi } from "vitest";
import { newEventLoop, setEventLoop } from "../src/index.ts";

export const CORES = ["wasm", "js"] as const;
export type CoreName = (typeof CORES)[number];

type Loop = ReturnType<typeof newEventLoop>;

/**
 * A fresh loop on the virtual clock, closed (and unset as the current loop) when the test ends.
 * The loop starts at time 0 and jumps to the next deadline whenever it would wait.
 */
export function makeLoop(core: CoreName, opts: Record<string, unknown> = {}): Loop {
  const loop = newEventLoop({ core, clock: "virtual", ...opts } as never);
  onTestFinished(() => {
    try {
      if (!loop.isClosed() && !loop.isRunning()) loop.close();
    } catch {
      // a test that broke the loop on purpose; nothing to clean
    }
  });
  return loop;
}

/** Unset the current event loop when the test ends (for tests that call setEventLoop). */
export function resetEventLoopAfter(): void {
  onTestFinished(() => {
    try {
      setEventLoop(null);
    } catch {
      // ignore
    }
  });
}

/**
 * test_utils.run_briefly: run_until_complete of a coroutine that returns at once — two
 * iterations: every task already scheduled takes one step, and callbacks scheduled by that
 * step run.
 */
export async function runBriefly(loop: Loop): Promise<void> {
  await loop.runUntilComplete((function* once() {})());
}

/** test_utils.run_once: the `call_soon(loop.stop); run_forever()` idiom — one iteration. */
export async function runOnce(loop: Loop): Promise<void> {
  loop.callSoon(() => loop.stop());
  await loop.runForever();
}

/**
 * Expect `fn()` to fail with `cls`, whether it throws synchronously or returns a rejected
 * promise. Returns the error for further checks.
 */
export async function expectFails(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => unknown,
  message?: RegExp | string,
): Promise<unknown> {
  let err: unknown;
  let threw = false;
  try {
    const r = fn();
    if (r && typeof (r as PromiseLike<unknown>).then === "function") {
      await r;
    }
  } catch (e) {
    threw = true;
    err = e;
  }
  expect(threw, "expected a failure, got success").toBe(true);
  expect(err).toBeInstanceOf(cls);
  if (message !== undefined) {
    expect(String((err as Error).message)).toMatch(message);
  }
  return err;
}

/** Expect a synchronous throw of `cls` (optionally matching `message`); returns the error. */
export function expectThrows(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => unknown,
  message?: RegExp | string,
): unknown {
  let err: unknown;
  let threw = false;
  try {
    fn();
  } catch (e) {
    threw = true;
    err = e;
  }
  expect(threw, "expected a synchronous throw").toBe(true);
  expect(err).toBeInstanceOf(cls);
  if (message !== undefined) {
    expect(String((err as Error).message)).toMatch(message);
  }
  return err;
}

/**
 * A bad numeric argument (NaN, a string…): accept TypeError or the exported ValueError, but the
 * message must name the argument so the user can act on it.
 */
export function expectBadArgument(
  fn: () => unknown,
  argName: string,
  ValueErrorCls: abstract new (...args: never[]) => unknown,
): unknown {
  let err: unknown;
  let threw = false;
  try {
    fn();
  } catch (e) {
    threw = true;
    err = e;
  }
  expect(threw, `expected a throw for a bad '${argName}'`).toBe(true);
  const ok = err instanceof TypeError || err instanceof ValueErrorCls;
  expect(ok, `expected TypeError or ValueError, got ${String(err)}`).toBe(true);
  expect(String((err as Error).message)).toContain(argName);
  return err;
}

/**
 * Capture everything the library prints through the console (the default exception handler
 * and debug-mode reports go there). Restored when the test ends.
 */
export function captureConsole(): { text: () => string; calls: () => unknown[][] } {
  const calls: unknown[][] = [];
  const methods = ["error", "warn", "log", "info", "debug"] as const;
  for (const m of methods) {
    const spy = vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      calls.push(args);
    });
    onTestFinished(() => spy.mockRestore());
  }
  const render = (a: unknown): string => {
    if (a instanceof Error) return `${a.name}: ${a.message}\n${a.stack ?? ""}`;
    if (typeof a === "string") return a;
    try {
      return String(a);
    } catch {
      return "<unprintable>";
    }
  };
  return {
    calls: () => calls,
    text: () => calls.map((c) => c.map(render).join(" ")).join("\n"),
  };
}

/**
 * Compare (nested) arrays element by element with Object.is. Use this instead of `toEqual` when
 * the values are futures or tasks: they are iterable (`yield*`), and vitest's deep equality would
 * iterate them instead of comparing identities.
 */
export function expectSameItems(actual: unknown, expected: unknown, path = "value"): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} should be an array`).toBe(true);
    const a = actual as unknown[];
    expect(a.length, `${path}.length`).toBe(expected.length);
    expected.forEach((e, i) => expectSameItems(a[i], e, `${path}[${i}]`));
    return;
  }
  expect(Object.is(actual, expected), `${path}: expected ${String(expected)}, got ${String(actual)}`).toBe(true);
}
