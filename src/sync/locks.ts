// asyncio.locks: Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier (CPython 3.13),
// all parking their waiters in the one fair WaitQueue (src/sync/wait-queue.ts), plus `withLock`,
// which plays `async with lock`.
//
// Every operation that can wait is a method returning a fresh coroutine (`yield* lock.acquire()`):
// nothing happens until it is driven; arguments are checked at the call, state (is the lock
// held?) when the coroutine runs, as in asyncio.

import { CancelledError, RuntimeError, ValueError, describe, BrokenBarrierError, checkBody } from "../errors.js";
import { trackCoroutine } from "../loop/debug.js";
import type { Coro } from "../tasks/tasks.js";
import { isCoroutine } from "../tasks/tasks.js";
import { LoopBound, WaitQueue } from "./wait-queue.js";


export { BrokenBarrierError };

function noArguments(cls: string, count: number): void {
  if (count > 0) {
    throw new TypeError(
      `${cls}() takes no arguments (a primitive binds to the running loop when it is first used; asyncio removed the loop parameter in 3.10)`,
    );
  }
}

function waitersSuffix(waiters: WaitQueue): string {
  return waiters.length > 0 ? `, waiters:${waiters.length}` : "";
}

/**
 * A mutual-exclusion lock, not owned by any task, with asyncio's fairness: waiters acquire in
 * FIFO order, and a newcomer never jumps ahead of a waiter already woken.
 *
 * @example
 * const lock = new Lock();
 * yield* withLock(lock, function* () {
 *   yield* sleep(1); // only one task at a time runs this
 * });
 */
export class Lock extends LoopBound {
  private _locked = false;
  /** @internal */ readonly _waiters: WaitQueue;

  constructor() {
    super();
    noArguments("Lock", arguments.length);
    // A waiter cancelled while the lock is free must not keep the next one parked: it had
    // the turn (or the head spot), so wake whoever is first now (asyncio's `_wake_up_first`).
    this._waiters = new WaitQueue(this, () => {
      if (!this._locked) this._waiters.wakeFirst();
    });
  }

  /** Whether the lock is held. */
  locked(): boolean {
    return this._locked;
  }

  /**
   * Acquire the lock, waiting for it if it is held or others wait for it; the coroutine
   * returns `true`.
   *
   * @example
   * yield* lock.acquire();
   * try { work(); } finally { lock.release(); }
   */
  acquire(): Coro<true> {
    return trackCoroutine(this._acquire(), "Lock.acquire");
  }

  /** @internal */
  *_acquire(): Coro<true> {
    // Fair: take the lock at once only if nobody (still interested) waits for it.
    if (!this._locked && !this._waiters.hasLiveWaiter()) {
      this._locked = true;
      return true;
    }
    yield* this._waiters.park(this._getLoop());
    this._locked = true;
    return true;
  }

  /**
   * Release the lock and wake the first waiter. Releasing an unlocked lock is a
   * `RuntimeError`.
   *
   * @example
   * lock.release();
   */
  release(): void {
    if (!this._locked) throw new RuntimeError("Lock is not acquired.");
    this._locked = false;
    this._waiters.wakeFirst();
  }

  override toString(): string {
    return `<Lock [${this._locked ? "locked" : "unlocked"}${waitersSuffix(this._waiters)}]>`;
  }
}

/**
 * asyncio.Event: a flag that tasks can wait for. `set()` wakes every waiter; `wait()` on a set
 * event returns at once.
 *
 * @example
 * const ready = new Event();
 * createTask((function* () { yield* ready.wait(); console.log("go"); })());
 * ready.set();
 */
export class Event extends LoopBound {
  private _value = false;
  /** @internal */ readonly _waiters: WaitQueue;

  constructor() {
    super();
    noArguments("Event", arguments.length);
    this._waiters = new WaitQueue(this);
  }

  /** Whether the flag is set. */
  isSet(): boolean {
    return this._value;
  }

  /**
   * Set the flag and wake every task waiting for it.
   *
   * @example
   * event.set();
   */
  set(): void {
    if (!this._value) {
      this._value = true;
      this._waiters.wakeAll();
    }
  }

  /**
   * Reset the flag: later `wait()`s block until the next `set()`.
   *
   * @example
   * event.clear();
   */
  clear(): void {
    this._value = false;
  }

  /**
   * Wait until the flag is set; the coroutine returns `true`.
   *
   * @example
   * yield* event.wait();
   */
  wait(): Coro<true> {
    return trackCoroutine(this._wait(), "Event.wait");
  }

  private *_wait(): Coro<true> {
    if (this._value) return true;
    yield* this._waiters.park(this._getLoop());
    return true;
  }

  override toString(): string {
    return `<Event [${this._value ? "set" : "unset"}${waitersSuffix(this._waiters)}]>`;
  }
}

/**
 * asyncio.Condition: tasks wait (holding its lock) until another task notifies them.
 * `acquire`/`release`/`locked` are its lock's; pass a `Lock` to share one.
 *
 * @example
 * const cond = new Condition();
 * // consumer
 * yield* withLock(cond, function* () {
 *   yield* cond.waitFor(() => items.length > 0);
 *   items.shift();
 * });
 * // producer
 * yield* withLock(cond, function* () { items.push(x); cond.notify(); });
 */
export class Condition extends LoopBound {
  /** @internal */ readonly _lock: Lock;
  /** @internal */ readonly _waiters: WaitQueue;

  constructor(lock?: Lock | null) {
    super();
    if (lock != null && !(lock instanceof Lock)) {
      throw new TypeError(`Condition(lock): lock must be a Lock or null, got ${describe(lock)}`);
    }
    this._lock = lock ?? new Lock();
    this._waiters = new WaitQueue(this);
  }

  /** Whether the underlying lock is held. */
  locked(): boolean {
    return this._lock.locked();
  }

  /**
   * Acquire the underlying lock (a coroutine returning `true`).
   *
   * @example
   * yield* cond.acquire();
   */
  acquire(): Coro<true> {
    return trackCoroutine(this._lock._acquire(), "Condition.acquire");
  }

  /**
   * Release the underlying lock.
   *
   * @example
   * cond.release();
   */
  release(): void {
    this._lock.release();
  }

  /**
   * Release the lock, wait until notified, re-acquire the lock; the coroutine returns `true`.
   * The lock must be held (`RuntimeError` otherwise). The lock is re-acquired even when the
   * wait is cancelled. Wake-ups may be spurious: re-check the state (or use `waitFor`).
   *
   * @example
   * while (!ready) yield* cond.wait();
   */
  wait(): Coro<true> {
    return trackCoroutine(this._wait(), "Condition.wait");
  }

  private *_wait(): Coro<true> {
    if (!this.locked()) throw new RuntimeError("cannot wait on un-acquired lock");
    const loop = this._getLoop(); // before releasing: a wrong loop leaves the lock held
    this.release();
    let ok = false;
    try {
      try {
        yield* this._waiters.park(loop);
      } finally {
        // Must re-acquire the lock even if the wait is cancelled: retry through cancellations
        // and rethrow the most recent one, replacing whatever was in flight (as asyncio's
        // `raise err` in its `finally` does).
        let cancelled: CancelledError | null = null;
        for (;;) {
          try {
            yield* this._lock.acquire();
            break;
          } catch (exc) {
            if (!(exc instanceof CancelledError)) throw exc;
            cancelled = exc;
          }
        }
        if (cancelled !== null) throw cancelled;
      }
      ok = true;
      return true;
    } finally {
      // Whatever went wrong may have happened after this task was notified: notify another
      // one instead (a possible spurious wake-up, which the protocol allows).
      if (!ok) this._waiters.wake(1);
    }
  }

  /**
   * Wait until `predicate()` is truthy, re-checking after each notification; the coroutine
   * returns the predicate's last value. The lock must be held unless the predicate is already
   * true.
   *
   * @example
   * const item = yield* cond.waitFor(() => items.at(0));
   */
  waitFor<R>(predicate: () => R): Coro<R> {
    if (typeof predicate !== "function") {
      throw new TypeError(`Condition.waitFor(predicate): predicate must be a function, got ${describe(predicate)}`);
    }
    return trackCoroutine(this._waitFor(predicate), "Condition.waitFor");
  }

  private *_waitFor<R>(predicate: () => R): Coro<R> {
    let result = predicate();
    while (!result) {
      yield* this.wait();
      result = predicate();
    }
    return result;
  }

  /**
   * Wake up to `n` tasks waiting on this condition (default 1). The lock must be held
   * (`RuntimeError` otherwise); the woken tasks run once the caller releases it.
   *
   * @example
   * cond.notify(2);
   */
  notify(n = 1): void {
    if (typeof n !== "number") {
      throw new TypeError(`Condition.notify(n): n must be a number of waiters, got ${describe(n)}`);
    }
    if (n !== n) throw new ValueError("Condition.notify(n): n must be a number of waiters, got NaN");
    if (!this.locked()) throw new RuntimeError("cannot notify on un-acquired lock");
    this._waiters.wake(n);
  }

  /**
   * Wake every task waiting on this condition. The lock must be held.
   *
   * @example
   * cond.notifyAll();
   */
  notifyAll(): void {
    if (!this.locked()) throw new RuntimeError("cannot notify on un-acquired lock");
    this._waiters.wakeAll();
  }

  override toString(): string {
    return `<Condition [${this.locked() ? "locked" : "unlocked"}${waitersSuffix(this._waiters)}]>`;
  }
}

function checkCount(fn: string, name: string, value: unknown, min: number): number {
  if (typeof value !== "number") {
    throw new TypeError(`${fn}(${name}): ${name} must be an integer, got ${describe(value)}`);
  }
  if (!Number.isInteger(value)) throw new ValueError(`${fn}(${name}): ${name} must be an integer, got ${value}`);
  if (value < min) {
    const what = fn === "Barrier" ? "parties must be > 0" : `${fn} initial value must be >= 0`;
    throw new ValueError(`${fn}(${name}): ${what}, got ${value}`);
  }
  return value;
}

/**
 * asyncio.Semaphore: a counter of free slots. `acquire()` takes one (waiting in FIFO order
 * when none is free), `release()` gives one back. `new Semaphore(-1)` is a `ValueError`.
 *
 * @example
 * const slots = new Semaphore(3); // at most 3 downloads at once
 * yield* withLock(slots, function* () { yield* download(url); });
 */
export class Semaphore extends LoopBound {
  /** @internal */ _value: number;
  /** @internal */ readonly _waiters: WaitQueue;

  constructor(value = 1) {
    super();
    this._value = checkCount("Semaphore", "value", value, 0);
    // A waiter cancelled after release() chose it gives the slot back; the `finally` of
    // acquire then hands it to the next waiter.
    this._waiters = new WaitQueue(this, (woken) => {
      if (woken) this._value++;
    });
  }

  /**
   * Whether `acquire()` would wait: no slot is free, or others wait first (FIFO).
   */
  locked(): boolean {
    return this._value === 0 || this._waiters.hasLiveWaiter();
  }

  /**
   * Take a slot, waiting in FIFO order if none is free; the coroutine returns `true`.
   *
   * @example
   * yield* sem.acquire();
   * try { yield* work(); } finally { sem.release(); }
   */
  acquire(): Coro<true> {
    return trackCoroutine(this._acquire(), "Semaphore.acquire");
  }

  private *_acquire(): Coro<true> {
    if (!this.locked()) {
      this._value--;
      return true;
    }
    const loop = this._getLoop();
    try {
      yield* this._waiters.park(loop);
    } finally {
      // New waiters may have queued behind us while slots were free (FIFO made them wait):
      // wake as many as the free slots allow.
      while (this._value > 0 && this._wakeUpNext()) {
        // keep waking
      }
    }
    return true;
  }

  /**
   * Give a slot back and wake the first waiter.
   *
   * @example
   * sem.release();
   */
  release(): void {
    this._value++;
    this._wakeUpNext();
  }

  /** @internal Hand a slot to the first pending waiter (asyncio's `_wake_up_next`). */
  _wakeUpNext(): boolean {
    if (this._waiters.wake(1) === 0) return false;
    this._value--;
    return true;
  }

  override toString(): string {
    const state = this.locked() ? "locked" : `unlocked, value:${this._value}`;
    return `<${this.constructor.name} [${state}${waitersSuffix(this._waiters)}]>`;
  }
}

/**
 * A Semaphore that refuses to be released above its initial value (`ValueError`): catches a
 * release without a matching acquire.
 *
 * @example
 * const sem = new BoundedSemaphore(2);
 * sem.release(); // ValueError: BoundedSemaphore released too many times
 */
export class BoundedSemaphore extends Semaphore {
  private readonly _boundValue: number;

  constructor(value = 1) {
    super(value);
    this._boundValue = value;
  }

  /**
   * Give a slot back; `ValueError` if that would exceed the initial value.
   *
   * @example
   * sem.release();
   */
  override release(): void {
    if (this._value >= this._boundValue) throw new ValueError("BoundedSemaphore released too many times");
    super.release();
  }
}

const enum BarrierState {
  Filling = "filling",
  Draining = "draining",
  Resetting = "resetting",
  Broken = "broken",
}

/**
 * asyncio.Barrier (3.11): `parties` tasks wait until all have arrived, then all proceed. Each
 * `wait()` returns a distinct index in `0 … parties-1`. `reset()` sends the waiters a
 * `BrokenBarrierError` and makes the barrier usable again; `abort()` breaks it for good.
 *
 * @example
 * const barrier = new Barrier(3);
 * function* worker(id: number) {
 *   yield* prepare(id);
 *   const i = yield* barrier.wait(); // all three prepared
 *   if (i === 0) console.log("everyone is ready");
 * }
 */
export class Barrier extends LoopBound {
  private readonly _cond = new Condition();
  private readonly _parties: number;
  private _state = BarrierState.Filling;
  /** @internal Tasks inside wait() (filling or draining). */
  _count = 0;

  constructor(parties: number) {
    super();
    this._parties = checkCount("Barrier", "parties", parties, 1);
  }

  /**
   * Wait until `parties` tasks are waiting; the coroutine returns this task's index
   * (0 … parties-1). Throws `BrokenBarrierError` if the barrier is reset or aborted meanwhile,
   * or is broken already.
   *
   * @example
   * const index = yield* barrier.wait();
   */
  wait(): Coro<number> {
    return trackCoroutine(this._wait(), "Barrier.wait");
  }

  private *_wait(): Coro<number> {
    const cond = this._cond;
    yield* cond.acquire();
    try {
      yield* this._block(); // while the barrier drains or resets
      const index = this._count++;
      try {
        if (index + 1 === this._parties) this._release();
        else yield* this._waitForRelease();
        return index;
      } finally {
        this._count--;
        this._exit();
      }
    } finally {
      cond.release();
    }
  }

  // Block until the barrier is filling again, or throw if it is broken.
  private *_block(): Coro<void> {
    yield* this._cond.waitFor(() => this._state !== BarrierState.Draining && this._state !== BarrierState.Resetting);
    if (this._state === BarrierState.Broken) throw new BrokenBarrierError("Barrier aborted");
  }

  // The last arrival: start draining and wake everyone.
  private _release(): void {
    this._state = BarrierState.Draining;
    this._cond.notifyAll();
  }

  private *_waitForRelease(): Coro<void> {
    yield* this._cond.waitFor(() => this._state !== BarrierState.Filling);
    if (this._state === BarrierState.Broken || this._state === BarrierState.Resetting) {
      throw new BrokenBarrierError("Abort or reset of barrier");
    }
  }

  // The last task out of a draining or resetting barrier makes it fill again.
  private _exit(): void {
    if (this._count === 0) {
      if (this._state === BarrierState.Resetting || this._state === BarrierState.Draining) {
        this._state = BarrierState.Filling;
      }
      this._cond.notifyAll();
    }
  }

  /**
   * Return the barrier to its empty state; tasks waiting in it get `BrokenBarrierError`.
   * A coroutine (it takes the barrier's internal lock).
   *
   * @example
   * yield* barrier.reset();
   */
  reset(): Coro<null> {
    return trackCoroutine(this._reset(), "Barrier.reset");
  }

  private *_reset(): Coro<null> {
    yield* this._cond.acquire();
    try {
      this._state = this._count > 0 ? BarrierState.Resetting : BarrierState.Filling;
      this._cond.notifyAll();
    } finally {
      this._cond.release();
    }
    return null;
  }

  /**
   * Break the barrier: current and future `wait()`s throw `BrokenBarrierError` (until
   * `reset()`). A coroutine.
   *
   * @example
   * yield* barrier.abort();
   */
  abort(): Coro<null> {
    return trackCoroutine(this._abort(), "Barrier.abort");
  }

  private *_abort(): Coro<null> {
    yield* this._cond.acquire();
    try {
      this._state = BarrierState.Broken;
      this._cond.notifyAll();
    } finally {
      this._cond.release();
    }
    return null;
  }

  /** How many tasks must call `wait()` to pass the barrier (read-only). */
  get parties(): number {
    return this._parties;
  }

  /** How many tasks wait in the barrier while it fills (0 while draining or resetting). */
  get nWaiting(): number {
    return this._state === BarrierState.Filling ? this._count : 0;
  }

  /** Whether the barrier is broken (`abort()`ed). */
  get broken(): boolean {
    return this._state === BarrierState.Broken;
  }

  override toString(): string {
    const waiting = this.broken ? "" : `, waiters:${this.nWaiting}/${this._parties}`;
    return `<Barrier [${this._state}${waiting}]>`;
  }
}

/**
 * What `withLock` accepts: the primitives with asyncio's `async with` acquire/release protocol.
 *
 * @example
 * function* guarded(prim: Lockable) { return yield* withLock(prim, function* () { return 1; }); }
 */
export type Lockable = Lock | Condition | Semaphore;

/**
 * `async with lock:` — acquire `prim` (a Lock, Condition, Semaphore or BoundedSemaphore), run
 * `body` inline in the calling task, release in `finally`, and return body's value. Arguments
 * are checked now; nothing happens until the coroutine is driven.
 *
 * @example
 * const total = yield* withLock(lock, function* () {
 *   const v = balance;
 *   yield* sleep(0.1);
 *   balance = v + 10;
 *   return balance;
 * });
 */
export function withLock<T>(prim: Lockable, body: () => Coro<T>): Coro<T> {
  if (!(prim instanceof Lock || prim instanceof Condition || prim instanceof Semaphore)) {
    throw new TypeError(
      `withLock(prim, body): prim must be a Lock, Condition, Semaphore or BoundedSemaphore, got ${describe(prim)}`,
    );
  }
  checkBody(body, "withLock(prim, body)", "function* () {…}");
  return trackCoroutine(lockedBody(prim, body), "withLock");
}

function* lockedBody<T>(prim: Lockable, body: () => Coro<T>): Coro<T> {
  yield* prim.acquire();
  try {
    const coro = body();
    if (!isCoroutine(coro)) {
      throw new TypeError(`withLock(prim, body): body must return a coroutine (use function*), got ${describe(coro)}`);
    }
    return yield* coro;
  } finally {
    prim.release();
  }
}
