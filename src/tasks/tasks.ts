// asyncio.Task for generator coroutines, plus the module-level helpers of asyncio.tasks that
// this issue covers (createTask, currentTask, allTasks, ensureFuture, sleep, eager tasks).
//
// A task drives its coroutine one step per loop callback: `next()` (or `throw(exc)`),
// then looks at what the coroutine yielded — a future it parks on (set up by `yield* fut`),
// `undefined`/`null` for a bare `yield` (run again next iteration), anything else is an error
// thrown back in. No promise and no closure per step: the loop calls `taskStep(task)`.

import { CancelledError, InvalidStateError, RuntimeError, ValueError, checkSeconds, describe } from "../errors.js";
import { getRunningLoop, _getRunningLoop, getEventLoop } from "../loop/running.js";
import { Future, FutureState } from "./futures.js";
import type { EventLoop } from "../loop/event-loop.js";
import { trackCoroutine } from "../loop/debug.js";

/** A coroutine: what a `function*` returns. `yield*` plays `await`. */
export type Coro<T = unknown> = Generator<unknown, T, unknown>;

let nextTaskNumber = 1;

/** `_stepExc` when the next step resumes the coroutine normally (any value can be thrown). */
const NO_EXCEPTION: unique symbol = Symbol("no exception");

/** True for generator objects (and other objects with next/throw/return): coroutines. */
export function isCoroutine(value: unknown): value is Coro<unknown> {
  if (typeof value !== "object" || value === null) return false;
  try {
    return (
      typeof (value as Coro).next === "function" &&
      typeof (value as Coro).throw === "function" &&
      typeof (value as Coro).return === "function"
    );
  } catch {
    return false; // a Proxy whose traps throw is no coroutine
  }
}

/**
 * Coroutines a task has driven. A generator cannot say whether it already ran (a finished one
 * just returns `undefined` again), so a coroutine handed to a second task is caught here, as
 * CPython's "cannot reuse already awaited coroutine". One that was driven by `yield*` in user
 * code never passes through the library and cannot be detected.
 */
const drivenCoroutines = new WeakSet<object>();

/** The hint for a value that is not a coroutine (a Promise wants `wrap`, a function a call). */
export function coroutineHint(value: unknown): string {
  if (typeof value === "function") return " (call the generator function: pass fn(), not fn)";
  try {
    if (value !== null && typeof value === "object" && typeof (value as PromiseLike<unknown>).then === "function") {
      return " (a Promise or thenable: turn it into a Future with wrap(promise))";
    }
  } catch {
    // a Proxy whose traps throw: no hint
  }
  return "";
}

/** One step of `task`, called by the loop (the task is the argument: no closure per step). */
function taskStep(task: Task<unknown>): void {
  task._step();
}

/**
 * A coroutine running on the loop, and the Future of its result.
 *
 * @example
 * const task = createTask(fetchAll(), { name: "fetch" });
 * task.cancel("shutting down");
 */
export class Task<T = unknown> extends Future<T> {
  /** @internal True on the prototype (set below): no per-task field. */
  declare readonly _isTask: true;
  /** @internal Links of the loop's TaskList. */
  _prevTask: Task<unknown> | null = null;
  /** @internal */ _nextTask: Task<unknown> | null = null;
  /** @internal This task's sleep(0) coroutine, reused once finished (see sleep). */
  _sleepZero: YieldOnce<null> | null = null;
  private _coro: Coro<T>;
  private _name: string | number; // a number N: "Task-N", formatted on first getName()
  /** @internal The future this task is parked on. */
  _futWaiter: Future<unknown> | null = null;
  private _mustCancel = false;
  private _numCancelsRequested = 0;
  private _stepExc: unknown = NO_EXCEPTION; // what the next step throws into the coroutine

  constructor(coro: Coro<T>, options: { loop?: EventLoop; name?: string | null; eagerStart?: boolean } = {}) {
    if (!isCoroutine(coro)) {
      throw new TypeError(`a coroutine was expected, got ${describe(coro)}${coroutineHint(coro)}`);
    }
    if (drivenCoroutines.has(coro)) {
      throw new RuntimeError(`cannot reuse already awaited coroutine ${describe(coro)}: it was given to a task before; call the generator function again for a new one`);
    }
    super(undefined, options.loop);
    if ((coro as { constructor?: unknown }).constructor !== YieldOnce) drivenCoroutines.add(coro);
    this._coro = coro;
    this._name = options.name != null ? String(options.name) : nextTaskNumber++;
    const loop = this._loop;
    if (options.eagerStart && loop.isRunning()) {
      // 3.12 eager start: run the first step now, in the caller's turn; the task is among
      // allTasks() during that step, and leaves it if the step finished it
      loop._tasks.add(this);
      this._step();
    } else {
      loop._tasks.add(this);
      loop._soon(taskStep, this);
    }
  }

  /** The task's name (`Task-N` unless given). */
  getName(): string {
    const name = this._name;
    return typeof name === "string" ? name : (this._name = `Task-${name}`);
  }

  /** Rename the task. */
  setName(value: unknown): void {
    this._name = String(value);
  }

  /** The coroutine this task drives. */
  getCoro(): Coro<T> {
    return this._coro;
  }

  /**
   * The await chain, innermost last: the futures and tasks this task is parked on. (JS cannot
   * list a generator's frames; this is what the frames would tell.)
   */
  getStack(): unknown[] {
    const stack: unknown[] = [];
    let fut: Future<unknown> | null = this._futWaiter;
    while (fut !== null && !stack.includes(fut)) {
      stack.push(fut);
      fut = fut instanceof Task ? fut._futWaiter : null;
    }
    return stack;
  }

  /** Tasks are completed by their coroutine: this always throws RuntimeError. */
  override setResult(_value: T): void {
    throw new RuntimeError("Task does not support setResult(): its coroutine produces the result");
  }

  /** Tasks are completed by their coroutine: this always throws RuntimeError. */
  override setException(_exception: unknown): void {
    throw new RuntimeError("Task does not support setException(): its coroutine produces the exception");
  }

  /**
   * Request cancellation: `CancelledError(msg)` is thrown into the coroutine at its current
   * `yield*` on the next step, so its `finally` blocks run. Returns false if already done.
   */
  override cancel(msg?: string | null): boolean {
    if (this._logTraceback) this._retrieved();
    if (this._state !== FutureState.Pending) return false;
    this._numCancelsRequested++;
    const waiter = this._futWaiter;
    if (waiter !== null && waiter.cancel(msg)) {
      // keep _futWaiter: it may be a task that swallows the cancellation
      return true;
    }
    this._mustCancel = true;
    this._cancelMessage = msg ?? null;
    return true;
  }

  /** How many cancellation requests are pending (3.11). */
  cancelling(): number {
    return this._numCancelsRequested;
  }

  /** Withdraw one cancellation request; returns the remaining count (3.11, 3.13 semantics). */
  uncancel(): number {
    if (this._numCancelsRequested > 0) {
      this._numCancelsRequested--;
      if (this._numCancelsRequested === 0) this._mustCancel = false;
    }
    return this._numCancelsRequested;
  }

  /** @internal The future this task waits on is done: step at the next iteration. */
  _wakeup(): void {
    this._loop._soon(taskStep, this);
  }

  /** @internal */
  override _scheduleCallbacks(): void {
    this._loop._tasks.delete(this);
    super._scheduleCallbacks();
  }

  /** @internal Throw `exc` into the coroutine at the next step. */
  private _stepWith(exc: unknown): void {
    this._stepExc = exc;
    this._loop._soon(taskStep, this);
  }

  /** @internal One step of the coroutine (asyncio's `__step`). */
  _step(): void {
    if (this._state !== FutureState.Pending) {
      throw new InvalidStateError(`_step(): already done: ${this}`);
    }
    let exc = this._stepExc;
    this._stepExc = NO_EXCEPTION;
    const waited = this._futWaiter;
    if (this._mustCancel) {
      // asyncio keeps the CancelledError of the future the task waited on (resuming `yield*`
      // raises it, with the first cancel's message) and makes a new one only when there is none
      if (exc === NO_EXCEPTION && waited !== null && waited.done() && carriesCancellation(waited)) {
        // resume: the waited future's own CancelledError is thrown at the `yield*`
      } else {
        exc = new CancelledError(this._cancelMessage);
      }
      this._mustCancel = false;
    }
    this._futWaiter = null;
    const loop = this._loop;
    const previous = loop._currentTask;
    loop._currentTask = this;
    let result: IteratorResult<unknown, T>;
    try {
      result = exc === NO_EXCEPTION ? this._coro.next() : this._coro.throw(exc);
    } catch (caught) {
      loop._currentTask = previous;
      let error = caught;
      if (exc instanceof BadYield && caught instanceof TypeError && caught.message.includes("'throw' method")) {
        // `yield* [1, 2]`: V8 closes the plain iterator and reports that it has no `throw`;
        // the useful message is ours
        error = new RuntimeError(exc.message, { cause: caught });
      }
      if (error instanceof CancelledError) {
        this._cancelledExc = error; // the same instance reaches whoever awaits this task
        Future.prototype.cancel.call(this);
      } else {
        const thrown = error ?? new RuntimeError(`the coroutine of ${this} threw ${describe(error)}`);
        Future.prototype.setException.call(this, thrown);
      }
      return;
    }
    loop._currentTask = previous;
    if (result.done) {
      if (this._mustCancel) {
        // cancel() arrived while the coroutine was finishing: asyncio cancels anyway
        this._mustCancel = false;
        Future.prototype.cancel.call(this, this._cancelMessage);
      } else {
        Future.prototype.setResult.call(this, result.value);
      }
      return;
    }
    this._park(result.value);
  }

  private _park(yielded: unknown): void {
    if (yielded instanceof Future) {
      if (yielded._loop !== this._loop) {
        this._stepWith(new RuntimeError(`Task ${this} got Future ${yielded} attached to a different loop`));
      } else if (!yielded._blocking) {
        this._stepWith(new RuntimeError(`yield was used instead of yield* in task ${this} with ${yielded}`));
      } else if (yielded === this) {
        this._stepWith(new RuntimeError(`Task cannot await on itself: ${this}`));
      } else if (yielded._awaited() !== null && findAwaitCycle(this, yielded) !== null) {
        const cycle = findAwaitCycle(this, yielded)!;
        this._stepWith(new RuntimeError(`await cycle: ${[this, ...cycle].map(String).join(" awaits ")}: awaiting it would never finish`));
      } else {
        yielded._blocking = false;
        yielded._addWaiter(this);
        this._futWaiter = yielded;
        if (this._mustCancel && yielded.cancel(this._cancelMessage)) this._mustCancel = false;
      }
    } else if (yielded === undefined || yielded === null) {
      // bare `yield`: give the loop one iteration (asyncio's sleep(0))
      this._loop._soon(taskStep, this);
    } else if (isCoroutine(yielded)) {
      this._stepWith(new RuntimeError(`yield was used instead of yield* for generator in task ${this} with ${describe(yielded)}`));
    } else {
      this._stepWith(new BadYield(`Task got bad yield: ${describe(yielded)} (yield* was used on something that is not awaitable: only futures, tasks and coroutines can be awaited, not an Array, a string or another iterable)`));
    }
  }

  /** @internal What this task waits on (for await-cycle detection). */
  override _awaited(): Future<unknown> | readonly Future<unknown>[] | null {
    return this._futWaiter;
  }

  override toString(): string {
    const base = super.toString().slice(0, -1); // "<Task pending" …
    const waiting = this._futWaiter !== null ? ` wait_for=${this._futWaiter}` : "";
    return `${base} name='${this.getName()}'${waiting}>`;
  }
}

(Task.prototype as { _isTask: boolean })._isTask = true;

/** The error thrown into a coroutine that yielded something that is not awaitable. */
class BadYield extends RuntimeError {}

/** Whether a done future ends whoever awaits it with a CancelledError. */
function carriesCancellation(fut: Future<unknown>): boolean {
  return fut._state === FutureState.Cancelled || (fut._state === FutureState.Failed && fut._result instanceof CancelledError);
}

/**
 * The chain by which `start` (transitively) awaits `task`, or null. Followed through tasks'
 * waiters and composite futures' children (gather), the links along which `cancel()`
 * propagates: a cycle there would make cancellation recurse forever.
 */
function findAwaitCycle(task: Task<unknown>, start: Future<unknown>): Future<unknown>[] | null {
  // the common shape is a short chain of tasks: walk it without allocating
  let fut = start;
  for (let steps = 0; steps < 64; steps++) {
    const next = fut._awaited();
    if (next === null) return null;
    if (!(next instanceof Future) || next === task) break;
    fut = next;
  }
  const parent = new Map<Future<unknown>, Future<unknown> | null>([[start, null]]);
  const stack: Future<unknown>[] = [start];
  while (stack.length > 0) {
    const fut = stack.pop()!;
    const next = fut._awaited();
    if (next === null) continue;
    const list = next instanceof Future ? [next] : next;
    for (const child of list) {
      if (child === task) {
        const path: Future<unknown>[] = [];
        for (let f: Future<unknown> | null = fut; f !== null; f = parent.get(f) ?? null) path.unshift(f);
        path.push(task);
        return path;
      }
      if (!parent.has(child) && !child.done()) {
        parent.set(child, fut);
        stack.push(child);
      }
    }
  }
  return null;
}

/**
 * Wrap a coroutine in a Task on the running loop (through its task factory).
 *
 * @example
 * function* main() { const t = createTask(child()); yield* sleep(1); t.cancel(); }
 */
export function createTask<T>(coro: Coro<T>, options: { name?: string } = {}): Task<T> {
  return getRunningLoop().createTask(coro, options);
}

/**
 * The task running now on `loop` (default: the running loop), or `null` outside any task.
 *
 * @example
 * function* main() { console.log(currentTask()!.getName()); }
 */
export function currentTask(loop?: EventLoop): Task<unknown> | null {
  return (loop ?? getRunningLoop())._currentTask;
}

/**
 * The tasks of `loop` (default: the running loop) that are not done yet.
 *
 * @example
 * for (const t of allTasks()) t.cancel();
 */
export function allTasks(loop?: EventLoop): Set<Task<unknown>> {
  const tasks = new Set<Task<unknown>>();
  for (const t of (loop ?? getRunningLoop())._tasks) if (!t.done()) tasks.add(t);
  return tasks;
}

/**
 * A Future for `aw`: a Future or Task as it is, a coroutine wrapped in a new Task.
 *
 * @example
 * const fut = ensureFuture(child());
 */
export function ensureFuture<T>(aw: Coro<T> | Future<T>, options: { loop?: EventLoop } = {}): Future<T> {
  if (aw instanceof Future) {
    if (options.loop != null && options.loop !== aw._loop) {
      throw new ValueError("The future belongs to a different loop than the one specified as the loop argument");
    }
    return aw;
  }
  if (isCoroutine(aw)) {
    const loop = options.loop ?? _getRunningLoop() ?? getEventLoop();
    return loop.createTask(aw);
  }
  throw new TypeError(`ensureFuture(aw): a Future, a Task or a coroutine is required, got ${describe(aw)}`);
}

/**
 * A task factory that starts each task eagerly (3.12): its coroutine runs synchronously up to
 * its first suspension; a coroutine that finishes without suspending never hits the loop.
 *
 * @example
 * loop.setTaskFactory(eagerTaskFactory);
 */
export function eagerTaskFactory<T>(loop: EventLoop, coro: Coro<T>, options: { name?: string } = {}): Task<T> {
  return new Task<T>(coro, { loop, name: options.name, eagerStart: true });
}

function setTrue(fut: Future<unknown>): void {
  if (!fut.done()) fut.setResult(undefined);
}

const YIELD_TO_LOOP: IteratorResult<unknown, never> = Object.freeze({ value: undefined, done: false });
const DONE_NULL: IteratorResult<unknown, null> = Object.freeze({ value: null, done: true });

/**
 * `sleep(0)`: one bare `yield` (the task gives the loop one iteration, as asyncio's sleep(0)),
 * then the result. A three-field object instead of a generator: 100,000 tasks sleeping(0) made
 * a million generators that each outlived a scavenge (W3 spent 62% of its time in GC).
 */
class YieldOnce<T> implements Coro<T> {
  /** @internal 0: not started, 1: yielded, 2: finished (the task may then reuse it). */
  state = 0;
  constructor(private readonly result: T) {}

  next(): IteratorResult<unknown, T> {
    if (this.state === 0) {
      this.state = 1;
      return YIELD_TO_LOOP;
    }
    if (this.state === 2) return { value: undefined as T, done: true }; // like a finished generator
    this.state = 2;
    return this.result === null ? (DONE_NULL as IteratorResult<unknown, T>) : { value: this.result, done: true };
  }

  throw(exc: unknown): IteratorResult<unknown, T> {
    this.state = 2;
    throw exc;
  }

  return(value: T): IteratorResult<unknown, T> {
    this.state = 2;
    return { value, done: true };
  }

  [Symbol.iterator](): this {
    return this;
  }

  get [Symbol.toStringTag](): string {
    return "Generator";
  }
}

function* sleepFor<T>(delay: number, result: T): Coro<T> {
  const loop = getRunningLoop();
  const fut = new Future<unknown>(undefined, loop);
  const id = loop._at(loop.time() + delay, setTrue, fut);
  try {
    yield* fut;
  } finally {
    loop._cancelId(id);
  }
  return result;
}

/**
 * Wait `delay` seconds, then return `result` (default `null`). `sleep(0)` yields to the loop
 * for one iteration. Arguments are checked now; the wait happens when driven by `yield*`.
 *
 * @example
 * yield* sleep(0.5);
 * const v = yield* sleep(1, "done"); // "done"
 */
export function sleep(delay: number): Coro<null>;
export function sleep<T>(delay: number, result: T): Coro<T>;
export function sleep<T>(delay: number, result?: T): Coro<T | null> {
  checkSeconds(delay, "sleep(delay)", "delay");
  const value = result === undefined ? null : result;
  if (delay > 0) return trackCoroutine(sleepFor<T | null>(delay, value), "sleep");
  const task = value === null ? _getRunningLoop()?._currentTask : null;
  if (task != null && !task._loop.getDebug()) {
    // Each task reuses its one finished sleep(0) coroutine: a million sleep(0)s across
    // 100,000 tasks then allocate 100,000 objects, not a million that each outlive a scavenge.
    // A sleep(0) that is not finished is never reused, so live coroutines stay distinct.
    const reusable = task._sleepZero;
    if (reusable !== null && reusable.state === 2) {
      reusable.state = 0;
      return reusable as YieldOnce<T | null>;
    }
    return (task._sleepZero = new YieldOnce<null>(null)) as YieldOnce<T | null>;
  }
  return trackCoroutine(new YieldOnce<T | null>(value), "sleep");
}
