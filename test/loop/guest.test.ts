// Guest mode: a host that owns its own loop drives wasyncio one iteration at a time (runOnce),
// or lets wasyncio ask for runs (startGuest, trio's shape), and keeps control in between.

import { describe, expect, it } from "vitest";
import { RuntimeError, gather, newEventLoop, sleep, wrap, type Driver } from "../../src/index.ts";
import { CORES } from "../helpers.ts";

/** A host with its own event loop and clock: a sorted list of (time, job). */
class FakeHost {
  t = 0;
  private jobs: { at: number; seq: number; job: () => void }[] = [];
  private seq = 0;
  log: string[] = [];
  later(delay: number, job: () => void) {
    this.jobs.push({ at: this.t + delay, seq: this.seq++, job });
    this.jobs.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
  /** Run the host until it has nothing left (or `limit` jobs). */
  drain(limit = 10_000) {
    for (let n = 0; n < limit && this.jobs.length > 0; n++) {
      const { at, job } = this.jobs.shift()!;
      this.t = Math.max(this.t, at);
      job();
    }
  }
}

/** The loop's clock is the host's clock; the loop never arms or yields in guest mode. */
function hostDriver(host: FakeHost): Driver & { deliver(e: unknown): void } {
  let wake: ((r: "event" | "timer" | "yield") => void) | null = null;
  let queue: unknown[] = [];
  return {
    host: "fake",
    attach: (w) => void (wake = w),
    detach: () => void (wake = null),
    now: () => host.t,
    entropy: () => 1,
    arm: () => { throw new Error("guest mode must not arm host timers"); },
    disarm: () => {},
    yieldToHost: () => { throw new Error("guest mode must not yield"); },
    send: () => {},
    poll: () => {
      if (queue.length === 0) return null;
      const q = queue;
      queue = [];
      return q as never;
    },
    supports: () => false,
    hostObject: () => null,
    deliver(e: unknown) {
      queue.push(e);
      wake?.("event");
    },
  };
}

describe.each(CORES)("%s core", (core) => {
  it("runOnce: the host calls one iteration at a time and learns how long it may wait", () => {
    const host = new FakeHost();
    const loop = newEventLoop({ core, driver: hostDriver(host) });
    const order: string[] = [];
    const task = loop.createTask((function* () {
      order.push(`start@${host.t}`);
      yield* gather(
        (function* () { yield* sleep(1); order.push(`a@${host.t}`); })(),
        (function* () { yield* sleep(0.5); order.push(`b@${host.t}`); })(),
      );
      return "done";
    })());
    const frame = () => {
      host.log.push("frame");
      const delay = loop.runOnce();
      expect(loop.isRunning()).toBe(false); // running only inside runOnce
      if (!task.done()) host.later(delay, frame);
    };
    host.later(0, frame);
    host.later(0.75, () => host.log.push("the host's own work at 0.75"));
    host.drain();
    expect(task.result()).toBe("done");
    expect(order).toEqual(["start@0", "b@0.5", "a@1"]);
    expect(host.log).toContain("the host's own work at 0.75");
    loop.close();
  });

  it("startGuest: the loop asks for runs (0 for ready work, the delay to its next timer)", () => {
    const host = new FakeHost();
    const loop = newEventLoop({ core, driver: hostDriver(host) });
    const requests: number[] = [];
    const task = loop.createTask((function* () {
      yield* sleep(2);
      yield* sleep(0);
      return host.t;
    })());
    loop.startGuest((delay) => {
      requests.push(delay);
      host.later(delay, () => loop.runOnce());
    });
    host.drain();
    expect(task.result()).toBe(2);
    expect(requests[0]).toBe(0);
    expect(requests).toContain(2);
    loop.close();
  });

  it("startGuest: a host event (a wrapped promise settling) asks for a run at once", async () => {
    const host = new FakeHost();
    const driver = hostDriver(host);
    const loop = newEventLoop({ core, driver });
    const requests: number[] = [];
    let settleId = -1;
    driver.send = (cmd) => {
      if (cmd.op === "settle") settleId = cmd.id;
    };
    const task = loop.createTask((function* () {
      return yield* wrap(new Promise(() => {}));
    })());
    loop.startGuest((delay) => requests.push(delay));
    loop.runOnce(); // the task starts and waits on the promise: nothing to do, nothing asked
    expect(requests).toEqual([0]);
    driver.deliver({ kind: "settled", id: settleId, ok: true, value: 42 });
    expect(requests).toEqual([0, 0]);
    while (!task.done()) loop.runOnce();
    expect(task.result()).toBe(42);
    loop.close();
  });

  it("runOnce on the virtual clock jumps to the next deadline; misuse is a clear error", async () => {
    const loop = newEventLoop({ core, clock: "virtual" });
    const task = loop.createTask((function* () {
      yield* sleep(3600);
      return loop.time();
    })());
    while (!task.done()) loop.runOnce();
    expect(task.result()).toBe(3600);
    expect(() => loop.startGuest(42 as never)).toThrow(/requestRun must be a function/);
    loop.callSoon(() => {
      expect(() => loop.runOnce()).toThrow(RuntimeError);
      loop.stop();
    });
    await loop.runForever();
    loop.close();
    expect(() => loop.runOnce()).toThrow(/Event loop is closed/);
  });
});
