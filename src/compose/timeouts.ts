// asyncio.timeouts: `async with asyncio.timeout(delay):` as `yield* timeout(delay, function* (t) {…})`.
//
// This mirrors CPython 3.13's Lib/asyncio/timeouts.py state for state: a Timeout is CREATED,
// ENTERED ("active") while its body runs, EXPIRING once its deadline passed and it cancelled the
// task, EXPIRED when the body ended after that, EXITED ("finished") when the body ended in time.
// On expiry the Timeout cancels the *task* running the body (so the body sees CancelledError at
// its current `yield*` and its `finally` blocks run); when the body ends, the Timeout withdraws
// its cancellation with `task.uncancel()` and turns the CancelledError into TimeoutError — but
// only if no other cancellation was requested meanwhile (`uncancel() <= cancelling at entry`),
// so an outer `task.cancel()` is never swallowed.

import { CancelledError, RuntimeError, TimeoutError, checkSeconds, checkBody, describe } from "../errors.js";
import { trackCoroutine } from "../loop/debug.js";
import { _getRunningLoop } from "../loop/running.js";
import { Future } from "../tasks/futures.js";
import type { Handle } from "../loop/event-loop.js";
import { isCoroutine, type Coro, type Task } from "../tasks/tasks.js";

/** @internal Timeout states, with the names CPython's `repr` shows. */
const enum State {
  Created,
  Entered,
  Expiring,
  Expired,
  Exited,
}

const STATE_NAMES = ["created", "active", "expiring", "expired", "finished"] as const;

/**
 * A timeout's body: a generator function that gets the Timeout (returning a Future works too).
 *
 * @example
 * const body: TimeoutBody<string> = function* (t) { yield* sleep(1); return "done"; };
 */
export type TimeoutBody<T> = (t: Timeout) => Coro<T> | Future<T>;

function checkTimeoutBody(body: unknown, where: string): void {
  checkBody(body, where, "function* (t) {…}");
}

/**
 * asyncio's `Timeout`: a deadline for a block of code. `timeout()` and `timeoutAt()` make one and
 * hand it to their body; the body can move the deadline (`reschedule`) and, afterwards, anyone
 * holding it can ask whether it fired (`expired()`).
 *
 * `new Timeout(when)` plus `t.run(body)` is the explicit form of `async with Timeout(when):`;
 * prefer `timeout()`/`timeoutAt()`.
 *
 * @example
 * yield* timeout(10, function* (t) {
 *   yield* connect();
 *   t.reschedule(getRunningLoop().time() + 60); // connected: allow a minute for the transfer
 *   yield* transfer();
 * });
 */
export class Timeout {
  private _state = State.Created;
  private _when: number | null;
  private _handle: Handle | null = null;
  private _task: Task<unknown> | null = null;
  private _cancelling = 0;
  /** @internal What made this timeout, for the TimeoutError's message (e.g. "waitFor(aw, 5)"). */
  _label: string;
  private readonly _onTimeoutBound = (): void => this._onTimeout();

  /**
   * A timeout at `when`, in seconds on the loop's clock (`loop.time()`); `null` never fires.
   * A `when` already past fires at the next iteration once entered.
   */
  constructor(when: number | null = null) {
    this._when = checkSeconds(when, "new Timeout(when)", "when", true);
    this._label = "timeout";
  }

  /** The current deadline in seconds on the loop's clock, or `null` for none. */
  when(): number | null {
    return this._when;
  }

  /**
   * Move the deadline to `when` (loop time in seconds), or disable it with `null`. Only while
   * the body runs and before the deadline passed: otherwise `RuntimeError`, as in asyncio.
   *
   * @example
   * t.reschedule(getRunningLoop().time() + 5);
   */
  reschedule(when: number | null): void {
    const next = checkSeconds(when, "Timeout.reschedule(when)", "when", true);
    if (this._state !== State.Entered) {
      if (this._state === State.Created) throw new RuntimeError("Timeout has not been entered");
      throw new RuntimeError(`Cannot change state of ${STATE_NAMES[this._state]} Timeout`);
    }
    this._when = next;
    if (this._handle !== null) this._handle.cancel();
    if (next === null) {
      this._handle = null;
      return;
    }
    const loop = this._task!.getLoop();
    // a deadline already past fires at the next iteration, in callSoon order (asyncio's rule)
    this._handle = next <= loop.time() ? loop.callSoon(this._onTimeoutBound) : loop.callAt(next, this._onTimeoutBound);
  }

  /** Whether the deadline passed while the body ran (it is expiring or expired). */
  expired(): boolean {
    return this._state === State.Expiring || this._state === State.Expired;
  }

  /**
   * The `async with t:` form: enter this Timeout, run `body(t)` inline in the calling task, and
   * exit. Returns the body's value; throws `TimeoutError` if the deadline cut the body short.
   * A Timeout can be entered once (`RuntimeError` after that).
   *
   * @example
   * const t = new Timeout(getRunningLoop().time() + 5);
   * const v = yield* t.run(function* () { return yield* fetch(); });
   */
  run<T>(body: TimeoutBody<T>): Coro<T> {
    checkTimeoutBody(body, "Timeout.run(body)");
    return trackCoroutine(this._run(body), "Timeout.run");
  }

  /** @internal */
  *_run<T>(body: TimeoutBody<T>): Coro<T> {
    this._enter();
    let exited = false;
    try {
      const aw = body(this);
      if (!isCoroutine(aw) && !(aw instanceof Future)) {
        throw new TypeError(`${this._label}: body must return a coroutine (use function*), got ${describe(aw)}`);
      }
      return (yield* aw) as T;
    } catch (exc) {
      exited = true;
      this._exit(true, exc);
      throw exc;
    } finally {
      // normal completion, or the generator was closed with return(): exit without an exception
      if (!exited) this._exit(false, undefined);
    }
  }

  /** asyncio's `__aenter__`. */
  private _enter(): void {
    if (this._state !== State.Created) throw new RuntimeError("Timeout has already been entered");
    const loop = _getRunningLoop();
    const task = loop !== null ? loop._currentTask : null;
    if (task === null) {
      throw new RuntimeError(`Timeout should be used inside a task (${this._label} was driven outside any task)`);
    }
    this._state = State.Entered;
    this._task = task;
    this._cancelling = task.cancelling();
    this.reschedule(this._when);
  }

  /** asyncio's `__aexit__`: may replace the body's CancelledError with TimeoutError. */
  private _exit(hasExc: boolean, exc: unknown): void {
    if (this._handle !== null) {
      this._handle.cancel();
      this._handle = null;
    }
    if (this._state === State.Expiring) {
      this._state = State.Expired;
      // uncancel() first, whatever happened: the cancellation we requested is withdrawn
      if (this._task!.uncancel() <= this._cancelling && hasExc && exc instanceof CancelledError) {
        // no newer cancellation request: this CancelledError is ours
        const when = this._when === null ? "" : ` (deadline ${this._when} s on the loop's clock)`;
        throw new TimeoutError(`${this._label} timed out${when}`, { cause: exc });
      }
    } else if (this._state === State.Entered) {
      this._state = State.Exited;
    }
  }

  private _onTimeout(): void {
    if (this._state !== State.Entered) return; // asyncio asserts this
    this._task!.cancel();
    this._state = State.Expiring;
    this._handle = null; // drop the reference early
  }

  /** `<Timeout [active] when=12.5>`, `<Timeout [expired]>` — asyncio's repr. */
  toString(): string {
    let info = "";
    if (this._state === State.Entered) {
      info = ` when=${this._when === null ? "null" : Math.round(this._when * 1000) / 1000}`;
    }
    return `<Timeout [${STATE_NAMES[this._state]}]${info}>`;
  }
}

function* runTimeout<T>(delay: number | null, body: TimeoutBody<T>, label: string): Coro<T> {
  const loop = _getRunningLoop();
  if (loop === null) throw new RuntimeError(`${label}: no running event loop (drive it with yield* inside a task)`);
  const t = new Timeout(delay === null ? null : loop.time() + delay);
  t._label = label;
  return yield* t._run(body);
}

/**
 * `async with asyncio.timeout(delay):` — run `body(t)` inline in the calling task with a
 * deadline `delay` seconds from when it starts (`null`: no deadline, but `t.reschedule` can set
 * one). Returns the body's value. If the deadline passes, the body gets `CancelledError` at its
 * current `yield*` (its `finally` blocks run) and `timeout` throws `TimeoutError` whose `cause`
 * is that CancelledError. An outer cancellation of the task is never turned into a TimeoutError.
 * The Timeout `t` stays usable after the body (`t.expired()`, `t.when()`).
 *
 * Arguments are checked at the call; the deadline is computed when the returned coroutine starts.
 *
 * @example
 * try {
 *   const page = yield* timeout(5, function* () { return yield* fetchPage(); });
 * } catch (e) {
 *   if (e instanceof TimeoutError) console.log("too slow");
 * }
 */
export function timeout<T>(delay: number | null | undefined, body: TimeoutBody<T>): Coro<T> {
  const d = checkSeconds(delay, "timeout(delay, body)", "delay", true);
  checkTimeoutBody(body, "timeout(delay, body)");
  return trackCoroutine(runTimeout(d, body, `timeout(${d})`), "timeout");
}

/**
 * `async with asyncio.timeout_at(when):` — like `timeout()`, with an absolute deadline `when` in
 * seconds on the loop's clock (`loop.time()`); `null` means no deadline.
 *
 * @example
 * const deadline = getRunningLoop().time() + 30;
 * yield* timeoutAt(deadline, function* () { yield* stepOne(); });
 * yield* timeoutAt(deadline, function* () { yield* stepTwo(); }); // same deadline for both
 */
export function timeoutAt<T>(when: number | null | undefined, body: TimeoutBody<T>): Coro<T> {
  const w = checkSeconds(when, "timeoutAt(when, body)", "when", true);
  checkTimeoutBody(body, "timeoutAt(when, body)");
  const t = new Timeout(w);
  t._label = `timeoutAt(${w})`;
  return trackCoroutine(t._run(body), "timeoutAt");
}
