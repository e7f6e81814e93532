// Unix signal handlers on the loop (asyncio's add_signal_handler / remove_signal_handler), and
// run()'s Ctrl+C handling (asyncio.Runner's): the first SIGINT cancels the main task.
//
// A handler is a resource that is not in flight on the virtual clock: it may never fire, so
// time still jumps and runSync still reports a deadlock while one is installed (on the real
// clock it is, so that the loop keeps yielding to the host: see handlerInFlight). The host delivers a
// `signal` event for the handler's id; the callback runs in a loop iteration, never inside the
// host's own signal callback.
//
// Signal numbers are Linux's, whatever the host: a number given by the user or reported as a
// returncode (`-9`) then means the same on every host and in a replay of a trace.

import { RuntimeError, ValueError, NotImplementedError, CancelledError, KeyboardInterrupt, describe } from "../errors.js";
import { EventLoop, Handle } from "../loop/event-loop.js";
import type { HostEvent, Resource } from "../io/driver.js";
import type { Task } from "../tasks/tasks.js";

/** Linux's signal numbers, by name (`signal.Signals` on Linux). */
const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7,
  SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14,
  SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21,
  SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28,
  SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
};

const NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, num] of Object.entries(SIGNALS)) names[num] ??= name;
  return names;
})();

/** Python's `signal.NSIG` on Linux: valid numbers are 1 … NSIG-1. */
const NSIG = 65;

/**
 * @internal A signal given by name (`'SIGINT'`) or number (`2`) as its canonical name.
 * TypeError for another type, ValueError for an unknown name or a number out of range.
 */
export function signalName(sig: unknown, where: string): string {
  if (typeof sig === "string") {
    if (Object.prototype.hasOwnProperty.call(SIGNALS, sig)) return NAMES[SIGNALS[sig]];
    throw new ValueError(`${where}: unknown signal ${describe(sig)} (a name such as 'SIGINT' or 'SIGTERM', or its number)`);
  }
  if (typeof sig === "number") {
    if (!Number.isInteger(sig) || sig < 1 || sig >= NSIG) throw new ValueError(`${where}: sig ${sig} out of range(1, ${NSIG})`);
    const name = NAMES[sig];
    if (name === undefined) throw new ValueError(`${where}: signal ${sig} has no name this host can listen to`);
    return name;
  }
  throw new TypeError(`${where}: sig must be a signal name such as 'SIGINT' or its number, got ${describe(sig)}`);
}

/** @internal The signal's number (Linux numbering), for returncodes. */
export function signalNumber(name: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(SIGNALS, name) ? SIGNALS[name] : undefined;
}

/** The signals a program cannot catch. */
function checkCatchable(name: string, where: string): void {
  if (name === "SIGKILL" || name === "SIGSTOP") {
    throw new RuntimeError(`${where}: sig ${SIGNALS[name]} (${name}) cannot be caught`);
  }
}

function isGeneratorFunction(fn: unknown): boolean {
  return typeof fn === "function" && Object.prototype.toString.call(fn) === "[object GeneratorFunction]";
}

function checkSignals(loop: EventLoop, method: string): void {
  if (!loop._host.supports("signals")) {
    throw new NotImplementedError(`${method}: signal handlers are not available on ${loop._host.host}`);
  }
}

/** A loop's signal handlers by name, and run()'s own SIGINT handler while it is installed. */
interface LoopSignals {
  handlers: Map<string, SignalHandler>;
  runnerSigint: RunnerSigint | null;
}

const perLoop = new WeakMap<EventLoop, LoopSignals>();

/**
 * Whether a handler counts as host I/O in flight. On the virtual clock it must not (time still
 * jumps, runSync still works). On the real clock "in flight" changes one thing only: the loop
 * yields to the host every few milliseconds even while tasks are always ready, and that is
 * what lets a signal in at all — without it a program spinning on `sleep(0)` could never be
 * interrupted by Ctrl+C (asyncio polls its signal fd every iteration).
 * (The loop has no public accessor for its clock kind; `_clock` is read as data.)
 */
function handlerInFlight(loop: EventLoop): boolean {
  return (loop as unknown as { _clock?: { virtual?: boolean } })._clock?.virtual !== true;
}

function signalsOf(loop: EventLoop): LoopSignals {
  let s = perLoop.get(loop);
  if (s === undefined) perLoop.set(loop, (s = { handlers: new Map(), runnerSigint: null }));
  return s;
}

/** One installed handler: a loop resource the host's `signal` events go to. */
class SignalHandler implements Resource {
  constructor(
    readonly loop: EventLoop,
    readonly id: number,
    readonly name: string,
    public handle: Handle,
  ) {}

  onEvent(event: HostEvent): void {
    if (event.kind !== "signal") return;
    const handle = this.handle;
    if (handle.cancelled()) return;
    const cb = handle._callback!;
    const args = handle._args;
    try {
      if (args === undefined) cb();
      else cb(...args);
    } catch (exc) {
      // as a Handle's callback: reported to the exception handler, the loop goes on
      this.loop.callExceptionHandler({ message: `Exception in callback ${cb.name || "<anonymous>"}`, exception: exc, handle });
    }
  }

  /** Remove the host listener and forget the handler. */
  remove(): void {
    const signals = perLoop.get(this.loop);
    if (signals?.handlers.get(this.name) === this) signals.handlers.delete(this.name);
    this.handle.cancel();
    if (!this.loop._hasResource(this.id)) return;
    this.loop._closeResource(this.id);
    if (!this.loop.isClosed()) this.loop._send({ op: "removeSignal", id: this.id });
  }

  closeForShutdown(): void {
    this.remove();
  }

  toString(): string {
    return `<signal handler ${this.name} ${this.handle._callback?.name || "<anonymous>"}()>`;
  }
}

declare module "../loop/event-loop.js" {
  interface EventLoop {
    /**
     * Call `callback(...args)` in a loop iteration whenever the process receives `sig` (a name
     * such as `'SIGINT'`, or its number). A second call for the same signal replaces the
     * handler. Where the host has no signals (browsers, workerd) this is a NotImplementedError.
     *
     * @example
     * loop.addSignalHandler("SIGTERM", () => server.close());
     */
    addSignalHandler<A extends unknown[]>(sig: string | number, callback: (...args: A) => unknown, ...args: A): void;
    /**
     * Remove the handler for `sig`; returns whether there was one. The host's default action
     * for the signal applies again (Node: SIGINT and SIGTERM end the process).
     *
     * @example
     * loop.removeSignalHandler("SIGTERM"); // true
     */
    removeSignalHandler(sig: string | number): boolean;
  }
}

/** @internal `loop.addSignalHandler`, put on the prototype by streams/install.ts. */
export function loopAddSignalHandler<A extends unknown[]>(
  this: EventLoop,
  sig: string | number,
  callback: (...args: A) => unknown,
  ...args: A
): void {
  const where = "addSignalHandler(sig, callback)";
  checkSignals(this, "addSignalHandler()");
  if (isGeneratorFunction(callback)) throw new TypeError("coroutines cannot be used with addSignalHandler()");
  if (typeof callback !== "function") {
    throw new TypeError(`${where}: callback must be a function, got ${describe(callback)}`);
  }
  const name = signalName(sig, where);
  checkCatchable(name, where);
  if (this.isClosed()) throw new RuntimeError("Event loop is closed");
  const signals = signalsOf(this);
  const handle = new Handle(this, callback as (...a: unknown[]) => unknown, args.length === 0 ? undefined : args);
  handle._id = -1; // it is never scheduled: its id matches no slot, so cancel() touches no timer
  const existing = signals.handlers.get(name);
  if (existing !== undefined && this._hasResource(existing.id)) {
    existing.handle.cancel();
    existing.handle = handle; // the host listener stays; only the callback changes
    return;
  }
  // the program's own SIGINT handler replaces run()'s, as asyncio's replaces the Runner's
  if (name === "SIGINT") signals.runnerSigint?.remove();
  const id = this._newResourceId();
  const handler = new SignalHandler(this, id, name, handle);
  this._openResource(id, handler, handlerInFlight(this));
  try {
    this._send({ op: "addSignal", id, name });
  } catch (exc) {
    this._closeResource(id);
    throw new ValueError(`${where}: the host cannot listen to ${name}: ${(exc as Error)?.message ?? describe(exc)}`, { cause: exc });
  }
  signals.handlers.set(name, handler);
}

/** @internal `loop.removeSignalHandler`, put on the prototype by streams/install.ts. */
export function loopRemoveSignalHandler(this: EventLoop, sig: string | number): boolean {
  checkSignals(this, "removeSignalHandler()");
  const name = signalName(sig, "removeSignalHandler(sig)");
  const handler = perLoop.get(this)?.handlers.get(name);
  if (handler === undefined) return false;
  const open = this._hasResource(handler.id);
  handler.remove();
  return open;
}

// ---- run() and Ctrl+C -------------------------------------------------------------------------

/** run()'s SIGINT handler: the first SIGINT cancels the main task, then the host's default applies. */
class RunnerSigint implements Resource {
  interrupts = 0;
  constructor(
    readonly loop: EventLoop,
    readonly id: number,
    readonly task: Task<unknown>,
  ) {}

  onEvent(event: HostEvent): void {
    if (event.kind !== "signal") return;
    this.interrupts++;
    // a second Ctrl+C must reach the host's default (end the process), as asyncio's Runner
    // raises KeyboardInterrupt on the second one wherever the program is
    this.remove();
    if (!this.task.done()) this.task.cancel();
  }

  remove(): void {
    const signals = perLoop.get(this.loop);
    if (signals?.runnerSigint === this) signals.runnerSigint = null;
    if (!this.loop._hasResource(this.id)) return;
    this.loop._closeResource(this.id);
    if (!this.loop.isClosed()) this.loop._send({ op: "removeSignal", id: this.id });
  }

  closeForShutdown(): void {
    this.remove();
  }

  toString(): string {
    return "<run() SIGINT handler>";
  }
}

/**
 * @internal asyncio.Runner's Ctrl+C handling for `run()`: where the host has signals and the
 * program has no SIGINT listener of its own, the first SIGINT cancels `task`. The function
 * returned is called once `task` is done: it removes the handler and turns the main task's
 * CancelledError into KeyboardInterrupt when the cancellation was the interrupt's (asyncio:
 * `task.uncancel() == 0` after an interrupt).
 */
export function catchSigint(loop: EventLoop, task: Task<unknown>): (exc?: unknown) => unknown {
  if (!loop._host.supports("signals")) return (exc) => exc;
  const id = loop._newResourceId();
  const runner = new RunnerSigint(loop, id, task);
  loop._openResource(id, runner, handlerInFlight(loop));
  try {
    loop._send({ op: "addSignal", id, name: "SIGINT", ifUnhandled: true });
  } catch {
    loop._closeResource(id); // a host that cannot listen to SIGINT: Ctrl+C keeps its default
    return (exc) => exc;
  }
  signalsOf(loop).runnerSigint = runner;
  return (exc) => {
    runner.remove();
    if (exc instanceof CancelledError && runner.interrupts > 0 && task.uncancel() === 0) {
      return new KeyboardInterrupt("run() was interrupted by SIGINT (Ctrl+C): the main task was cancelled", { cause: exc });
    }
    return exc;
  };
}
