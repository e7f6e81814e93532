// The driver seam: a program runs under a scripted driver with no host at all. The loop reads
// the clock and entropy only through it, sends resource operations as data, and takes host
// events only from poll(), in arrival order, inside an iteration.

import { describe, expect, it, vi } from "vitest";
import { newEventLoop, run, sleep, wrap, type Driver } from "../../src/index.ts";
import { CORES } from "../helpers.ts";

type Wake = (reason: "event" | "timer" | "yield") => void;
type Event = ReturnType<Driver["poll"]> extends (infer E)[] | null ? E : never;
type Command = Parameters<Driver["send"]>[0];

/** A driver with a fake clock: arm() jumps the clock, yields are microtasks, events are scripted. */
class ScriptedDriver implements Driver {
  readonly host = "script";
  t = 100;
  sent: Command[] = [];
  reads = { now: 0, entropy: 0 };
  private wake: Wake | null = null;
  private queue: Event[] = [];
  attach(wake: Wake) {
    this.wake = wake;
  }
  detach() {
    this.wake = null;
  }
  now() {
    this.reads.now++;
    return this.t;
  }
  entropy() {
    this.reads.entropy++;
    return 7;
  }
  arm(delay: number) {
    queueMicrotask(() => {
      this.t += delay;
      this.wake?.("timer");
    });
  }
  disarm() {}
  yieldToHost() {
    queueMicrotask(() => this.wake?.("yield"));
  }
  send(command: Command) {
    this.sent.push(command);
  }
  poll() {
    if (this.queue.length === 0) return null;
    const q = this.queue;
    this.queue = [];
    return q;
  }
  supports() {
    return false;
  }
  hostObject() {
    return null;
  }
  /** The test plays the host: an event arrives. */
  deliver(event: Event) {
    this.queue.push(event);
    this.wake?.("event");
  }
}

describe.each(CORES)("%s core", (core) => {
  it("a program runs with no host: clock, seed and wrapped promises all come through the driver", async () => {
    const driver = new ScriptedDriver();
    const spies = [
      vi.spyOn(globalThis, "setTimeout"),
      vi.spyOn(globalThis, "setImmediate"),
      vi.spyOn(performance, "now"),
      vi.spyOn(Math, "random"),
    ];
    try {
      const never = new Promise<string>(() => {}); // the host never settles it: the script does
      const result = await run(function* () {
        const t0 = yield* (function* () { return 0; })();
        void t0;
        const fut = wrap(never);
        yield* sleep(0); // the settle command is out
        const settle = driver.sent.find((c) => c.op === "settle")!;
        expect(settle).toMatchObject({ op: "settle", id: expect.any(Number) });
        driver.deliver({ kind: "settled", id: settle.id, ok: true, value: "from the script" });
        const value = yield* fut;
        yield* sleep(5); // real clock: a host wait, armed through the driver
        return value;
      }, { core, driver });
      expect(result).toBe("from the script");
      expect(driver.t).toBeGreaterThanOrEqual(105);
      expect(driver.reads.entropy).toBe(1); // the seed, since none was given
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("events are taken at one point of an iteration and delivered in arrival order", async () => {
    const driver = new ScriptedDriver();
    const order: string[] = [];
    await run(function* () {
      const a = wrap(new Promise(() => {}));
      const b = wrap(new Promise(() => {}));
      a.addDoneCallback(() => order.push("a"));
      b.addDoneCallback(() => order.push("b"));
      yield* sleep(0);
      const [ca, cb] = driver.sent.filter((c) => c.op === "settle");
      // b's settlement arrives first: it is delivered first
      driver.deliver({ kind: "settled", id: cb.id, ok: true, value: 2 });
      driver.deliver({ kind: "settled", id: ca.id, ok: false, value: new Error("a failed") });
      expect(yield* b).toBe(2);
      try {
        yield* a;
      } catch (e) {
        order.push((e as Error).message);
      }
    }, { core, driver });
    // the done-callbacks show the delivery order; main's own catch ran in between
    expect(order.filter((x) => x.length === 1)).toEqual(["b", "a"]);
    expect(order).toContain("a failed");
  });

  it("an event for a resource that is gone is dropped, and a bad driver is refused at the call", async () => {
    const driver = new ScriptedDriver();
    await run(function* () {
      driver.deliver({ kind: "data", id: 12345, bytes: new Uint8Array([1]) });
      yield* sleep(0);
    }, { core, driver });
    expect(() => newEventLoop({ driver: {} as Driver })).toThrow(/driver must implement the Driver interface/);
  });
});
