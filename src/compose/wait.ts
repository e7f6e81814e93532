// asyncio.wait and asyncio.wait_for, as in CPython 3.13's Lib/asyncio/tasks.py.
//
// `wait` parks the calling task on one private waiter future that the futures' done-callbacks
// (or the timer) resolve; it never cancels anything. `waitFor` is 3.12's rewrite: a timeout of
// zero or less cancels `aw` without starting it, anything else is `yield* aw` inside
// `timeout()` — so a coroutine runs inline in the calling task, and the expiry, the
// cancellation and the TimeoutError follow the Timeout's rules.

import { CancelledError, TimeoutError, ValueError, checkSeconds, describe } from "../errors.js";
import { trackCoroutine } from "../loop/debug.js";
import { getRunningLoop } from "../loop/running.js";
import { Future } from "../tasks/futures.js";
import { ensureFuture, isCoroutine, type Coro } from "../tasks/tasks.js";
import { Timeout } from "./timeouts.js";

/**
 * `wait()` returns when any future finishes or is cancelled.
 *
 * @example
 * const [done, pending] = yield* wait(tasks, { returnWhen: FIRST_COMPLETED });
 */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/**
 * `wait()` returns when any future fails with an exception (a cancellation does not count), or
 * when all are done.
 *
 * @example
 * const [done] = yield* wait(tasks, { returnWhen: FIRST_EXCEPTION });
 */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/**
 * `wait()` returns when every future is done (the default).
 *
 * @example
 * const [done, pending] = yield* wait(tasks, { returnWhen: ALL_COMPLETED, timeout: 10 });
 */
export const ALL_COMPLETED = "ALL_COMPLETED";

/**
 * When `wait()` returns: `FIRST_COMPLETED`, `FIRST_EXCEPTION` or `ALL_COMPLETED`.
 *
 * @example
 * const mode: ReturnWhen = failFast ? FIRST_EXCEPTION : ALL_COMPLETED;
 */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/**
 * `wait()`'s options.
 *
 * @example
 * yield* wait(tasks, { timeout: 5, returnWhen: FIRST_COMPLETED });
 */
export interface WaitOptions {
  /** Seconds to wait at most (`null`: no limit). On timeout `wait` returns; it raises nothing. */
  timeout?: number | null;
  /** When to return (default `ALL_COMPLETED`). */
  returnWhen?: ReturnWhen;
}

const WAIT_OPTIONS = new Set(["timeout", "returnWhen"]);

function releaseWaiter(waiter: Future<unknown>): void {
  if (!waiter.done()) waiter.setResult(null);
}

/**
 * Wait for the futures and tasks in `aws` (an Array or Set, not empty) until `returnWhen` says
 * so or `timeout` seconds pass; returns `[done, pending]`, two Sets of the same futures (in the
 * order given). Nothing is cancelled, and a timeout raises nothing: what is not done is in
 * `pending`. Coroutines are refused (`TypeError`): wrap them with `createTask` so you keep
 * their tasks.
 *
 * @example
 * const [done, pending] = yield* wait([t1, t2], { returnWhen: FIRST_COMPLETED, timeout: 5 });
 * for (const t of pending) t.cancel();
 */
export function wait<F extends Future<unknown>>(
  aws: Iterable<F>,
  options: WaitOptions = {},
): Coro<[Set<F>, Set<F>]> {
  if (aws instanceof Future || isCoroutine(aws)) {
    throw new TypeError(`wait(aws): aws must be an Array or Set of futures, not a single ${aws instanceof Future ? "future" : "coroutine"} (${describe(aws)})`);
  }
  if (aws === null || typeof aws !== "object" || typeof (aws as Iterable<F>)[Symbol.iterator] !== "function") {
    throw new TypeError(`wait(aws): aws must be an Array or Set of futures, got ${describe(aws)}`);
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(`wait(aws, options): options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!WAIT_OPTIONS.has(key)) {
      throw new TypeError(`wait(aws, options): unknown option '${key}' (the options are timeout and returnWhen)`);
    }
  }
  const timeout = checkSeconds(options.timeout, "wait(aws, options)", "timeout", true);
  const returnWhen = options.returnWhen === undefined ? ALL_COMPLETED : options.returnWhen;
  if (returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED) {
    throw new ValueError(
      `wait(aws, options): invalid returnWhen value ${describe(returnWhen)} (use FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED)`,
    );
  }
  const fs = new Set<F>(aws);
  if (fs.size === 0) throw new ValueError("wait(aws): aws is empty (Set of Tasks/Futures is empty)");
  let i = 0;
  for (const f of fs) {
    i++;
    if (isCoroutine(f)) {
      throw new TypeError(`wait(aws): item ${i} is a coroutine; passing coroutines is forbidden, wrap them with createTask() and pass the tasks`);
    }
    if (!(f instanceof Future)) throw new TypeError(`wait(aws): item ${i} must be a Future or a Task, got ${describe(f)}`);
  }
  return trackCoroutine(waitImpl(fs, timeout, returnWhen), "wait");
}

function* waitImpl<F extends Future<unknown>>(fs: Set<F>, timeout: number | null, returnWhen: ReturnWhen): Coro<[Set<F>, Set<F>]> {
  const loop = getRunningLoop();
  for (const f of fs) {
    if (f.getLoop() !== loop) throw new ValueError(`wait(aws): ${f} belongs to a different event loop than the running one`);
  }
  const waiter = loop.createFuture<unknown>();
  let timerId = -1;
  if (timeout !== null) timerId = loop._at(loop.time() + timeout, releaseWaiter, waiter);
  let counter = fs.size;
  const onCompletion = (f: Future<unknown>): void => {
    counter--;
    if (
      counter <= 0 ||
      returnWhen === FIRST_COMPLETED ||
      // as asyncio: looking at the exception marks it retrieved
      (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f.exception() !== null)
    ) {
      if (timerId !== -1) loop._cancelId(timerId);
      releaseWaiter(waiter);
    }
  };
  for (const f of fs) f.addDoneCallback(onCompletion);
  try {
    yield* waiter;
  } finally {
    if (timerId !== -1) loop._cancelId(timerId);
    for (const f of fs) f.removeDoneCallback(onCompletion);
  }
  const done = new Set<F>();
  const pending = new Set<F>();
  for (const f of fs) (f.done() ? done : pending).add(f);
  return [done, pending];
}

/** asyncio's `_cancel_and_wait`: cancel `fut` and wait until it is done, without awaiting it. */
function* cancelAndWait(fut: Future<unknown>): Coro<void> {
  const waiter = getRunningLoop().createFuture<unknown>();
  const cb = (): void => releaseWaiter(waiter);
  fut.addDoneCallback(cb);
  try {
    fut.cancel();
    // not `yield* fut`: this wait itself must stay reliably cancellable
    yield* waiter;
  } finally {
    fut.removeDoneCallback(cb);
  }
}

function* waitForImpl<T>(aw: Coro<T> | Future<T>, timeout: number | null): Coro<T> {
  if (timeout !== null && timeout <= 0) {
    // with no time at all, a coroutine must not even start: wrap it and cancel the task
    const fut = ensureFuture(aw);
    if (fut.done()) return fut.result();
    yield* cancelAndWait(fut);
    try {
      return fut.result();
    } catch (exc) {
      if (exc instanceof CancelledError) {
        throw new TimeoutError(`waitFor(aw, ${timeout}) timed out: aw was cancelled`, { cause: exc });
      }
      throw exc;
    }
  }
  const loop = getRunningLoop();
  const t = new Timeout(timeout === null ? null : loop.time() + timeout);
  t._label = `waitFor(aw, ${timeout})`;
  return yield* t._run(() => aw);
}

/**
 * Wait for `aw` (a coroutine, Task or Future) at most `timeout` seconds (`null`: no limit) and
 * return its result. On timeout `aw` is cancelled — and waited for until it really ends — and
 * `TimeoutError` is thrown, its `cause` the CancelledError. A timeout of 0 or less cancels at
 * once (a coroutine never starts). Cancelling the caller cancels `aw` too; wrap it in `shield()`
 * to keep it running. If `aw` swallows the cancellation and returns a value, that value is
 * returned (3.12). A coroutine runs inline in the calling task, as `await` does in 3.12+.
 *
 * @example
 * try {
 *   const reply = yield* waitFor(request(), 2.5);
 * } catch (e) {
 *   if (e instanceof TimeoutError) retry();
 * }
 */
export function waitFor<T>(aw: Coro<T> | Future<T>, timeout: number | null | undefined): Coro<T> {
  if (!(aw instanceof Future) && !isCoroutine(aw)) {
    throw new TypeError(`waitFor(aw, timeout): aw must be a coroutine, a Task or a Future, got ${describe(aw)}`);
  }
  return trackCoroutine(waitForImpl(aw, checkSeconds(timeout, "waitFor(aw, timeout)", "timeout", true)), "waitFor");
}
