// asyncio.Future for generator coroutines.
//
// `yield* fut` plays `await fut`: the future's iterator yields the future itself to the driving
// task (which parks on it) and, when the task resumes, returns `fut.result()` — or throws its
// exception at the `yield*`, exactly as Python's `Future.__await__` does.

import { CancelledError, InvalidStateError, RuntimeError, describe } from "../errors.js";
import { getEventLoop, _getRunningLoop } from "../loop/running.js";
import type { EventLoop } from "../loop/event-loop.js";

/** @internal Future states. */
export const enum FutureState {
  Pending,
  Cancelled,
  Finished, // with a result
  Failed, // with an exception (in _result)
}

/** Fields few futures ever need, kept out of the object so every future stays small. */
interface FutureRare {
  cancelMessage: string | null;
  cancelledExc: CancelledError | null;
  unretrieved: Unretrieved | null;
}

/** Something that can follow `yield*` and produce a T. */
export interface Awaitable<T> {
  [Symbol.iterator](): Iterator<unknown, T, unknown>;
}

/** A user done-callback, or a task parked on this future (woken without a closure). */
type Waiter = ((fut: any) => unknown) | { _wakeup(): void };

/**
 * One `yield* fut`: Python's `Future.__await__` generator, as a small object. The first `next`
 * returns the result if the future is done, else yields the future (the task parks on it); the
 * next `next` — the task resuming — returns the result, or throws RuntimeError if the future is
 * somehow still pending.
 */
class FutureIterator<T> implements Iterator<unknown, T, unknown> {
  private yielded = false;
  constructor(private readonly fut: Future<T>) {}

  next(): IteratorResult<unknown, T> {
    const fut = this.fut;
    if (fut._state !== FutureState.Pending) return { done: true, value: fut.result() };
    if (this.yielded) throw new RuntimeError(`yield* ${fut} was resumed while the future is still pending`);
    this.yielded = true;
    fut._blocking = true;
    return { done: false, value: fut };
  }

  throw(exc: unknown): IteratorResult<unknown, T> {
    throw exc; // a cancellation (or any error) thrown into the task surfaces at the `yield*`
  }

  return(value?: unknown): IteratorResult<unknown, T> {
    return { done: true, value: value as T };
  }

  [Symbol.iterator](): this {
    return this;
  }
}

// "Exception was never retrieved": a future that failed and was collected unretrieved is
// reported by the finalizer; one still alive when its loop closes is reported by `close()`.
interface Unretrieved {
  ref: WeakRef<Future<unknown>>;
  loop: EventLoop;
  exception: unknown;
  message: string;
  /** Reported by close() although collected (a recorded or replayed run): the finalizer keeps quiet. */
  reported?: boolean;
}

const lost: FinalizationRegistry<Unretrieved> | null =
  typeof FinalizationRegistry === "function"
    ? new FinalizationRegistry<Unretrieved>((record) => {
        // a recorded or replayed run: user code (the exception handler) must not run at a moment
        // the GC chooses, so close() reports it, in the order the exceptions were set (DRIVER.md)
        if (record.reported || (record.loop._deterministicReports && !record.loop.isClosed())) return;
        record.loop._unretrieved.delete(record);
        record.loop.callExceptionHandler({ message: record.message, exception: record.exception });
      })
    : null;

/** @internal Report every still-alive future of `loop` whose exception was never retrieved. */
export function _reportUnretrieved(loop: EventLoop): void {
  for (const record of Array.from(loop._unretrieved)) {
    const fut = record.ref.deref();
    if (fut === undefined && loop._deterministicReports) {
      // collected during a recorded or replayed run: its report was left for now
      (record as Unretrieved).reported = true;
      loop.callExceptionHandler({ message: record.message, exception: record.exception });
      continue;
    }
    if (fut === undefined || !fut._logTraceback) continue;
    fut._retrieved();
    const key = (fut as { _isTask?: boolean })._isTask ? "task" : "future";
    loop.callExceptionHandler({ message: record.message, exception: record.exception, [key]: fut });
  }
  loop._unretrieved.clear();
}

/**
 * A value that will exist later, bound to an event loop. `yield* fut` waits for it in a
 * coroutine; `await fut` works in plain async code.
 *
 * @example
 * const fut = loop.createFuture<number>();
 * loop.callLater(1, () => fut.setResult(42));
 * const value = yield* fut; // 42
 */
export class Future<T = unknown> implements PromiseLike<T>, Awaitable<T> {
  /** @internal */ _state: FutureState = FutureState.Pending;
  /** @internal The result, or the exception when _state is Failed. */
  _result: unknown = undefined;
  /** @internal */ _loop: EventLoop;
  /** @internal asyncio's `_asyncio_future_blocking`: set by `yield*`, checked by the task. */
  _blocking = false;
  /** @internal */ _logTraceback = false;
  // done-callbacks: one waiter in the field itself (the common case: one waiting task), or a list
  private _waiters: Waiter | Waiter[] | null = null;
  private _rare: FutureRare | null = null;

  /**
   * A future bound to `options.loop`, else the running loop, else `getEventLoop()`.
   * (`loop`, the second parameter, is the library's allocation-free way to say the same.)
   */
  constructor(options?: { loop?: EventLoop }, loop?: EventLoop) {
    this._loop = loop ?? options?.loop ?? _getRunningLoop() ?? getEventLoop();
  }

  [Symbol.iterator](): Iterator<unknown, T, unknown> {
    return new FutureIterator(this);
  }

  private _rareFields(): FutureRare {
    return (this._rare ??= { cancelMessage: null, cancelledExc: null, unretrieved: null });
  }

  /** @internal The message `cancel(msg)` was given. */
  get _cancelMessage(): string | null {
    return this._rare === null ? null : this._rare.cancelMessage;
  }
  set _cancelMessage(msg: string | null) {
    if (msg !== null || this._rare !== null) this._rareFields().cancelMessage = msg;
  }

  /** @internal The CancelledError every awaiter of this cancelled future receives. */
  get _cancelledExc(): CancelledError | null {
    return this._rare === null ? null : this._rare.cancelledExc;
  }
  set _cancelledExc(exc: CancelledError | null) {
    if (exc !== null || this._rare !== null) this._rareFields().cancelledExc = exc;
  }

  /** @internal What this future waits on, along which `cancel()` propagates (none for a plain future). */
  _awaited(): Future<unknown> | readonly Future<unknown>[] | null {
    return null;
  }

  /** The loop this future is bound to. */
  getLoop(): EventLoop {
    return this._loop;
  }

  /** Whether the future has a result, an exception, or was cancelled. */
  done(): boolean {
    return this._state !== FutureState.Pending;
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this._state === FutureState.Cancelled;
  }

  /**
   * The result; throws the exception if one was set, `CancelledError` if cancelled, and
   * `InvalidStateError` if not done yet.
   */
  result(): T {
    if (this._state === FutureState.Cancelled) throw this._makeCancelledError();
    if (this._state === FutureState.Pending) throw new InvalidStateError("Result is not ready.");
    if (this._logTraceback) this._retrieved();
    if (this._state === FutureState.Failed) throw this._result;
    return this._result as T;
  }

  /** The exception, or `null` if the future succeeded. Throws like `result()` otherwise. */
  exception(): unknown {
    if (this._state === FutureState.Cancelled) throw this._makeCancelledError();
    if (this._state === FutureState.Pending) throw new InvalidStateError("Exception is not set.");
    if (this._logTraceback) this._retrieved();
    return this._state === FutureState.Failed ? this._result : null;
  }

  /**
   * Mark the future done with `value` and schedule its callbacks.
   * Throws `InvalidStateError` if it is already done.
   */
  setResult(value: T): void {
    if (this._state !== FutureState.Pending) {
      throw new InvalidStateError(`setResult(): ${this} is already done`);
    }
    this._result = value;
    this._state = FutureState.Finished;
    this._scheduleCallbacks();
  }

  /**
   * Mark the future done with an exception and schedule its callbacks. An exception that is
   * never retrieved is reported to the loop's exception handler.
   */
  setException(exception: unknown): void {
    if (this._state !== FutureState.Pending) {
      throw new InvalidStateError(`setException(): ${this} is already done`);
    }
    if (exception === null || exception === undefined) {
      throw new TypeError(`setException(exception): exception must be an error, got ${describe(exception)}`);
    }
    this._result = exception;
    this._state = FutureState.Failed;
    this._trackUnretrieved();
    this._scheduleCallbacks();
  }

  /**
   * Cancel the future: it becomes done and `result()` throws `CancelledError(msg)`.
   * Returns false if it was already done.
   */
  cancel(msg?: string | null): boolean {
    if (this._logTraceback) this._retrieved();
    if (this._state !== FutureState.Pending) return false;
    this._state = FutureState.Cancelled;
    this._cancelMessage = msg ?? null;
    this._scheduleCallbacks();
    return true;
  }

  /**
   * Call `fn(future)` once the future is done (at the next iteration if it already is).
   *
   * @example
   * fut.addDoneCallback((f) => console.log("done:", f.result()));
   */
  addDoneCallback(fn: (fut: this) => unknown): void {
    if (typeof fn !== "function") {
      throw new TypeError(`addDoneCallback(fn): fn must be a function, got ${describe(fn)}`);
    }
    if (this._state !== FutureState.Pending) {
      this._loop._soon(fn, this);
    } else {
      this._addWaiter(fn);
    }
  }

  /** Remove every registration of `fn`; returns how many were removed. */
  removeDoneCallback(fn: (fut: this) => unknown): number {
    const waiters = this._waiters;
    if (waiters === null) return 0;
    if (!Array.isArray(waiters)) {
      if (waiters !== fn) return 0;
      this._waiters = null;
      return 1;
    }
    const kept = waiters.filter((w) => w !== fn);
    this._waiters = kept.length === 0 ? null : kept;
    return waiters.length - kept.length;
  }

  /** @internal Park a task (or register a callback) without allocating a closure. */
  _addWaiter(waiter: Waiter): void {
    const waiters = this._waiters;
    if (waiters === null) this._waiters = waiter;
    else if (Array.isArray(waiters)) waiters.push(waiter);
    else this._waiters = [waiters, waiter];
  }

  /** @internal Schedule the done-callbacks in registration order (asyncio's call_soon each). */
  _scheduleCallbacks(): void {
    const waiters = this._waiters;
    if (waiters === null) return;
    this._waiters = null;
    if (!Array.isArray(waiters)) scheduleWaiter(this._loop, waiters, this);
    else for (let i = 0; i < waiters.length; i++) scheduleWaiter(this._loop, waiters[i], this);
  }

  /** @internal */
  _makeCancelledError(): CancelledError {
    return (this._cancelledExc ??= new CancelledError(this._cancelMessage));
  }

  /** @internal The exception was looked at: no "never retrieved" report. */
  _retrieved(): void {
    this._logTraceback = false;
    const record = this._rare === null ? null : this._rare.unretrieved;
    if (record !== null) {
      this._rare!.unretrieved = null;
      this._loop._unretrieved.delete(record);
      lost?.unregister(record);
    }
  }

  private _trackUnretrieved(): void {
    if (typeof WeakRef !== "function") return;
    this._logTraceback = true;
    const isTask = (this as { _isTask?: boolean })._isTask === true;
    const record: Unretrieved = {
      // runSync drives its loop to the end inside one host job, and a WeakRef made in a job
      // keeps its target alive until that job ends: explore() running thousands of failing
      // seeds in one job kept every loop and core alive. Such a loop closes (and reports) before
      // the job could collect anything, so it holds the future strongly until then.
      ref: this._loop._inSyncRun ? { deref: () => this as Future<unknown> } as WeakRef<Future<unknown>> : new WeakRef(this as Future<unknown>),
      loop: this._loop,
      exception: this._result,
      message: isTask ? `Task exception was never retrieved: ${this}` : `Future exception was never retrieved`,
    };
    this._rareFields().unretrieved = record;
    this._loop._unretrieved.add(record);
    lost?.register(this, record, record);
  }

  /**
   * Thenable interop: `await fut` in plain async code. Ordering is then the host's microtask
   * order. Awaiting marks an exception as retrieved.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const settled = new Promise<T>((resolve, reject) => {
      const settle = (f: Future<T>) => {
        try {
          resolve(f.result());
        } catch (exc) {
          reject(exc);
        }
      };
      if (this._state !== FutureState.Pending || this._loop.isClosed()) settle(this);
      else this._addWaiter(settle);
    });
    return settled.then(onFulfilled, onRejected);
  }

  toString(): string {
    const kind = this.constructor.name;
    if (this._state === FutureState.Pending) return `<${kind} pending>`;
    if (this._state === FutureState.Cancelled) return `<${kind} cancelled>`;
    if (this._state === FutureState.Failed) return `<${kind} finished exception=${describe(this._result)}>`;
    return `<${kind} finished result=${describe(this._result)}>`;
  }
}

function scheduleWaiter(loop: EventLoop, waiter: Waiter, fut: Future<unknown>): void {
  if (typeof waiter === "function") loop._soon(waiter, fut);
  else waiter._wakeup();
}

/** True for futures and tasks of this library (asyncio's `isfuture`). */
export function isFuture(value: unknown): value is Future<unknown> {
  return value instanceof Future;
}
