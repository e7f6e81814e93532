// asyncio.as_completed, as in CPython 3.13's Lib/asyncio/tasks.py (`_AsCompletedIterator`).
//
// The awaitables are wrapped in futures at the call (3.13 is eager too). Each completion goes
// into a FIFO; each item handed out by the iterator takes the next entry of that FIFO *when it
// is first awaited* — not when it was handed out — exactly as each of CPython's
// `_wait_for_one()` coroutines takes the next entry of its queue when it runs. So
// `[...asCompleted(xs)]` awaited in any order still yields results in completion order. Python's
// items are coroutines; ours are Futures (awaitable with `yield*`, usable with `wait`, `gather`,
// `then`), and "awaited" means: iterated by `yield*`, given a done-callback, or `then`-ed.

import { RuntimeError, TimeoutError, ValueError, checkSeconds, describe } from "../errors.js";
import { getEventLoop, _getRunningLoop } from "../loop/running.js";
import { Future, type Awaitable } from "../tasks/futures.js";
import type { EventLoop } from "../loop/event-loop.js";
import { ensureFuture, isCoroutine, type Coro } from "../tasks/tasks.js";

/**
 * `asCompleted()`'s options.
 *
 * @example
 * for (const next of asCompleted(tasks, { timeout: 30 })) yield* next;
 */
export interface AsCompletedOptions {
  /** Seconds until the items not completed yet fail with `TimeoutError` (`null`: never). */
  timeout?: number | null;
}

const OPTIONS = new Set(["timeout"]);

/** What `yield*` of an awaitable gives: number for a Coro<number>, a Task<number> or a Future<number>. */
type AwaitedOf<A> = A extends Awaitable<infer T> ? T : never;

/**
 * One item of `asCompleted`: a Future that, once awaited, settles like the next awaitable to
 * complete (or, from `originals()`, resolves to that awaitable itself).
 */
class AsCompletedItem<R> extends Future<R> {
  private _claimed = false;

  constructor(
    private readonly _source: AsCompleted<any>,
    /** @internal Resolve to the original future instead of its outcome (the async-iterator form). */
    readonly _original: boolean,
  ) {
    super({ loop: _source._loop });
  }

  /** @internal Being awaited: take the next completion (now if one is queued). */
  _claim(): void {
    if (this._claimed) return;
    this._claimed = true;
    this._source._claim(this);
  }

  override [Symbol.iterator](): Iterator<unknown, R, unknown> {
    this._claim();
    return super[Symbol.iterator]();
  }

  override addDoneCallback(fn: (fut: this) => unknown): void {
    if (typeof fn === "function") this._claim();
    super.addDoneCallback(fn);
  }

  override then<R1 = R, R2 = never>(
    onFulfilled?: ((value: R) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this._claim();
    return super.then(onFulfilled, onRejected);
  }
}

function onTimeout(source: AsCompleted<unknown>): void {
  source._handleTimeout();
}

/**
 * What `asCompleted()` returns: an iterator (and iterable) of Futures that settle in completion
 * order. Iterating it again resumes where the last loop stopped; `break` is fine.
 *
 * `originals()` is the generator-friendly form of 3.13's `async for t in as_completed(aws)`:
 * its items resolve to the original futures and tasks themselves (the tasks wrapping coroutines
 * that were passed), in completion order. Both forms draw from the same completions.
 *
 * @example
 * for (const next of asCompleted([t1, t2, t3])) {
 *   const value = yield* next; // the earliest result first
 * }
 */
export class AsCompleted<T> implements IterableIterator<Future<T>> {
  /** @internal */ readonly _loop: EventLoop;
  private readonly _unfinished: Set<Future<T>>;
  private _itemsLeft: number;
  /** completions not claimed yet, oldest first; `null` is a timeout */
  private _done: (Future<T> | null)[] = [];
  private _doneHead = 0;
  /** items being awaited, first come first served */
  private _claimers: AsCompletedItem<unknown>[] = [];
  private _timerId = -1;
  private readonly _onCompletion = (f: Future<T>): void => this._handleCompletion(f);

  /** @internal Use `asCompleted()`. */
  constructor(futures: Set<Future<T>>, loop: EventLoop, private readonly _timeout: number | null) {
    this._loop = loop;
    this._unfinished = futures;
    this._itemsLeft = futures.size;
    for (const f of futures) f.addDoneCallback(this._onCompletion);
    if (futures.size > 0 && _timeout !== null) this._timerId = loop._at(loop.time() + _timeout, onTimeout, this);
  }

  /** The next item: a Future of the next result to complete. */
  next(): IteratorResult<Future<T>, undefined> {
    if (this._itemsLeft === 0) return { done: true, value: undefined };
    this._itemsLeft--;
    return { done: false, value: new AsCompletedItem<T>(this, false) };
  }

  [Symbol.iterator](): this {
    return this;
  }

  /**
   * The items as the original futures and tasks, in completion order: each item is a Future
   * that resolves to the next original to complete (already done: read it with `result()` or
   * `yield*`), or fails with `TimeoutError`. Shares its completions with the plain iteration.
   *
   * @example
   * const ipv4 = createTask(connect("127.0.0.1")), ipv6 = createTask(connect("::1"));
   * for (const next of asCompleted([ipv4, ipv6]).originals()) {
   *   const first = yield* next; // the task that finished first
   *   if (first === ipv6) console.log("IPv6 won");
   *   const conn = yield* first;
   * }
   */
  originals(): IterableIterator<Future<Future<T>>> {
    const it: IterableIterator<Future<Future<T>>> = {
      next: (): IteratorResult<Future<Future<T>>, undefined> => {
        if (this._itemsLeft === 0) return { done: true, value: undefined };
        this._itemsLeft--;
        return { done: false, value: new AsCompletedItem<Future<T>>(this, true) };
      },
      [Symbol.iterator]: () => it,
    };
    return it;
  }

  /** @internal An item is being awaited. */
  _claim(item: AsCompletedItem<unknown>): void {
    if (this._doneHead < this._done.length) {
      const entry = this._done[this._doneHead];
      this._done[this._doneHead++] = null;
      if (this._doneHead === this._done.length) {
        this._done = [];
        this._doneHead = 0;
      }
      this._settle(item, entry);
    } else {
      this._claimers.push(item);
    }
  }

  private _deliver(entry: Future<T> | null): void {
    // an item cancelled while it waited (waitFor, a cancelled task) gives its turn away
    while (this._claimers.length > 0) {
      const item = this._claimers.shift()!;
      if (!item.done()) {
        this._settle(item, entry);
        return;
      }
    }
    this._done.push(entry);
  }

  private _settle(item: AsCompletedItem<unknown>, entry: Future<T> | null): void {
    if (entry === null) {
      item.setException(new TimeoutError(`asCompleted(aws, { timeout: ${this._timeout} }): timed out before every awaitable was done`));
    } else if (item._original) {
      item.setResult(entry);
    } else if (entry.cancelled()) {
      item.cancel(entry._makeCancelledError().message || null);
    } else {
      const exc = entry.exception();
      if (exc !== null) item.setException(exc);
      else item.setResult(entry.result());
    }
  }

  private _handleCompletion(f: Future<T>): void {
    if (this._unfinished.size === 0) return; // the timeout was here first
    this._unfinished.delete(f);
    this._deliver(f);
    if (this._unfinished.size === 0 && this._timerId !== -1) this._loop._cancelId(this._timerId);
  }

  /** @internal */
  _handleTimeout(): void {
    for (const f of this._unfinished) {
      f.removeDoneCallback(this._onCompletion);
      this._deliver(null);
    }
    this._unfinished.clear();
  }

  toString(): string {
    return `<AsCompleted pending=${this._unfinished.size} left=${this._itemsLeft}>`;
  }
}

/**
 * Run `aws` (futures, tasks and coroutines; coroutines are wrapped in tasks now) concurrently
 * and iterate over them in completion order: each item is a Future to `yield*`, giving the
 * result (or throwing the error) of the next awaitable to complete. With `timeout`, every item
 * that cannot complete in time throws `TimeoutError` (the awaitables keep running). Duplicates
 * count once; an empty `aws` yields nothing.
 *
 * Like 3.13's object, the result also has the async-iterator form, as `originals()`: items that
 * resolve to the original tasks and futures, in completion order.
 *
 * @example
 * for (const next of asCompleted([fetch(a), fetch(b)], { timeout: 10 })) {
 *   const page = yield* next; // TimeoutError once 10 s have passed
 *   if (page.ok) break;       // the rest keep running
 * }
 */
export function asCompleted<A extends Future<unknown> | Coro<unknown>>(
  aws: Iterable<A>,
  options?: AsCompletedOptions,
): AsCompleted<AwaitedOf<A>>;
export function asCompleted<T>(aws: Iterable<Future<T> | Coro<T>>, options?: AsCompletedOptions): AsCompleted<T>;
export function asCompleted<T>(aws: Iterable<Future<T> | Coro<T>>, options: AsCompletedOptions = {}): AsCompleted<T> {
  if (aws instanceof Future || isCoroutine(aws)) {
    throw new TypeError(
      `asCompleted(aws): aws must be an iterable (Array, Set…) of awaitables, not a single ${aws instanceof Future ? "future" : "coroutine"} (${describe(aws)})`,
    );
  }
  if (aws === null || typeof aws !== "object" || typeof (aws as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError(`asCompleted(aws): aws must be an iterable (Array, Set…) of awaitables, got ${describe(aws)}`);
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(`asCompleted(aws, options): options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key)) throw new TypeError(`asCompleted(aws, options): unknown option '${key}' (the option is timeout)`);
  }
  const timeout = checkSeconds(options.timeout, "asCompleted(aws, options)", "timeout", true);
  const unique = new Set<Future<T> | Coro<T>>(aws);
  let loop: EventLoop | null = _getRunningLoop();
  let i = 0;
  for (const aw of unique) {
    i++;
    if (aw instanceof Future) loop ??= aw.getLoop();
    else if (!isCoroutine(aw)) {
      throw new TypeError(`asCompleted(aws): item ${i} must be a coroutine, a Task or a Future, got ${describe(aw)}`);
    }
  }
  loop ??= getEventLoop();
  if (loop.isClosed()) throw new RuntimeError("asCompleted(aws): the event loop is closed");
  for (const aw of unique) {
    if (aw instanceof Future && aw.getLoop() !== loop) {
      throw new ValueError(`asCompleted(aws): ${aw} belongs to a different event loop than the others`);
    }
  }
  const futures = new Set<Future<T>>();
  for (const aw of unique) futures.add(ensureFuture(aw, { loop }));
  return new AsCompleted<T>(futures, loop, timeout);
}
