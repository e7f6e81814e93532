// The loop and its host: wrapped promises, thenable futures, threadsafe wake-ups, and the
// host-yield policy (iterations back to back while work is ready; yield to the host only when
// idle, or after a small budget while host I/O is open).

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  createTask,
  getRunningLoop,
  newEventLoop,
  run,
  runSync,
  sleep,
  wrap,
} from "../../src/index.ts";
import { CORES } from "../helpers.ts";

const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe.each(CORES)("%s core", (core) => {
  describe("wrap(promise)", () => {
    it("delivers a resolution through the loop", async () => {
      const value = await run(function* () {
        return yield* wrap(later(5, "late"));
      }, { core });
      expect(value).toBe("late");
    });

    it("delivers a rejection as the future's exception", async () => {
      const boom = new Error("boom");
      const caught = await run(function* () {
        try {
          yield* wrap(Promise.reject(boom));
          return null;
        } catch (e) {
          return e;
        }
      }, { core });
      expect(caught).toBe(boom);
    });

    it("rejects a non-thenable at the call, with the argument named", () => {
      expect(() => wrap(42 as never, { loop: newEventLoop({ core }) })).toThrow(/wrap\(promise\): promise must be/);
    });

    it("keeps the virtual clock from jumping past a promise in flight", async () => {
      const record: string[] = [];
      await run(function* () {
        const loop = getRunningLoop();
        const sleeper = createTask(sleep(1000));
        const v = yield* wrap(later(20, "io"));
        record.push(`${v} at ${loop.time()}`);
        sleeper.cancel();
      }, { core, clock: "virtual" });
      expect(record).toEqual(["io at 0"]);
    });

    it("runSync refuses to wait for a wrapped promise and says so", () => {
      expect(() =>
        runSync(function* () {
          yield* wrap(later(10, 1));
        }, { core }),
      ).toThrow(/host operation\(s\).*in flight/);
    });

    it("a late settlement after cancellation is dropped", async () => {
      const result = await run(function* () {
        const fut = wrap(later(10, "x"));
        fut.cancel();
        yield* sleep(0.03);
        return fut.cancelled();
      }, { core });
      expect(result).toBe(true);
    });
  });

  describe("thenable futures and tasks", () => {
    it("await on a Future from async code gets its result", async () => {
      const loop = newEventLoop({ core });
      const fut = loop.createFuture<number>();
      loop.callLater(0.01, () => fut.setResult(3));
      // stop once the future's callbacks (the await's among them) have run: a second timer at
      // 0.02 fired in the same iteration as the first on a loaded machine and stopped the loop
      // before the await's callback ran
      fut.addDoneCallback(() => loop.callSoon(() => loop.stop()));
      const running = loop.runForever();
      expect(await fut).toBe(3);
      await running;
      loop.close();
    });

    it("await on a failed Task rethrows its exception and marks it retrieved", async () => {
      const loop = newEventLoop({ core });
      const reports: unknown[] = [];
      loop.setExceptionHandler((_l, ctx) => reports.push(ctx));
      const task = loop.createTask((function* () {
        yield* sleep(0);
        throw new Error("task failed");
      })());
      await loop.runUntilComplete(sleep(0.01));
      await expect(task).rejects.toThrow("task failed");
      loop.close();
      expect(reports).toEqual([]);
    });

    it("await on a cancelled future rejects with CancelledError carrying the message", async () => {
      const loop = newEventLoop({ core });
      const fut = loop.createFuture();
      fut.cancel("why");
      await expect(fut).rejects.toSatisfy((e: unknown) => e instanceof CancelledError && e.message === "why");
      loop.close();
    });
  });

  describe("waking and yielding", () => {
    it("callSoonThreadsafe from a host timer wakes a loop waiting on a far deadline", async () => {
      const loop = newEventLoop({ core });
      loop.callLater(3600, () => {});
      const t0 = loop.time();
      setTimeout(() => loop.callSoonThreadsafe(() => loop.stop()), 10);
      await loop.runForever();
      expect(loop.time() - t0).toBeLessThan(60);
      loop.close();
    });

    it("stop() from a host callback wakes an idle loop", async () => {
      const loop = newEventLoop({ core });
      setTimeout(() => loop.stop(), 5);
      await loop.runForever();
      expect(loop.isRunning()).toBe(false);
      loop.close();
    });

    it("a callback chain runs back to back: the host gets no macrotask until the loop is idle", async () => {
      const loop = newEventLoop({ core });
      const record: string[] = [];
      let n = 0;
      const step = () => {
        if (++n < 100_000) return void loop.callSoon(step);
        record.push(`chain done after ${n}`);
        loop.stop();
      };
      setImmediate(() => record.push("host macrotask"));
      loop.callSoon(step);
      await loop.runForever();
      await new Promise((r) => setImmediate(r));
      expect(record).toEqual(["chain done after 100000", "host macrotask"]);
      loop.close();
    });

    it("with host I/O open, a busy loop yields to the host within its budget", async () => {
      const loop = newEventLoop({ core });
      const pending = wrap(new Promise(() => {}), { loop }); // an I/O source that never settles
      let hostTurns = 0;
      let busyCallbacks = 0;
      const tick = () => {
        hostTurns++;
        if (loop.isRunning()) setImmediate(tick);
      };
      setImmediate(tick);
      const step = () => {
        busyCallbacks++;
        const t = performance.now() + 0.05;
        while (performance.now() < t) {
          // busy: starve the host unless the loop yields
        }
        if (busyCallbacks < 1500) loop.callSoon(step); // ≥ 75 ms of busy work: many 5 ms slices
        else loop.stop();
      };
      loop.callSoon(step);
      await loop.runForever();
      expect(busyCallbacks).toBe(1500);
      expect(hostTurns).toBeGreaterThan(1);
      pending.cancel();
      loop.close();
    });

    it("host I/O opened in the middle of a busy slice starts the budget then (it used to wait for idle)", async () => {
      const loop = newEventLoop({ core });
      let pending: ReturnType<typeof wrap> | null = null;
      let hostTurns = 0;
      let busyCallbacks = 0;
      const tick = () => {
        hostTurns++;
        if (loop.isRunning()) setImmediate(tick);
      };
      const step = () => {
        busyCallbacks++;
        if (busyCallbacks === 1) {
          pending = wrap(new Promise(() => {}), { loop }); // opened inside the slice
          setImmediate(tick);
        }
        const t = performance.now() + 0.05;
        while (performance.now() < t) {
          // busy
        }
        if (busyCallbacks < 1500) loop.callSoon(step);
        else loop.stop();
      };
      loop.callSoon(step);
      await loop.runForever();
      expect(busyCallbacks).toBe(1500);
      expect(hostTurns).toBeGreaterThan(1);
      pending!.cancel();
      loop.close();
    });
  });

  describe("the virtual clock", () => {
    it("an hour of one-second sleeps finishes at time 3600", () => {
      let ticks = 0;
      const time = runSync(function* () {
        for (let i = 0; i < 3600; i++) {
          yield* sleep(1);
          ticks++;
        }
        return getRunningLoop().time();
      }, { core });
      expect([ticks, time]).toEqual([3600, 3600]);
    });

    it("run() with the virtual clock reports a deadlock instead of hanging", async () => {
      await expect(
        run(function* () {
          yield* getRunningLoop().createFuture();
        }, { core, clock: "virtual" }),
      ).rejects.toThrow(RuntimeError);
    });
  });
});
