// Defects a new user hit (issue 6), one block each, named after what broke. Each test failed
// before its fix.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  createTask,
  currentTask,
  gather,
  newEventLoop,
  run,
  runSync,
  sleep,
  wrap,
  type Task,
} from "../../src/index.ts";
import { CORES, expectThrows } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  describe("a failed wrap() leaves no host operation in flight", () => {
    const hostile = { then() { throw new Error("then exploded"); } };

    it("runSync still jumps the virtual clock after the failed wrap", () => {
      const out = runSync(function* () {
        let caught: unknown = null;
        try {
          wrap(hostile as PromiseLike<unknown>);
        } catch (e) {
          caught = e;
        }
        yield* sleep(10);
        return (caught as Error).message;
      }, { core });
      expect(out).toBe("then exploded");
    });

    it("run() on the virtual clock sleeps without real waiting after the failed wrap", async () => {
      const started = performance.now();
      await run(function* () {
        expect(() => wrap(hostile as PromiseLike<unknown>)).toThrow("then exploded");
        yield* sleep(30);
      }, { core, clock: "virtual" });
      // a leaked count made this take 30 real seconds; the virtual jump takes milliseconds
      expect(performance.now() - started).toBeLessThan(10_000);
    });
  });

  describe("wrap(p, { loop }) on a closed loop", () => {
    it("raises RuntimeError('Event loop is closed') instead of a Future that never settles", () => {
      const loop = newEventLoop({ core, clock: "virtual" });
      loop.close();
      expectThrows(() => wrap(Promise.resolve(1), { loop }), RuntimeError, "Event loop is closed");
    });
  });

  describe("await cycles through other tasks", () => {
    it("A awaits B while B awaits A: a RuntimeError naming the cycle, and cancel() never overflows", () => {
      const log: string[] = [];
      runSync(function* () {
        let a!: Task<unknown>;
        let b!: Task<unknown>;
        a = createTask((function* () {
          yield* sleep(0);
          try {
            yield* b;
          } catch (e) {
            log.push(`a: ${(e as Error).name}: ${(e as Error).message}`);
          }
        })(), { name: "A" });
        b = createTask((function* () {
          try {
            yield* a;
          } catch (e) {
            log.push(`b: ${(e as Error).name}: ${(e as Error).message}`);
          }
        })(), { name: "B" });
        for (let i = 0; i < 3; i++) yield* sleep(0);
        expect(() => a.cancel()).not.toThrow();
        yield* gather(a, b, { returnExceptions: true });
      }, { core });
      expect(log.join("\n")).toMatch(/await cycle: .*'A'.* awaits .*'B'.* awaits .*'A'/);
    });

    it("a task awaiting gather(currentTask()) gets a RuntimeError, not a stack overflow", () => {
      const err = runSync(function* () {
        const t = createTask((function* () {
          yield* gather(currentTask()!);
        })());
        try {
          yield* t;
        } catch (e) {
          return e;
        }
        return null;
      }, { core });
      expect(err).toBeInstanceOf(RuntimeError);
      expect(String((err as Error).message)).toMatch(/await cycle/);
    });
  });

  describe("yield* on a plain iterable", () => {
    it("says a non-awaitable was used with yield*, not V8's missing-throw message", () => {
      for (const bad of [[1, 2], "ab", new Set([1])]) {
        const err = runSync(function* () {
          const t = createTask((function* () {
            yield* bad as Iterable<unknown> as never;
          })());
          try {
            yield* t;
          } catch (e) {
            return e;
          }
          return null;
        }, { core });
        expect(err).toBeInstanceOf(RuntimeError);
        expect((err as Error).message).toMatch(/yield\* was used on something that is not awaitable/);
      }
    });
  });

  describe("a finished coroutine awaited again", () => {
    it("createTask of a coroutine a task already ran raises 'cannot reuse already awaited coroutine'", () => {
      runSync(function* () {
        const c = (function* () {
          yield* sleep(0);
          return 1;
        })();
        expect(yield* createTask(c)).toBe(1);
        expectThrows(() => createTask(c), RuntimeError, /cannot reuse already awaited coroutine/);
        expectThrows(() => gather(c), RuntimeError, /cannot reuse already awaited coroutine/);
      }, { core });
    });
  });

  describe("cancellation messages", () => {
    it("a second cancel(msg) does not replace the message already delivered (asyncio keeps 'first')", () => {
      const seen = runSync(function* () {
        const t = createTask((function* () {
          try {
            yield* sleep(10);
          } catch (e) {
            return (e as CancelledError).message;
          }
          return "not cancelled";
        })());
        yield* sleep(0);
        t.cancel("first");
        t.cancel("second");
        return yield* t;
      }, { core });
      expect(seen).toBe("first");
    });
  });
});
