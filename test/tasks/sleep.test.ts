// sleep() — ported from CPython's test_tasks.py (test_sleep, test_sleep_cancel, SleepTests).

import { describe, expect, it } from "vitest";
import { CancelledError, ValueError, createTask, getRunningLoop, runSync, sleep } from "../../src/index.ts";
import { CORES, expectBadArgument, expectFails, makeLoop, runBriefly, runOnce } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("sleep returns its result after the delay (test_tasks.BaseTaskTests.test_sleep)", async () => {
    const loop = makeLoop(core);
    function* sleeper(dt: number, arg: string) {
      yield* sleep(dt / 2);
      const res = yield* sleep(dt / 2, arg);
      return res;
    }
    const t = loop.createTask(sleeper(0.1, "yeah"));
    await loop.runUntilComplete(t);
    expect(t.done()).toBe(true);
    expect(t.result()).toBe("yeah");
    expect(loop.time()).toBeCloseTo(0.1, 9);
  });

  it("sleep(0) yields exactly one iteration (test_tasks.SleepTests.test_sleep_zero)", async () => {
    const loop = makeLoop(core);
    let result = 0;
    const incResult = (n: number) => {
      result += n;
    };
    await loop.runUntilComplete(
      (function* () {
        loop.callSoon(incResult, 1);
        expect(result).toBe(0);
        const num = yield* sleep(0, 10);
        expect(result).toBe(1);
        incResult(num);
      })(),
    );
    expect(result).toBe(11);
  });

  it("sleep without a result returns null (Python's None)", () => {
    const out = runSync(
      function* () {
        const a = yield* sleep(0);
        const b = yield* sleep(0.5);
        return [a, b];
      },
      { core },
    );
    expect(out).toEqual([null, null]);
  });

  it("sleep is lazy: calling it schedules nothing until driven (SPEC Details: operations are lazy)", async () => {
    const loop = makeLoop(core);
    const coro = sleep(5, "later");
    expect(typeof (coro as Generator).next).toBe("function");
    expect(typeof (coro as Generator)[Symbol.iterator]).toBe("function");
    loop.callLater(1, () => loop.stop());
    await loop.runForever();
    expect(loop.time()).toBe(1);
    // Now drive it: the five seconds count from here.
    expect(await loop.runUntilComplete(coro)).toBe("later");
    expect(loop.time()).toBeCloseTo(6, 9);
  });

  it("sleep checks its delay at the call: NaN and non-numbers name 'delay' (SPEC Details: arguments are checked eagerly)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callSoon(() => record.push("queued"));
    expectBadArgument(() => sleep(NaN), "delay", ValueError);
    expectBadArgument(() => sleep("1" as never), "delay", ValueError);
    expectBadArgument(() => sleep(undefined as never), "delay", ValueError);
    await runOnce(loop);
    expect(record).toEqual(["queued"]);
    expect(await loop.runUntilComplete(sleep(0.25, "fine"))).toBe("fine");
  });

  it("a negative delay sleeps like zero (asyncio.sleep)", async () => {
    const loop = makeLoop(core);
    expect(await loop.runUntilComplete(sleep(-5, "neg"))).toBe("neg");
    expect(loop.time()).toBe(0);
  });

  it("a cancelled sleep raises CancelledError into the sleeper and time does not advance (test_tasks.BaseTaskTests.test_sleep_cancel)", async () => {
    const loop = makeLoop(core);
    const record: unknown[] = [];
    const t = loop.createTask(
      (function* () {
        try {
          yield* sleep(10.0, "yeah");
        } catch (e) {
          record.push(e instanceof CancelledError ? "cancelled" : String(e));
          throw e;
        }
      })(),
    );
    await runBriefly(loop);
    t.cancel();
    await expectFails(() => loop.runUntilComplete(t), CancelledError);
    expect(record).toEqual(["cancelled"]);
    expect(loop.time()).toBe(0);
    // The cancelled timer does not hold the clock back or fire later.
    expect(await loop.runUntilComplete(sleep(20, "after"))).toBe("after");
    expect(loop.time()).toBe(20);
  });

  it("a sleep task created directly from sleep() can be cancelled (test_tasks.BaseTaskTests.test_sleep_cancel)", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask(sleep(10.0, "yeah"));
    await runBriefly(loop);
    expect(t.cancel()).toBe(true);
    await expectFails(() => loop.runUntilComplete(t), CancelledError);
    expect(t.cancelled()).toBe(true);
  });

  it("sleepers wake in deadline order, ties in start order", () => {
    const record = runSync(
      function* () {
        const loop = getRunningLoop();
        const rec: Array<[string, number]> = [];
        const sleeper = (name: string, d: number) =>
          createTask(
            (function* () {
              yield* sleep(d);
              rec.push([name, loop.time()]);
            })(),
          );
        const ts = [sleeper("c", 3), sleeper("a", 1), sleeper("b1", 2), sleeper("b2", 2), sleeper("z", 0)];
        for (const t of ts) yield* t;
        return rec;
      },
      { core },
    );
    expect(record).toEqual([
      ["z", 0],
      ["a", 1],
      ["b1", 2],
      ["b2", 2],
      ["c", 3],
    ]);
  });

  it("an hour of sleeping runs on virtual time (SPEC Determinism)", () => {
    const started = Date.now();
    const out = runSync(
      function* () {
        let n = 0;
        for (let i = 0; i < 3600; i++) {
          yield* sleep(1);
          n++;
        }
        return [n, getRunningLoop().time()];
      },
      { core },
    );
    expect(out).toEqual([3600, 3600]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("two tasks sleeping 0 alternate (test_tasks.SleepTests.test_sleep_zero)", () => {
    const record = runSync(
      function* () {
        const rec: string[] = [];
        const w = (name: string) =>
          createTask(
            (function* () {
              for (let i = 0; i < 3; i++) {
                rec.push(`${name}${i}`);
                yield* sleep(0);
              }
            })(),
          );
        const a = w("a");
        const b = w("b");
        yield* a;
        yield* b;
        return rec;
      },
      { core },
    );
    expect(record).toEqual(["a0", "b0", "a1", "b1", "a2", "b2"]);
  });
});
