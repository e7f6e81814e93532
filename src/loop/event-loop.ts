// The event loop: asyncio's BaseEventLoop over a scheduler core.
//
// The core (Wasm or reference) owns *when* things run: the ready ring, the timer heap and the
// handle table. The loop owns *what* runs: callbacks and their arguments live in two JS arrays
// indexed by the handle's slot, with a kind byte per slot in a Uint8Array. The loop keeps no
// reference to the Handle objects it returns: a big old-space array pointing at a million young
// Handles made every scavenge walk it (measured: half the time of 1M up-front callSoons in GC). One iteration (`_runOnce`) asks the core for the batch of slots
// that are ready now, reads them through a typed-array view, and calls each callback. Only
// numbers cross into the core, once per scheduling call and once per iteration.
//
// Host-yield policy (`_drive`): while work is ready, iterations run back to back inside one host
// macrotask, so a chain of callbacks is not paced by the host's macrotask rate. The loop goes
// back to the host when it is idle (a host timer wakes it at the next deadline, or a host event
// wakes it through `_wake`), or — only while host I/O sources are open — after HOST_SLICE_S of
// busy work, so their events are not starved.

import { RuntimeError, ValueError, checkSeconds, describe } from "../errors.js";
import { _getRunningLoop, _setLoopFactory, _setRunningLoop } from "./running.js";
import { readEnv } from "../io/timers.js";
import { defaultDriver } from "../io/choose.js";
import type { Command, Driver, HostEvent, Resource, WakeReason } from "../io/driver.js";
import type { CoreKind, SchedulerCore } from "../core/types.js";
import { ReferenceCore } from "../core/reference.js";
import { createWasmCore } from "../core/wasm.js";
import { _reportUnawaited } from "./debug.js";
import { Future, _reportUnretrieved } from "../tasks/futures.js";
import { Task, ensureFuture, type Coro } from "../tasks/tasks.js";
import { TaskList } from "../tasks/task-list.js";
import { PctStrategy, RandomStrategy, Strategy, Tape, TapeStrategy } from "./schedule.js";
import type { Recorder } from "../sim/recorder.js";
import type { Trace } from "../sim/trace.js";

/** Real seconds of back-to-back work before yielding to the host while host I/O is open. */
const HOST_SLICE_S = 0.005;
/** Iterations between clock reads while checking that budget. */
const SLICE_CHECK_EVERY = 64;

/** Options for `newEventLoop` (and `run`/`runSync`). */
export interface LoopOptions {
  /** `real` (default for `run`) or `virtual` (default for `runSync`): time jumps when idle. */
  clock?: "real" | "virtual";
  /** `wasm` (default) or `js`, the pure-TS reference core. */
  core?: CoreKind;
  /** Seeds `loop.random()` and the random schedule. */
  seed?: number;
  /**
   * The order of each iteration's ready handles: `fifo` (asyncio's, the default), `random` (a
   * seeded permutation), `pct` (probabilistic concurrency testing), or a tape (`loop.tape()` of
   * an earlier run, or its choices) to replay. See loop/schedule.ts.
   */
  schedule?: "fifo" | "random" | "pct" | Tape | readonly number[];
  /** `pct`'s bug depth: `pctDepth - 1` priority change points (default 3). */
  pctDepth?: number;
  /** Debug mode (also `WASYNCIO_DEBUG=1`): slow callbacks and misuse are reported. */
  debug?: boolean;
  /** The host driver (default: the one for this host, see io/choose.ts). One driver per loop. */
  driver?: Driver;
  /** Record the run: every host input and output goes into the recorder's trace (sim/recorder.ts). */
  record?: Recorder;
  /**
   * Replay a trace with no host (sim/replay.ts): clock, core, seed, schedule, pctDepth and debug
   * are the recorded run's, whatever else is given.
   */
  replay?: Trace;
}

/**
 * @internal What `loop._tracer` is told each iteration that runs something: the batch's slots
 * (`owner(slot)` names the task or callback each runs for) before the schedule orders them
 * (FIFO) and after (the order they run in). Throwing from either ends the run with that error.
 */
export interface BatchTracer {
  before(iteration: number, batch: Uint32Array, n: number, owner: (slot: number) => unknown): void;
  after(iteration: number, batch: Uint32Array, n: number, owner: (slot: number) => unknown): void;
}

/** What an exception handler receives, as in asyncio. */
export interface ExceptionContext {
  message?: string;
  exception?: unknown;
  handle?: Handle;
  task?: Task<unknown>;
  future?: Future<unknown>;
  [key: string]: unknown;
}

/** `setExceptionHandler`'s argument: `(loop, context) => void`. */
export type ExceptionHandler = (loop: EventLoop, context: ExceptionContext) => void;

/** `setTaskFactory`'s argument: `(loop, coro, { name }) => Task` (or any Future). */
export type TaskFactory = (loop: EventLoop, coro: Coro<unknown>, options: { name?: string }) => Future<unknown>;

type AnyFn = (...args: any[]) => unknown;

interface Clock {
  readonly virtual: boolean;
  now(): number;
  advanceTo(t: number): void;
}

class RealClock implements Clock {
  readonly virtual = false;
  constructor(private readonly driver: Driver) {}
  now(): number {
    return this.driver.now();
  }
  advanceTo(): void {
    // real time cannot be moved
  }
}

/** Virtual time: starts at 0 and moves only when the loop jumps to the next deadline. */
class VirtualClock implements Clock {
  readonly virtual = true;
  private t = 0;
  now(): number {
    return this.t;
  }
  advanceTo(t: number): void {
    if (t > this.t) this.t = t;
  }
}

/** How a slot's callback is called. */
const enum SlotKind {
  Internal = 0, // fn(arg): the loop's own scheduling (task steps, done-callbacks), no allocation
  User = 1, // fn(...args) or fn() when args is undefined: callSoon/callLater/callAt
}

/** How the loop is waiting on its host between slices. */
const enum HostWait {
  None,
  Timer, // a host timer will wake it at the next deadline
  Idle, // nothing scheduled: only a host event (`_wake`) can wake it
  Macrotask, // a slice is already queued
}

/**
 * A callback scheduled with `callSoon`; `cancel()` stops it from running.
 *
 * @example
 * const h = loop.callSoon(() => console.log("never")); h.cancel();
 */
export class Handle {
  /** @internal */ _id = 0;
  /** @internal */ _callback: AnyFn | null;
  /** @internal */ _args: unknown[] | undefined;
  /** @internal */ _cancelled = false;
  /** @internal */ readonly _loop: EventLoop;

  /** @internal */
  constructor(loop: EventLoop, callback: AnyFn, args: unknown[] | undefined) {
    this._loop = loop;
    this._callback = callback;
    this._args = args;
  }

  /** Stop the callback from running; harmless if it already ran or was cancelled. */
  cancel(): void {
    if (this._cancelled) return;
    this._cancelled = true;
    this._loop._cancelId(this._id);
    this._callback = null;
    this._args = undefined;
  }

  /** Whether `cancel()` was called. */
  cancelled(): boolean {
    return this._cancelled;
  }

  /** The loop the handle belongs to. */
  getLoop(): EventLoop {
    return this._loop;
  }

  toString(): string {
    const name = this._callback ? this._callback.name || "<anonymous>" : "";
    return `<${this.constructor.name}${this._cancelled ? " cancelled" : ""}${name ? " " + name + "()" : ""}>`;
  }
}

/**
 * A callback scheduled with `callLater`/`callAt`; `when()` is its deadline on the loop's clock.
 *
 * @example
 * const h = loop.callLater(5, tick); console.log(h.when() - loop.time()); // 5
 */
export class TimerHandle extends Handle {
  /** @internal */ readonly _when: number;

  /** @internal */
  constructor(loop: EventLoop, when: number, callback: AnyFn, args: unknown[] | undefined) {
    super(loop, callback, args);
    this._when = when;
  }

  /** The deadline, in seconds on the loop's clock. */
  when(): number {
    return this._when;
  }
}

function checkCallback(callback: unknown, method: string): void {
  if (typeof callback !== "function") {
    throw new TypeError(`${method}(callback): callback must be a function, got ${describe(callback)}`);
  }
}

function isGeneratorFunction(fn: unknown): boolean {
  return typeof fn === "function" && Object.prototype.toString.call(fn) === "[object GeneratorFunction]";
}


function describeError(exc: unknown): string {
  return exc instanceof Error ? `${exc.name}: ${exc.message}` : describe(exc);
}

function isDriver(value: unknown): value is Driver {
  if (value === null || typeof value !== "object") return false;
  const d = value as Record<string, unknown>;
  return ["attach", "detach", "now", "entropy", "arm", "disarm", "yieldToHost", "send", "poll", "supports", "hostObject"].every(
    (m) => typeof d[m] === "function",
  );
}

function closedError(): RuntimeError {
  return new RuntimeError("Event loop is closed");
}

/** Stop the loop when the future `runUntilComplete` waits on is done. */
function stopWhenDone(fut: Future<unknown>): void {
  fut.getLoop().stop();
}

/**
 * asyncio's event loop. Make one with `newEventLoop()`, or let `run`/`runSync` make it.
 *
 * @example
 * const loop = newEventLoop({ clock: "virtual" });
 * loop.callLater(1, () => loop.stop());
 * await loop.runForever(); // returns at once on the virtual clock: time jumped to 1
 */
export class EventLoop {
  /** @internal */ readonly _core: SchedulerCore;
  /** @internal */ _currentTask: Task<unknown> | null = null;
  /** @internal The loop's pending tasks (see task-list.ts). */
  readonly _tasks = new TaskList();
  /** @internal Futures whose exception nobody retrieved yet (see futures.ts). */
  readonly _unretrieved = new Set<{ ref: WeakRef<Future<unknown>>; exception: unknown; message: string }>();
  /** @internal Debug mode: operation coroutines created but not yet driven (see debug.ts). */
  readonly _debugCoroutines = new Set<{ loop: EventLoop; name: string; createdAt: string }>();
  /** @internal runSync is driving this loop (one host job from start to close; see futures.ts). */
  _inSyncRun = false;
  /** @internal Describes what the main task waits on, for deadlock errors (set by run/runSync). */
  _deadlockHint: (() => string) | null = null;

  // what runs, by slot: the callback, its argument(s), and how to call it (SlotKind)
  private _entries: (AnyFn | undefined)[] = [];
  private _args: unknown[] = [];
  private _kinds = new Uint8Array(1024);
  // debug mode only: the Handle of each user callback, for slow-callback and error reports
  private _debugHandles: Map<number, Handle> | null = null;

  private readonly _clock: Clock;
  private _closed = false;
  private _running = false;
  private _stopping = false;
  private _inSlice = false;
  private _guest: ((delay: number) => void) | null = null; // guest mode: how to ask the host for a run
  private _hostWait = HostWait.None;
  private _hostSources = 0;
  // the host: every clock read, wake-up, resource command and host event goes through it
  private readonly _driver: Driver;
  private _hostWoken = false; // the driver has events for the next iteration
  private _pollAlways = false; // a replay driver: poll every iteration
  private _observer: Driver | null = null; // a recording/replay driver: told each iteration's checksum
  private _iteration = 0;
  private _strategy: Strategy | null = null; // null: FIFO
  /**
   * @internal sim/'s batch tracer (explore's determinism check, shrink's report, a step limit):
   * sees each non-empty batch in FIFO order, then as the schedule ordered it. Off (null) by
   * default: one null check per iteration.
   */
  _tracer: BatchTracer | null = null;
  private _resources = new Map<number, Resource>();
  private _resourceInFlight = new Map<number, boolean>();
  private _nextResourceId = 1;
  private _jumpTo = 0;
  private _settle: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  private _debug = false;
  private _slowCallbackDuration = 0.1;
  private _exceptionHandler: ExceptionHandler | null = null;
  private _taskFactory: TaskFactory | null = null;

  constructor(options: LoopOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`newEventLoop(options): options must be an object, got ${describe(options)}`);
    }
    // record/replay (sim/): a replay runs with its trace's options; both are reached through
    // methods of the objects passed in, so loop/ imports nothing from sim/ at runtime
    const { record, replay } = options;
    if (replay !== undefined) {
      if (replay === null || typeof (replay as Partial<Trace>)._replayDriver !== "function") {
        throw new TypeError(`newEventLoop(options): replay must be a Trace (recorder.trace() or Trace.parse(text)), got ${describe(replay)}`);
      }
      if (options.driver !== undefined) throw new ValueError("newEventLoop(options): replay and driver cannot be combined: a replay is its own driver");
      options = { ...options, ...replay._loopOptions() };
    }
    if (record !== undefined && (record === null || typeof (record as Partial<Recorder>)._wrap !== "function")) {
      throw new TypeError(`newEventLoop(options): record must be a Recorder, got ${describe(record)}`);
    }
    const { clock = "real", core = "wasm", seed, schedule = "fifo", debug, driver, pctDepth = 3 } = options;
    if (clock !== "real" && clock !== "virtual") {
      throw new ValueError(`newEventLoop(options): clock must be 'real' or 'virtual', got ${describe(clock)}`);
    }
    if (core !== "wasm" && core !== "js") {
      throw new ValueError(`newEventLoop(options): core must be 'wasm' or 'js', got ${describe(core)}`);
    }
    const tape = schedule instanceof Tape || Array.isArray(schedule) ? Tape.from(schedule) : null;
    if (tape === null && schedule !== "fifo" && schedule !== "random" && schedule !== "pct") {
      throw new ValueError(`newEventLoop(options): schedule must be 'fifo', 'random', 'pct' or a Tape, got ${describe(schedule)}`);
    }
    if (typeof pctDepth !== "number" || !Number.isInteger(pctDepth) || pctDepth < 1) {
      throw new ValueError(`newEventLoop(options): pctDepth must be a positive integer, got ${describe(pctDepth)}`);
    }
    if (seed !== undefined && (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0)) {
      throw new ValueError(`newEventLoop(options): seed must be a non-negative safe integer, got ${describe(seed)}`);
    }
    if (driver !== undefined && !isDriver(driver)) {
      throw new TypeError(`newEventLoop(options): driver must implement the Driver interface (now, send, poll, …), got ${describe(driver)}`);
    }
    const debugOn = debug ?? readEnv("WASYNCIO_DEBUG") === "1";
    let host = replay !== undefined ? replay._replayDriver(this) : (driver ?? defaultDriver());
    if (record !== undefined) {
      host = record._wrap(host, { clock, core, seed: seed ?? null, schedule: tape !== null ? [...tape.choices] : (schedule as "fifo"), pctDepth, debug: debugOn });
    }
    this._driver = host;
    this._clock = clock === "virtual" ? new VirtualClock() : new RealClock(this._driver);
    this._core = core === "wasm" ? createWasmCore() : new ReferenceCore();
    this._driver.attach(this._onHostWake);
    const s = seed ?? (clock === "virtual" ? 0 : this._driver.entropy());
    this._core.seed(s >>> 0, Math.floor(s / 2 ** 32) >>> 0);
    if (tape !== null) this._strategy = new TapeStrategy(tape);
    else if (schedule === "random") this._strategy = new RandomStrategy(this._core);
    else if (schedule === "pct") this._strategy = new PctStrategy(this._core, pctDepth);
    this._pollAlways = this._driver.pollsEveryIteration === true;
    if (typeof this._driver.observe === "function") {
      this._observer = this._driver;
      this._core.setChecksum(1);
    }
    this.setDebug(debugOn);
  }

  // ---- scheduling -----------------------------------------------------------------------------

  /**
   * Run `callback(...args)` at the next iteration, after what is already scheduled (FIFO).
   *
   * @example
   * loop.callSoon(console.log, "hello");
   */
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle {
    checkCallback(callback, "callSoon");
    if (this._closed) throw closedError();
    if (this._debug) this._checkDebug(callback, "callSoon");
    const handle = this._register(new Handle(this, callback as AnyFn, args.length === 0 ? undefined : args), this._core.soon());
    if (!this._inSlice && (this._running || this._guest !== null)) this._wake();
    return handle;
  }

  /**
   * `callSoon` for host callbacks (a promise settling, a worker message): it also wakes the
   * loop if it is waiting on its host.
   *
   * @example
   * setTimeout(() => loop.callSoonThreadsafe(() => fut.setResult(1)), 10);
   */
  callSoonThreadsafe<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle {
    checkCallback(callback, "callSoonThreadsafe");
    if (this._closed) throw closedError();
    if (this._debug && isGeneratorFunction(callback)) {
      throw new TypeError("coroutines cannot be used with callSoonThreadsafe()");
    }
    const handle = this._register(new Handle(this, callback as AnyFn, args.length === 0 ? undefined : args), this._core.soon());
    this._wake();
    return handle;
  }

  /**
   * Run `callback(...args)` after `delay` seconds. Timers with equal deadlines fire in the
   * order they were scheduled.
   *
   * @example
   * loop.callLater(0.5, () => console.log("half a second later"));
   */
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): TimerHandle {
    checkSeconds(delay, "callLater(delay)", "delay");
    checkCallback(callback, "callLater");
    if (this._closed) throw closedError();
    return this._timer(this._clock.now() + delay, callback as AnyFn, args, "callLater");
  }

  /**
   * Run `callback(...args)` at `when`, in seconds on this loop's clock (`loop.time()`).
   *
   * @example
   * loop.callAt(loop.time() + 2, () => console.log("two seconds later"));
   */
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): TimerHandle {
    checkSeconds(when, "callAt(when)", "when");
    checkCallback(callback, "callAt");
    if (this._closed) throw closedError();
    return this._timer(when, callback as AnyFn, args, "callAt");
  }

  private _timer(when: number, callback: AnyFn, args: unknown[], method: string): TimerHandle {
    if (this._debug) this._checkDebug(callback, method);
    const handle = this._register(new TimerHandle(this, when, callback, args.length === 0 ? undefined : args), this._core.at(when));
    if (!this._inSlice && (this._running || this._guest !== null)) this._wake();
    return handle;
  }

  /** A user callback's slot: its callback and args (and, in debug mode, its Handle). */
  private _register<H extends Handle>(handle: H, id: number): H {
    handle._id = id;
    this._store(id >>> 0, handle._callback as AnyFn, handle._args, SlotKind.User);
    if (this._debugHandles !== null) this._debugHandles.set(id >>> 0, handle);
    return handle;
  }

  /**
   * Both slot arrays are written for every slot, so they stay dense (packed elements): a write
   * far past an array's end would turn it into a slow dictionary-mode array.
   */
  private _store(slot: number, fn: AnyFn, arg: unknown, kind: SlotKind): void {
    this._entries[slot] = fn;
    this._args[slot] = arg;
    let kinds = this._kinds;
    if (slot >= kinds.length) {
      const grown = new Uint8Array(Math.max(kinds.length * 2, slot + 1));
      grown.set(kinds);
      this._kinds = kinds = grown;
    }
    kinds[slot] = kind;
  }

  /** @internal Schedule `fn(arg)` next iteration: no Handle, no checks (internal callers). */
  _soon(fn: (arg: any) => void, arg: unknown): void {
    if (this._closed) throw closedError();
    this._store(this._core.soon() >>> 0, fn, arg, SlotKind.Internal);
    if (!this._inSlice && (this._running || this._guest !== null)) this._wake();
  }

  /** @internal Schedule `fn(arg)` at `when`; returns the id for `_cancelId`. */
  _at(when: number, fn: (arg: any) => void, arg: unknown): number {
    if (this._closed) throw closedError();
    const id = this._core.at(when);
    this._store(id >>> 0, fn, arg, SlotKind.Internal);
    if (!this._inSlice && (this._running || this._guest !== null)) this._wake();
    return id;
  }

  /** @internal Cancel a scheduled id; stale ids are ignored by the core. */
  _cancelId(id: number): void {
    if (this._closed) return;
    if (this._core.cancel(id) === 1) {
      const slot = id >>> 0;
      this._entries[slot] = undefined;
      this._args[slot] = undefined;
      if (this._debugHandles !== null) this._debugHandles.delete(slot);
    }
  }

  // ---- the host: resources, commands and events ---------------------------------------------------

  /**
   * Take the events the driver queued since the last iteration and schedule their delivery, in
   * arrival order, in this iteration (after what was already ready, as asyncio's
   * `_process_events` adds its callbacks to `_ready`).
   */
  private _takeHostEvents(iteration: number): void {
    this._hostWoken = false;
    const events = this._driver.poll(iteration);
    if (events === null) return;
    for (let i = 0; i < events.length; i++) this._soon(this._deliver, events[i]);
  }

  /** One host event reaches its resource; events for a resource already gone are dropped. */
  private readonly _deliver = (event: HostEvent): void => {
    const resource = this._resources.get(event.id);
    if (resource !== undefined) resource.onEvent(event);
  };

  /** @internal A new resource id: the loop numbers its resources, so ids repeat run to run. */
  _newResourceId(): number {
    return this._nextResourceId++;
  }

  /**
   * @internal Register an open resource under `id`. `inFlight`: it may produce events by itself
   * (a socket, a server, a process), so the virtual clock must not jump and runSync must not
   * wait; a signal handler is not in flight.
   */
  _openResource(id: number, resource: Resource, inFlight = true): void {
    if (this._closed) throw closedError();
    this._resources.set(id, resource);
    if (inFlight) this._hostSources++;
    this._resourceInFlight.set(id, inFlight);
  }

  /** @internal The resource is gone: its late events are dropped. Idempotent. */
  _closeResource(id: number): void {
    if (!this._resources.delete(id)) return;
    if (this._resourceInFlight.get(id)) this._hostSources--;
    this._resourceInFlight.delete(id);
  }

  /** @internal Whether `id` is open. */
  _hasResource(id: number): boolean {
    return this._resources.has(id);
  }

  /** @internal The open resources, oldest first (for shutdown and debug reports). */
  _openResources(): Resource[] {
    return Array.from(this._resources.values());
  }

  /** @internal Send a command to the host. */
  _send(command: Command): void {
    if (this._closed) throw closedError();
    this._driver.send(command);
  }

  /** @internal The driver (for capability checks and host objects). */
  get _host(): Driver {
    return this._driver;
  }

  /** @internal A host operation (a wrapped promise, I/O) is in flight: don't autojump or block. */
  _hostSourceOpened(): void {
    this._hostSources++;
  }

  /** @internal */
  _hostSourceClosed(): void {
    this._hostSources--;
  }

  private _checkDebug(callback: unknown, method: string): void {
    if (isGeneratorFunction(callback)) throw new TypeError(`coroutines cannot be used with ${method}()`);
    const running = _getRunningLoop();
    if (running !== null && running !== this) {
      throw new RuntimeError(
        `Non-thread-safe operation invoked on an event loop other than the current one: ${method}() on a loop that is not the running loop`,
      );
    }
  }

  // ---- one iteration ----------------------------------------------------------------------------

  /**
   * One iteration, like asyncio's `_run_once`: the core moves due timers to the ready queue and
   * hands back exactly the handles that were ready when the iteration began; work they schedule
   * waits for the next iteration.
   */
  private _runOnce(): void {
    const core = this._core;
    const iteration = ++this._iteration;
    if (this._hostWoken || this._pollAlways) this._takeHostEvents(iteration);
    const n = core.tick(core.timerLen() > 0 ? this._clock.now() : 0);
    if (this._observer !== null) this._observer.observe!(iteration, core.checksum(), n);
    if (n === 0) return;
    const strategy = this._strategy;
    const tracer = this._tracer;
    if (tracer !== null) tracer.before(iteration, core.batch(), n, this._ownerOf);
    if (strategy !== null && n > 1) strategy.order(core.batch(), n, this._ownerOf);
    if (tracer !== null) tracer.after(iteration, core.batch(), n, this._ownerOf);
    let batch = core.batch();
    const entries = this._entries;
    const args = this._args;
    const kinds = this._kinds;
    const debug = this._debugHandles !== null;
    for (let i = 0; i < n; i++) {
      let slot = batch[i];
      if (slot === undefined) {
        // a callback grew the core's memory, which detaches views: re-make and re-read
        batch = core.batch();
        slot = batch[i];
      }
      const fn = entries[slot];
      if (fn === undefined) continue; // cancelled after this iteration began
      entries[slot] = undefined;
      const arg = args[slot];
      args[slot] = undefined;
      const kind = kinds[slot];
      const started = debug ? this._driver.now() : 0;
      // This is the one place where callbacks are called.
      try {
        if (kind === SlotKind.Internal) fn(arg);
        else if (arg === undefined) fn();
        else fn(...(arg as unknown[]));
      } catch (exc) {
        this._callbackFailed(exc, slot, fn, arg, kind);
      }
      if (debug) {
        const took = this._driver.now() - started;
        if (took >= this._slowCallbackDuration) this._reportSlow(slot, fn, arg, kind, took);
        if (kind === SlotKind.User) this._debugHandles!.delete(slot);
      }
    }
    if (strategy !== null && strategy.failure !== null) {
      // a bad tape: raised after the batch ran, so nothing ready was lost
      const failure = strategy.failure;
      strategy.failure = null;
      throw failure;
    }
  }

  /**
   * The Handle a user callback was scheduled with (debug mode keeps them), or else a Handle
   * describing it. The loop does not keep every returned Handle: measured on 1M up-front
   * callSoons, the references cost 1.5-2x in scavenges. The describing Handle's id matches no
   * slot, so cancelling it is harmless (its callback has run anyway).
   */
  private _describeHandle(slot: number, fn: AnyFn, arg: unknown): Handle {
    const known = this._debugHandles?.get(slot);
    if (known !== undefined) return known;
    const handle = new Handle(this, fn, arg as unknown[] | undefined);
    handle._id = -1;
    return handle;
  }

  private _callbackFailed(exc: unknown, slot: number, fn: AnyFn, arg: unknown, kind: SlotKind): void {
    const context: ExceptionContext = { message: `Exception in callback ${fn.name || "<anonymous>"}`, exception: exc };
    if (kind === SlotKind.User) context.handle = this._describeHandle(slot, fn, arg);
    else if (arg instanceof Task) context.task = arg;
    else if (arg instanceof Future) context.future = arg;
    this.callExceptionHandler(context);
  }

  private _reportSlow(slot: number, fn: AnyFn, arg: unknown, kind: SlotKind, took: number): void {
    let what: string;
    if (arg instanceof Task) what = `step of ${arg}`;
    else if (kind === SlotKind.User) what = String(this._describeHandle(slot, fn, arg));
    else what = `<callback ${fn.name || "<anonymous>"}>`;
    console.warn(`wasyncio: executing ${what} took ${took.toFixed(3)} seconds (slowCallbackDuration is ${this._slowCallbackDuration})`);
  }

  // ---- running ----------------------------------------------------------------------------------

  private _checkRunnable(): void {
    if (this._closed) throw closedError();
    if (this._running) throw new RuntimeError("This event loop is already running");
    const running = _getRunningLoop();
    if (running !== null && running !== this) {
      throw new RuntimeError("Cannot run the event loop while another loop is running");
    }
  }

  private _start(): void {
    this._running = true;
    _setRunningLoop(this);
  }

  private _finish(): void {
    this._core.release(); // the last batch has run: an idle loop holds no slots
    this._stopping = false;
    this._running = false;
    if (this._hostWait === HostWait.Timer) this._driver.disarm();
    else if (this._hostWait === HostWait.Idle) this._driver.keepAlive?.(false);
    this._hostWait = HostWait.None;
    if (_getRunningLoop() === this) _setRunningLoop(null);
    const settle = this._settle;
    this._settle = null;
    if (settle) settle.resolve();
  }

  private _fail(exc: unknown): void {
    const settle = this._settle;
    this._settle = null; // so _finish does not resolve what must reject
    this._finish();
    if (settle) settle.reject(exc);
    else throw exc;
  }

  /**
   * Run iterations back to back until the loop stops or must wait. `sync` (runSync) never waits
   * on the host: waiting is an error that names what was pending.
   */
  private _drive(sync: boolean): void {
    const core = this._core;
    const clock = this._clock;
    this._hostWait = HostWait.None;
    const driver = this._driver;
    let sliceEnd = !sync && this._hostSources > 0 ? driver.now() + HOST_SLICE_S : Infinity;
    let sinceCheck = 0;
    this._inSlice = true;
    // The loop is the running loop only while it runs iterations: between slices (waiting on its
    // host) it is not, so host code — another request's run(), a host callback — is outside it,
    // and several loops can take turns on one thread (asyncio's rule is per thread; a JS host
    // has one thread and many callers).
    _setRunningLoop(this);
    try {
      for (;;) {
        this._runOnce();
        if (this._stopping) {
          this._finish();
          return;
        }
        if (core.readyLen() > 0 || this._hostWoken) {
          if (!sync && ++sinceCheck >= SLICE_CHECK_EVERY) {
            sinceCheck = 0;
            if (sliceEnd === Infinity) {
              // host I/O opened during this slice (main started a fetch, then kept busy): the
              // budget starts now, so the host's events are not starved until the loop idles
              if (this._hostSources > 0) sliceEnd = driver.now() + HOST_SLICE_S;
            } else if (driver.now() >= sliceEnd) {
              this._hostWait = HostWait.Macrotask;
              driver.yieldToHost();
              return;
            }
          }
          continue;
        }
        // idle: nothing ready
        const hostOpen = this._hostSources > 0;
        // a timer at +Infinity never fires: it does not count as something to wait for
        if (core.timerLen() > 0 && core.nextDeadline() !== Infinity) {
          const when = core.nextDeadline();
          const now = clock.now();
          if (when <= now) continue;
          if (clock.virtual && !hostOpen) {
            clock.advanceTo(when); // autojump: nothing else can happen before `when`
            continue;
          }
          if (sync) throw this._waitError(`the next timer is due at ${when} and host I/O is pending`);
          this._jumpTo = when;
          this._hostWait = HostWait.Timer;
          driver.arm(when - now);
          return;
        }
        if (sync || (clock.virtual && !hostOpen)) {
          throw this._waitError(hostOpen ? "nothing is ready or scheduled and host I/O is pending" : "");
        }
        this._hostWait = HostWait.Idle;
        // only a host event can wake the loop now: keep the host up for it (asyncio blocks in select)
        if (hostOpen) driver.keepAlive?.(true);
        return;
      }
    } finally {
      this._inSlice = false;
      if (_getRunningLoop() === this) _setRunningLoop(null);
    }
  }

  private _waitError(detail: string): RuntimeError {
    const hint = this._deadlockHint ? this._deadlockHint() : "the loop";
    if (this._hostSources > 0) {
      return new RuntimeError(
        `runSync cannot wait for the host: ${hint}, and ${this._hostSources} host operation(s) (wrapped promises or I/O) are in flight${detail ? "; " + detail : ""}. Use run() for programs that wait on host I/O.`,
      );
    }
    return new RuntimeError(`deadlock: ${hint}, but nothing is ready, scheduled or in flight to wake it`);
  }

  private _driveSafely(sync: boolean): void {
    try {
      this._drive(sync);
    } catch (exc) {
      this._fail(exc);
    }
  }

  /**
   * The driver calls this from host callbacks: a yield is over, the armed timer fired, or
   * events arrived (they are taken at the start of the next iteration; the loop is woken by a
   * yield, never run inside the host's callback).
   */
  private readonly _onHostWake = (reason: WakeReason): void => {
    if (reason === "event") {
      this._hostWoken = true;
      if (this._running || this._guest !== null) this._wake();
      return;
    }
    if (!this._running) return;
    if (reason === "yield") {
      if (this._hostWait === HostWait.Macrotask) this._driveSafely(false);
    } else if (this._hostWait === HostWait.Timer) {
      this._clock.advanceTo(this._jumpTo); // virtual clock: the wait for host I/O timed out
      this._driveSafely(false);
    }
  };

  /** @internal Wake a loop that waits on its host (a host event or a threadsafe call arrived). */
  _wake(): void {
    if (this._guest !== null && !this._running) {
      this._guest(0); // guest mode: ask the host to run an iteration
      return;
    }
    const wait = this._hostWait;
    if (wait === HostWait.None || wait === HostWait.Macrotask) return;
    if (wait === HostWait.Timer) this._driver.disarm();
    else this._driver.keepAlive?.(false);
    this._hostWait = HostWait.Macrotask;
    this._driver.yieldToHost();
  }

  /**
   * Run until `stop()` is called. Returns a Promise that settles when the loop stops.
   * Throws `RuntimeError` at once if the loop is closed or already running.
   *
   * @example
   * loop.callLater(1, () => loop.stop());
   * await loop.runForever();
   */
  runForever(): Promise<void> {
    this._checkRunnable();
    return new Promise<void>((resolve, reject) => {
      this._settle = { resolve, reject };
      this._start();
      this._driveSafely(false);
    });
  }

  /**
   * Run until `aw` (a coroutine, Future or Task) is done; resolves with its result or rejects
   * with its exception.
   *
   * @example
   * const value = await loop.runUntilComplete(main());
   */
  runUntilComplete<T>(aw: Coro<T> | Future<T>): Promise<T> {
    this._checkRunnable();
    const fut = ensureFuture(aw, { loop: this });
    fut.addDoneCallback(stopWhenDone);
    return this.runForever().then(
      () => this._completed(fut),
      (exc) => {
        fut.removeDoneCallback(stopWhenDone);
        throw exc;
      },
    );
  }

  /** @internal `runUntilComplete` without waiting on the host (runSync). */
  _runUntilCompleteSync<T>(aw: Coro<T> | Future<T>): T {
    this._checkRunnable();
    const fut = ensureFuture(aw, { loop: this });
    fut.addDoneCallback(stopWhenDone);
    this._start();
    try {
      // record/replay (sim/): the driver drives — a replay answers host waits from its trace
      const host = this._driver;
      if (host.runSync !== undefined) host.runSync((sync) => this._drive(sync));
      else this._drive(true);
    } catch (exc) {
      fut.removeDoneCallback(stopWhenDone);
      this._fail(exc);
    }
    return this._completed(fut);
  }

  private _completed<T>(fut: Future<T>): T {
    fut.removeDoneCallback(stopWhenDone);
    if (!fut.done()) throw new RuntimeError("Event loop stopped before Future completed.");
    return fut.result();
  }

  // ---- guest mode ---------------------------------------------------------------------------------

  /**
   * Guest mode: run one iteration now, from a host that owns its own loop (a game's
   * `requestAnimationFrame`, an edge handler, a test harness, another scheduler), and return how
   * long the host may wait before calling again: `0` when work is ready, the seconds until the
   * next timer, or `Infinity` when only a host event (I/O, a wrapped promise,
   * `callSoonThreadsafe`) can give the loop work. The loop is running only inside the call. On the
   * virtual clock an idle loop with nothing in flight first jumps to its next deadline.
   * asyncio has no such mode; trio's guest mode is the model.
   *
   * @example
   * const task = loop.createTask(main());
   * function frame() { loop.runOnce(); if (!task.done()) requestAnimationFrame(frame); }
   * requestAnimationFrame(frame);
   */
  runOnce(): number {
    this._checkRunnable();
    const core = this._core;
    const clock = this._clock;
    if (clock.virtual && core.readyLen() === 0 && !this._hostWoken && this._hostSources === 0 && core.timerLen() > 0) {
      const when = core.nextDeadline();
      if (when !== Infinity) clock.advanceTo(when); // autojump, as the driven loop does
    }
    this._start();
    this._inSlice = true;
    try {
      this._runOnce();
    } finally {
      this._inSlice = false;
      this._running = false;
      this._stopping = false; // stop() has nothing to stop in guest mode
      core.release();
      if (_getRunningLoop() === this) _setRunningLoop(null);
    }
    const delay = this._guestDelay();
    if (this._guest !== null && delay !== Infinity) this._guest(delay);
    return delay;
  }

  /**
   * Guest mode, trio's shape: the loop asks the host to call `runOnce()` by calling
   * `requestRun(delaySeconds)` — after each iteration that leaves work or a timer, and whenever
   * a host event or threadsafe call arrives (with 0). The first request is made now.
   *
   * @example
   * loop.startGuest((delay) => setTimeout(() => loop.runOnce(), delay * 1000));
   */
  startGuest(requestRun: (delaySeconds: number) => void): void {
    if (typeof requestRun !== "function") {
      throw new TypeError(`startGuest(requestRun): requestRun must be a function, got ${describe(requestRun)}`);
    }
    if (this._closed) throw closedError();
    if (this._running) throw new RuntimeError("startGuest() cannot be called while the loop is running");
    this._guest = requestRun;
    requestRun(this._guestDelay());
  }

  private _guestDelay(): number {
    const core = this._core;
    if (core.readyLen() > 0 || this._hostWoken) return 0;
    if (core.timerLen() > 0) {
      const when = core.nextDeadline();
      if (when === Infinity) return Infinity;
      if (this._clock.virtual && this._hostSources === 0) return 0; // the next runOnce jumps there
      return Math.max(0, when - this._clock.now());
    }
    return Infinity;
  }

  /**
   * Stop after the current iteration. Called before the loop runs, the next run does one
   * iteration and stops (asyncio's rule).
   *
   * @example
   * loop.callLater(5, () => loop.stop());
   */
  stop(): void {
    this._stopping = true;
    this._wake();
  }

  /** Whether the loop is running. */
  isRunning(): boolean {
    return this._running;
  }

  /** Whether `close()` was called. */
  isClosed(): boolean {
    return this._closed;
  }

  /**
   * Close the loop: pending callbacks and timers are dropped, and exceptions no one retrieved
   * are reported. A running loop cannot be closed.
   *
   * @example
   * loop.close(); loop.isClosed(); // true
   */
  close(): void {
    if (this._running) throw new RuntimeError("Cannot close a running event loop");
    if (this._closed) return;
    _reportUnretrieved(this);
    _reportUnawaited(this);
    this._closed = true;
    this._core.dispose(); // no core call after this: a Wasm core goes to the next loop
    this._entries = [];
    this._args = [];
    this._debugHandles?.clear();
    this._tasks.clear();
    this._resources.clear();
    this._resourceInFlight.clear();
    this._guest = null;
    this._driver.detach();
  }

  /**
   * The loop's time in seconds: monotonic real time, or the virtual clock (starts at 0).
   *
   * @example
   * const t0 = loop.time();
   */
  time(): number {
    return this._clock.now();
  }

  /**
   * A seeded uniform float in [0, 1): the same seed gives the same sequence.
   *
   * @example
   * const loop = newEventLoop({ seed: 42 }); loop.random();
   */
  random(): number {
    if (this._closed) throw closedError();
    return this._strategy === null ? this._core.random() : this._strategy.random();
  }

  /**
   * The choices this loop's schedule has made so far: replay them with `schedule: tape`. Under
   * FIFO (no choices) it is the empty tape, which replays as FIFO.
   *
   * @example
   * const loop = newEventLoop({ schedule: "random", seed: 3 }); …; const tape = loop.tape();
   */
  tape(): Tape {
    return new Tape(this._strategy === null ? [] : this._strategy.choices);
  }

  /**
   * @internal For sim/replay's divergence messages: what the first handles of the current batch
   * (`n` ready, after the tick) run for.
   */
  _describeBatch(n: number, limit = 6): string {
    const batch = this._core.batch();
    const out: string[] = [];
    for (let i = 0; i < n && out.length < limit; i++) {
      const slot = batch[i];
      const fn = this._entries[slot];
      const arg = this._args[slot];
      if (fn === undefined) continue;
      if (fn === this._deliver) out.push(`the '${(arg as HostEvent).kind}' event for resource ${(arg as HostEvent).id}`);
      else if (arg instanceof Task) out.push(`a step of ${arg}`);
      else if (arg instanceof Future) out.push(`${fn.name || "a callback"} of ${arg}`);
      else out.push(`${fn.name || "<anonymous>"}()`);
    }
    return `${n} ready: ${out.join(", ")}${n > out.length ? ", …" : ""}`;
  }

  /**
   * @internal Recording or replaying (a driver with `observe`): reports the GC would trigger (a
   * future collected with its exception unretrieved) wait for close() (tasks/futures.ts).
   */
  get _deterministicReports(): boolean {
    return this._observer !== null;
  }

  /** How many iterations the loop has run (the first is 1): what traces and tapes count in. */
  get iteration(): number {
    return this._iteration;
  }

  /** What a ready slot runs for (PCT's priorities): its task, else its callback. */
  private readonly _ownerOf = (slot: number): unknown => {
    const arg = this._args[slot];
    if (this._kinds[slot] === SlotKind.Internal && arg instanceof Future) return arg;
    return this._entries[slot] ?? slot;
  };

  // ---- futures and tasks --------------------------------------------------------------------

  /**
   * A new Future bound to this loop.
   *
   * @example
   * const fut = loop.createFuture<number>(); loop.callLater(1, () => fut.setResult(42));
   */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>(undefined, this);
  }

  /**
   * Wrap a coroutine in a Task scheduled on this loop (through the task factory, if set).
   *
   * @example
   * const task = loop.createTask(worker(), { name: "worker" });
   */
  createTask<T>(coro: Coro<T>, options?: { name?: string }): Task<T> {
    if (this._closed) throw closedError();
    const name = options?.name;
    if (this._taskFactory === null) return new Task<T>(coro, { loop: this, name });
    const task = this._taskFactory(this, coro as Coro<unknown>, { name });
    if (name !== undefined && task instanceof Task) task.setName(name);
    return task as Task<T>;
  }

  /**
   * Make `createTask` go through `factory(loop, coro, { name })`; `null` restores the default.
   *
   * @example
   * loop.setTaskFactory(eagerTaskFactory);
   */
  setTaskFactory(factory: TaskFactory | null | undefined): void {
    if (factory != null && typeof factory !== "function") {
      throw new TypeError(`setTaskFactory(factory): factory must be a function or null, got ${describe(factory)}`);
    }
    this._taskFactory = factory ?? null;
  }

  /** The task factory, or `null`. */
  getTaskFactory(): TaskFactory | null {
    return this._taskFactory;
  }

  // ---- errors -----------------------------------------------------------------------------------

  /**
   * Handle errors the loop cannot raise anywhere (a callback threw, an exception was never
   * retrieved). `null` restores the default handler.
   *
   * @example
   * loop.setExceptionHandler((loop, ctx) => log.error(ctx.message, ctx.exception));
   */
  setExceptionHandler(handler: ExceptionHandler | null | undefined): void {
    if (handler != null && typeof handler !== "function") {
      throw new TypeError(`setExceptionHandler(handler): handler must be a function or null, got ${describe(handler)}`);
    }
    this._exceptionHandler = handler ?? null;
  }

  /** The handler set by `setExceptionHandler`, or `null`. */
  getExceptionHandler(): ExceptionHandler | null {
    return this._exceptionHandler;
  }

  /**
   * Print `context` to `console.error`: the message, then each other key.
   *
   * @example
   * loop.setExceptionHandler((loop, ctx) => { count++; loop.defaultExceptionHandler(ctx); });
   */
  defaultExceptionHandler(context: ExceptionContext): void {
    const message = context.message || "Unhandled exception in event loop";
    const lines = [message];
    for (const key of Object.keys(context).sort()) {
      if (key === "message" || key === "exception") continue;
      const value = context[key];
      if (key === "context" && value !== null && typeof value === "object") {
        // the context the failed handler was given: its message and exception, readable
        const inner = value as ExceptionContext;
        lines.push(`context: ${inner.message || "(no message)"}${inner.exception !== undefined ? ` (exception: ${describeError(inner.exception)})` : ""}`);
      } else {
        lines.push(`${key}: ${describe(value)}`);
      }
    }
    if (context.exception !== undefined) console.error(lines.join("\n"), context.exception);
    else console.error(lines.join("\n"));
  }

  /**
   * Send `context` to the exception handler (or the default one). A handler that throws is
   * reported through the default handler; nothing escapes to the caller.
   *
   * @example
   * loop.callExceptionHandler({ message: "lost a connection", exception: err });
   */
  callExceptionHandler(context: ExceptionContext): void {
    const handler = this._exceptionHandler;
    if (handler === null) {
      try {
        this.defaultExceptionHandler(context);
      } catch (exc) {
        console.error("wasyncio: exception in the default exception handler", exc);
      }
      return;
    }
    try {
      handler(this, context);
    } catch (exc) {
      try {
        this.defaultExceptionHandler({ message: "Unhandled error in exception handler", exception: exc, context });
      } catch (again) {
        console.error("wasyncio: exception in the default exception handler", again);
      }
    }
  }

  // ---- debug ------------------------------------------------------------------------------------

  /** Whether debug mode is on. */
  getDebug(): boolean {
    return this._debug;
  }

  /**
   * Turn debug mode on or off: slow callbacks are reported; coroutine functions passed as
   * callbacks and calls from another loop's callbacks raise; wasyncio operations whose coroutine
   * is dropped without `yield*` (e.g. `sleep(1);`) are reported as never awaited.
   */
  setDebug(enabled: boolean): void {
    this._debug = Boolean(enabled);
    this._debugHandles = this._debug ? (this._debugHandles ?? new Map()) : null;
  }

  /** Seconds a callback may run before debug mode reports it (default 0.1). */
  get slowCallbackDuration(): number {
    return this._slowCallbackDuration;
  }

  set slowCallbackDuration(seconds: number) {
    if (typeof seconds !== "number" || !(seconds >= 0)) {
      throw new ValueError(`slowCallbackDuration must be a non-negative number of seconds, got ${describe(seconds)}`);
    }
    this._slowCallbackDuration = seconds;
  }

  toString(): string {
    return `<EventLoop running=${this._running} closed=${this._closed} debug=${this._debug} core=${this._core.kind} clock=${this._clock.virtual ? "virtual" : "real"}>`;
  }
}

_setLoopFactory(() => new EventLoop());
