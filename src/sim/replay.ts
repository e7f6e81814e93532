// Replay: a driver that never touches the host. `run(main, { replay: trace })` makes the loop with
// the trace's options (clock, core, seed, schedule, debug) and this driver, which answers every
// read from the trace (now() and entropy() return the recorded values in order), delivers each
// recorded batch of host events at the start of the iteration that polled it (the loop polls
// every iteration: `pollsEveryIteration`), and compares every command the program sends, and the
// scheduler checksum of every iteration, with the recorded ones.
//
// The loop waits on its host in three ways (event-loop.ts `_drive`), and the replay answers each
// the way the recorded host did, at once (a microtask; synchronously under runSync):
//   arm(delay)     the recording's next iteration polled events → an event woke it ("event");
//                  else the timer fired ("timer": a virtual clock jumps to the deadline)
//   yieldToHost()  "yield"
//   idle           (the loop asks nothing) the recording's next iteration must poll events: "event"
//
// The first difference is a ReplayDivergence. It is found while the program runs (inside a
// callback, where throwing would reach the program's own code) and raised by the loop at the
// start of the next iteration (poll) or when the loop closes (detach), so the run rejects with
// it. After that the driver plays a dead host, so that run()'s clean-up can finish: closes are
// answered with `closed`, opens with an error, the clock moves only to the next timer.

import { ReplayDivergence, RuntimeError } from "../errors.js";
import type { Command, Driver, Feature, HostEvent, WakeReason } from "../io/driver.js";
import type { EventLoop } from "../loop/event-loop.js";
import { decodeEvent, decodeValue, describeCommandJson, encodeCommand, hex32, jsonEqual, type Json } from "./codec.js";
import type { IterationRecord, Trace } from "./trace.js";

type Wake = (reason: WakeReason) => void;

/** Which commands, on a dead host (after a divergence), still get an answer. */
const OPENS = new Set(["connect", "connectUnix", "listen", "listenUnix", "bindDatagram", "spawn", "connectWebSocket", "startTls"]);

/**
 * The replay driver (`run(main, { replay: trace })` makes one). Exported for tests and tools that
 * drive a loop themselves: `newEventLoop({ replay: trace })` is the usual way.
 */
export class ReplayDriver implements Driver {
  readonly host: string;
  readonly pollsEveryIteration = true;
  private wake: Wake | null = null;
  private readonly records: readonly IterationRecord[];
  private readonly sums: Uint32Array;
  private readonly end: number;
  private readonly features: ReadonlySet<string>;
  private k = 0; // the next record not reached yet
  private rec: IterationRecord | null = null; // the current iteration's record
  private iteration = 0;
  private tAt = 0;
  private rAt = 0;
  private cAt = 0;
  private waiting: "arm" | "yield" | null = null;
  private armDelay = 0;
  private scheduled = false;
  private sync = false;
  private drivenSync = false; // runSync drove the loop (for a hint when the trace is run()'s)
  private pending: ReplayDivergence | null = null; // found, to be raised by the loop
  private diverged = false; // raised: from here on the driver is a dead host
  private lastNow = 0;
  private deadEvents: HostEvent[] = [];

  constructor(
    private readonly trace: Trace,
    private readonly loop: EventLoop,
  ) {
    this.host = trace.header.host;
    this.records = trace._records;
    this.sums = trace._checksums;
    this.end = trace.iterations;
    this.features = new Set(trace.header.features);
    if (this.records.length > 0 && this.records[0].i === 0) this.rec = this.records[this.k++];
  }

  attach(wake: Wake): void {
    this.wake = wake;
  }

  /** The loop is closed: whatever the recording still held and the replay did not do is a divergence. */
  detach(): void {
    this.wake = null;
    if (this.diverged) return;
    this.endIteration();
    if (this.pending === null && this.iteration < this.end) {
      this.pending = this.div(
        this.iteration + 1,
        `iteration ${this.iteration + 1} (the recording ran ${this.end} iterations)`,
        `the end of the run after iteration ${this.iteration}`,
        "the replayed program stopped early",
      );
    }
    if (this.pending !== null) this.raise();
  }

  // ---- reads ----------------------------------------------------------------------------------

  now(): number {
    if (this.diverged) return this.lastNow;
    const t = this.rec?.t;
    if (t !== undefined && this.tAt < t.length) return (this.lastNow = t[this.tAt++]);
    this.pending ??= this.div(
      this.iteration,
      `${reads(t?.length ?? 0)} in iteration ${this.iteration}`,
      `clock read ${this.tAt + 1} there`,
      "the program reads the loop's clock more often than the recording did",
    );
    this.tAt++;
    return this.lastNow;
  }

  entropy(): number {
    const r = this.rec?.r;
    if (!this.diverged && r !== undefined && this.rAt < r.length) return r[this.rAt++];
    if (!this.diverged) {
      this.pending ??= this.div(this.iteration, `no entropy read in iteration ${this.iteration}`, "an entropy read (a loop without a seed)");
    }
    return 0;
  }

  // ---- waits ----------------------------------------------------------------------------------

  arm(delay: number): void {
    this.waiting = "arm";
    this.armDelay = delay;
    this.answerSoon();
  }

  disarm(): void {
    if (this.waiting === "arm") this.waiting = null;
  }

  yieldToHost(): void {
    this.waiting = "yield";
    this.answerSoon();
  }

  private answerSoon(): void {
    if (!this.sync && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    this.answer();
  };

  /** Answer the loop's wait the way the recorded host did; false when the loop waits on nothing. */
  private answer(): boolean {
    const wake = this.wake;
    if (wake === null) return false;
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting === "yield") {
      wake("yield");
      return true;
    }
    if (waiting === "arm") {
      if (this.diverged) {
        if (this.deadEvents.length > 0) wake("event");
        else {
          this.lastNow += this.armDelay; // a dead host's clock: only timers move it
          wake("timer");
        }
      } else if (this.pending !== null || this.eventsNext()) wake("event");
      else wake("timer");
      return true;
    }
    if (!this.loop.isRunning()) return false;
    // idle: only a host event can wake the loop, so the recording must have one next
    if (this.diverged) {
      if (this.deadEvents.length === 0) return false;
    } else if (this.pending === null && !this.eventsNext()) {
      const next = this.k < this.records.length ? this.records.slice(this.k).find((r) => r.e !== undefined) : undefined;
      this.pending = this.div(
        this.iteration + 1,
        next === undefined
          ? `iteration ${this.iteration + 1} without host events (the recording has none left)`
          : `iteration ${this.iteration + 1} without host events (the recording's next ones are at iteration ${next.i})`,
        `the loop waiting idle for the host after iteration ${this.iteration}`,
        "a recorded wake-up that did not come through the driver (callSoonThreadsafe or stop() from host code) is not replayed",
      );
    }
    wake("event");
    return true;
  }

  private eventsNext(): boolean {
    const r = this.k < this.records.length ? this.records[this.k] : null;
    return r !== null && r.i === this.iteration + 1 && r.e !== undefined;
  }

  /**
   * runSync drives the loop through this: a trace recorded under runSync never waited, so the
   * loop runs as runSync always does; one recorded under run() has its waits answered here,
   * synchronously, one after the other (no recursion: each answer returns when the loop waits
   * again).
   */
  runSync(drive: (sync: boolean) => void): void {
    this.drivenSync = true;
    const wasSync = this.sync;
    this.sync = true;
    try {
      if (this.trace.header.sync) drive(true);
      else {
        drive(false);
        while (this.answer()) {
          // each answer runs the loop until it waits again
        }
        // only after a divergence (a dead host) can the loop still wait here: say so, rather
        // than leave runSync with a loop that never stops
        if (this.loop.isRunning()) {
          throw new RuntimeError("the replay diverged earlier, and the program now waits for host events that will not come: runSync cannot finish it");
        }
      }
    } finally {
      this.sync = wasSync;
    }
  }

  // ---- commands and events ------------------------------------------------------------------------

  send(command: Command): void {
    if (this.diverged) return this.deadSend(command);
    const actual = encodeCommand(command, null);
    if (command.op === "settle") quiet(command.promise);
    if (this.pending !== null) return;
    const c = this.rec?.c;
    if (c !== undefined && this.cAt < c.length) {
      const expected = c[this.cAt] as { [key: string]: Json };
      const throws = expected.$throws;
      let same: boolean;
      if (throws === undefined) same = jsonEqual(expected, actual);
      else {
        const { $throws: _, ...rest } = expected;
        same = jsonEqual(rest, actual);
      }
      if (same) {
        this.cAt++;
        if (throws !== undefined) throw decodeValue(throws); // the recorded host refused it
        return;
      }
      this.pending = this.div(this.iteration, describeCommandJson(expected), describeCommandJson(actual), this.sentBy("the program sent a different command"));
      return;
    }
    this.pending = this.div(
      this.iteration,
      `no more commands in iteration ${this.iteration}${this.nextCommand()}`,
      describeCommandJson(actual),
      this.sentBy("the program sent a command the recording does not have"),
    );
  }

  private sentBy(what: string): string {
    const task = this.loop._currentTask;
    return task === null ? what : `${what}; task '${task.getName()}' was running`;
  }

  private nextCommand(): string {
    for (let j = this.k; j < this.records.length; j++) {
      const c = this.records[j].c;
      if (c !== undefined) return ` (the recording's next one, in iteration ${this.records[j].i}, is ${describeCommandJson(c[0])})`;
    }
    return " (the recording has none left)";
  }

  poll(iteration: number): HostEvent[] | null {
    if (this.diverged) {
      this.iteration = iteration;
      if (this.deadEvents.length === 0) return null;
      const events = this.deadEvents;
      this.deadEvents = [];
      return events;
    }
    this.endIteration();
    if (this.pending === null && iteration > this.end) {
      this.pending = this.div(
        iteration,
        `the end of the recording (it ran ${this.end} iterations)`,
        `iteration ${iteration}`,
        "the replayed program runs longer than the recorded one",
      );
    }
    if (this.pending !== null) this.raise();
    this.iteration = iteration;
    this.tAt = this.rAt = this.cAt = 0;
    const r = this.k < this.records.length && this.records[this.k].i === iteration ? this.records[this.k++] : null;
    this.rec = r;
    if (r === null || r.e === undefined) return null;
    const events = new Array<HostEvent>(r.e.length);
    for (let j = 0; j < r.e.length; j++) events[j] = decodeEvent(r.e[j]);
    return events;
  }

  observe(iteration: number, checksum: number, ready?: number): void {
    if (!this.sync && !this.scheduled) {
      // when this slice ends, see whether the loop went idle (it tells the driver nothing then)
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
    if (this.diverged || this.pending !== null || iteration > this.end) return;
    const expected = this.sums[iteration];
    if (expected !== checksum >>> 0) {
      // raised after this iteration's batch has run (at the next poll), so no ready handle is lost
      const what = ready === undefined ? "" : `; ${this.loop._describeBatch(ready)}`;
      this.pending = this.div(
        iteration,
        `scheduler checksum ${hex32(expected)}`,
        `checksum ${hex32(checksum)}${what}`,
        "the ready handles or timers differ from the recording's",
      );
    }
  }

  /** What the recording still holds for the iteration that ends now, and the replay did not do. */
  private endIteration(): void {
    const rec = this.rec;
    if (rec === null || this.pending !== null) return;
    const i = this.iteration;
    if (rec.c !== undefined && this.cAt < rec.c.length) {
      this.pending = this.div(i, describeCommandJson(rec.c[this.cAt]), `no such command: iteration ${i} ended`, "the program did not send a command the recording has");
    } else if (rec.t !== undefined && this.tAt < rec.t.length) {
      this.pending = this.div(i, `${reads(rec.t.length)} in iteration ${i}`, reads(this.tAt), "the program reads the loop's clock less often than the recording did");
    } else if (rec.r !== undefined && this.rAt < rec.r.length) {
      this.pending = this.div(i, `an entropy read in iteration ${i}`, "none");
    }
  }

  /** A divergence, with a hint where one helps. */
  private div(iteration: number, expected: string, actual: string, detail?: string): ReplayDivergence {
    const hints: string[] = detail !== undefined ? [detail] : [];
    if (iteration <= 1) {
      if (this.drivenSync && !this.trace.header.sync && /addSignal/.test(expected + actual)) {
        hints.push("the trace was recorded under run(), which listens for Ctrl+C: replay it with run(), not runSync()");
      } else hints.push("this early, the trace is probably from another program");
    }
    return new ReplayDivergence(iteration, expected, actual, hints.join("; ") || undefined);
  }

  private raise(): never {
    const d = this.pending!;
    this.pending = null;
    this.diverged = true;
    throw d;
  }

  /** After a divergence: answer what would otherwise leave run()'s clean-up waiting forever. */
  private deadSend(command: Command): void {
    if (command.op === "settle") return quiet(command.promise);
    const id = (command as { id?: number }).id;
    if (typeof id !== "number") return;
    if (command.op === "close" || command.op === "abort") this.deadEvents.push({ kind: "closed", id, error: null });
    else if (OPENS.has(command.op)) {
      this.deadEvents.push({ kind: "error", id, error: { name: "ReplayDivergence", message: "the replay diverged earlier: there is no host to do this" } });
    } else return;
    this.answerSoon(); // the loop may be idle: wake it for these
  }

  supports(feature: Feature): boolean {
    return this.features.has(feature);
  }

  hostObject(_id: number): unknown {
    return null; // there is no host: getExtraInfo('socket') is null in a replay
  }

  toString(): string {
    return `<ReplayDriver of a ${this.trace.header.host} trace, ${this.end} iterations, at iteration ${this.iteration}>`;
  }
}

function reads(n: number): string {
  return n === 0 ? "no clock read" : `${n} clock read${n === 1 ? "" : "s"}`;
}

/** A replay never settles a wrapped promise from the host; keep a rejection from being unhandled. */
function quiet(promise: PromiseLike<unknown>): void {
  try {
    promise.then(undefined, () => {});
  } catch {
    // a thenable whose then throws: the recording saw the same (a $throws command)
  }
}
