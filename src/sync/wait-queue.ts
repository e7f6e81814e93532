// The one fair wait queue under every synchronization primitive (trio's `_parking_lot.py`).
//
// Lock, Event, Condition, Semaphore, Barrier (through its Condition) and Queue park their
// waiters here and wake them through the same three operations, so FIFO fairness and the
// cancellation hand-off are written once:
//
//   park(loop)   a coroutine: append a fresh future, `yield*` it, unlink it when resumed;
//   wake(n)      set the first n waiters that are still pending (skips woken and cancelled);
//   wakeFirst()  Lock's rule: make sure the first live waiter is awake — a no-op when it
//                already is, so a lock is never handed to two waiters at once.
//
// A waiter stays linked from the moment it parks until its own task resumes (asyncio's
// `try: await fut finally: waiters.remove(fut)`), so a woken-but-not-yet-running waiter still
// holds its place: `hasLiveWaiter()` sees it and nobody jumps the queue in between.
//
// The cancellation hand-off: a waiter that is cancelled (or closed) *after* a wake-up landed
// on it would swallow that wake-up. `park` tells its owner through `onAbandon(woken)`, and the
// owner passes the turn on (asyncio's careful `except CancelledError:` blocks in
// Lock.acquire, Semaphore.acquire and Queue.get/put).
//
// Layout: an intrusive doubly-linked list whose nodes are the waiters' futures themselves
// (`Waiter extends Future`). Parking allocates nothing but that future; unlinking a cancelled
// waiter from the middle is O(1) (asyncio's `deque.remove` is O(n), which makes mass
// cancellation — every `waitFor(q.get(), t)` that times out — quadratic).

import { RuntimeError } from "../errors.js";
import { getRunningLoop } from "../loop/running.js";
import { Future } from "../tasks/futures.js";
import type { EventLoop } from "../loop/event-loop.js";
import type { Coro } from "../tasks/tasks.js";

/**
 * @internal A parked waiter: the future its task waits on, and its own node in the queue.
 * Resolved with `null` by a wake-up; cancelled when its task is cancelled while parked.
 *
 * @example
 * const w = waitQueue.park(loop).next().value as Waiter; // what a parked task waits on
 */
export class Waiter extends Future<null> {
  /** @internal */ _prev: Waiter | null = null;
  /** @internal */ _next: Waiter | null = null;
  /** @internal */ _linked = true;
  /** @internal */ readonly _queue: WaitQueue;

  constructor(loop: EventLoop, queue: WaitQueue) {
    super({ loop });
    this._queue = queue;
  }

  // "<Waiter pending, parked on <Lock [locked, waiters:1]>>": what a deadlock report names
  override toString(): string {
    return `${super.toString().slice(0, -1)}, parked on ${describeOwner(this._queue.owner)}>`;
  }
}

function describeOwner(owner: unknown): string {
  try {
    return String(owner);
  } catch {
    return "a wait queue";
  }
}

/**
 * The FIFO wait queue every primitive parks its waiters in. Not exported from the package:
 * it is the shared machinery of `Lock`, `Event`, `Condition`, `Semaphore`, `Barrier` and
 * `Queue`.
 *
 * @example
 * const waiters = new WaitQueue(this, (woken) => { if (woken) this._passTheTurnOn(); });
 * yield* waiters.park(loop);   // in a coroutine: wait for a wake-up
 * waiters.wake(1);             // elsewhere: wake the first pending waiter
 */
export class WaitQueue {
  private _head: Waiter | null = null;
  private _tail: Waiter | null = null;
  private _length = 0;

  /**
   * @param owner the primitive, named in `Waiter.toString()` (deadlock reports).
   * @param onAbandon called when a parked waiter leaves without being resumed normally
   *   (cancelled, or its coroutine closed), after it was unlinked; `woken` says whether a
   *   wake-up had already landed on it — the owner must then pass that wake-up on.
   */
  constructor(
    readonly owner: object,
    private readonly onAbandon: ((woken: boolean) => void) | null = null,
  ) {}

  /**
   * How many waiters are linked: pending ones, and woken or cancelled ones whose task has not
   * run yet (asyncio's `len(self._waiters)`).
   */
  get length(): number {
    return this._length;
  }

  /**
   * Park the calling task: a coroutine that appends a fresh future bound to `loop`, waits for
   * it, and unlinks it however the wait ends. Throws what the task receives while parked
   * (a `CancelledError`), after reporting the abandon to the owner.
   */
  *park(loop: EventLoop): Coro<void> {
    const w = new Waiter(loop, this);
    this._append(w);
    let resumed = false;
    try {
      yield* w;
      resumed = true;
    } finally {
      this._unlink(w);
      // Cancelled after a wake-up landed on us (or the coroutine was closed): the owner hands
      // the wake-up on, so no other waiter is left parked with the turn lost.
      if (!resumed && this.onAbandon !== null) this.onAbandon(w.done() && !w.cancelled());
    }
  }

  /**
   * Wake the first `n` waiters that are still pending, in FIFO order; woken and cancelled
   * waiters are skipped. Returns how many were woken.
   */
  wake(n = 1): number {
    let woken = 0;
    // setResult only schedules the waiting task (no code runs here): iterating is safe
    for (let w = this._head; w !== null && woken < n; w = w._next) {
      if (!w.done()) {
        w.setResult(null);
        woken++;
      }
    }
    return woken;
  }

  /** Wake every pending waiter; returns how many were woken. */
  wakeAll(): number {
    return this.wake(Infinity);
  }

  /**
   * Lock's rule (asyncio's `_wake_up_first`): make sure the first waiter that is not cancelled
   * is awake. If it already was woken (and has not run yet) nothing happens, so at most one
   * waiter at a time holds the turn. Returns whether a waiter was woken now.
   */
  wakeFirst(): boolean {
    for (let w = this._head; w !== null; w = w._next) {
      if (w.cancelled()) continue;
      if (w.done()) return false; // already holds the turn
      w.setResult(null);
      return true;
    }
    return false;
  }

  /**
   * Whether any linked waiter is not cancelled (pending, or woken and about to run): a
   * newcomer must then queue behind it instead of taking the resource (asyncio's FIFO rule).
   */
  hasLiveWaiter(): boolean {
    for (let w = this._head; w !== null; w = w._next) if (!w.cancelled()) return true;
    return false;
  }

  private _append(w: Waiter): void {
    const tail = this._tail;
    w._prev = tail;
    if (tail === null) this._head = w;
    else tail._next = w;
    this._tail = w;
    this._length++;
  }

  private _unlink(w: Waiter): void {
    if (!w._linked) return;
    w._linked = false;
    const { _prev: prev, _next: next } = w;
    if (prev === null) this._head = next;
    else prev._next = next;
    if (next === null) this._tail = prev;
    else next._prev = prev;
    w._prev = w._next = null;
    this._length--;
  }
}

/**
 * The base of every primitive, asyncio's `_LoopBoundMixin`: a primitive binds to the running
 * loop the first time it has to park a waiter, and refuses to be used from another loop
 * afterwards (`RuntimeError`: its waiters' futures would belong to the wrong loop). Not
 * exported from the package; it appears in declarations as the primitives' base class (so it
 * must stay in the declarations: stripping it would break their `extends`).
 *
 * @example
 * class Gate extends LoopBound {
 *   *pass() { yield* this._waiters.park(this._getLoop()); }
 * }
 */
export abstract class LoopBound {
  /** @internal */ _loop: EventLoop | null = null;

  /** @internal The running loop, binding this primitive to it on first use. */
  _getLoop(): EventLoop {
    const loop = getRunningLoop();
    if (this._loop === null) this._loop = loop;
    if (loop !== this._loop) throw new RuntimeError(`${this} is bound to a different event loop`);
    return loop;
  }
}
