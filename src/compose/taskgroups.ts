// asyncio.TaskGroup (CPython 3.13 `Lib/asyncio/taskgroups.py`, with the later 3.13.x fixes)
// as an inline structured form:
//
//   const v = yield* taskGroup(function* (tg) { tg.createTask(a()); tg.createTask(b()); return x; });
//
// plays `async with asyncio.TaskGroup() as tg: …`. The body runs in the calling task (the
// "parent task"), not in a task of its own, so `currentTask()` inside it is the caller and a
// cancellation of the caller reaches the body at its current `yield*` — exactly as the body of an
// `async with` block.
//
// The state machine is CPython's, line for line where it matters:
//   - the first child failure cancels the siblings and the parent task (`_abort`, then
//     `parent.cancel()`), remembering that *we* asked (`_parentCancelRequested`), so that the exit
//     can `uncancel()` it and not leak a cancellation out of the group;
//   - the exit waits for every child (re-waiting if the parent is cancelled again meanwhile);
//   - a cancellation of the parent that did not come from the group propagates as the same
//     CancelledError, unless children failed: their ExceptionGroup wins, and (3.13) the parent is
//     re-cancelled so its pending cancellation is not lost;
//   - the body's own error joins the children's errors in one ExceptionGroup.
// JS has no BaseException: only CancelledError is special (no `_base_error` path).

import { CancelledError, ExceptionGroup, RuntimeError, checkBody, describe } from "../errors.js";
import { trackCoroutine } from "../loop/debug.js";
import { getRunningLoop } from "../loop/running.js";
import { Future } from "../tasks/futures.js";
import { futureAddToAwaitedBy, futureDiscardFromAwaitedBy } from "../introspect/graph.js";
import type { EventLoop } from "../loop/event-loop.js";
import { Task, currentTask, isCoroutine, type Coro } from "../tasks/tasks.js";

/** The message of the ExceptionGroup a TaskGroup raises (CPython's, verbatim). */
const GROUP_MESSAGE = "unhandled errors in a TaskGroup";

/**
 * `taskGroup`'s body: a `function*` that receives the group and returns the form's value.
 *
 * @example
 * const fetchBoth: TaskGroupBody<void> = function* (tg) { tg.createTask(fetchA()); tg.createTask(fetchB()); };
 * yield* taskGroup(fetchBoth);
 */
export type TaskGroupBody<T> = (tg: TaskGroup) => Coro<T>;

/**
 * A group of tasks whose lifetime is bound to a block: `taskGroup(function* (tg) { … })` enters
 * it, runs the block inline and waits for every task made with `tg.createTask()`. When a child
 * fails, the others and the block are cancelled and the errors are thrown together as an
 * `ExceptionGroup`.
 *
 * A group is entered once. Make one yourself only to hand it out before entering it
 * (`yield* taskGroup(group, body)`); otherwise `taskGroup(body)` makes it.
 *
 * @example
 * const [ta, tb] = yield* taskGroup(function* (tg) {
 *   return [tg.createTask(fetchA()), tg.createTask(fetchB(), { name: "b" })] as const;
 * });
 * console.log(ta.result(), tb.result()); // both done here
 *
 * // a group made first, to hand out before it is entered
 * const group = new TaskGroup();
 * yield* taskGroup(group, function* () { group.createTask(worker()); });
 */
export class TaskGroup {
  /** @internal */ _entered = false;
  /** @internal */ _exiting = false;
  /** @internal */ _aborting = false;
  /** @internal The exit ran to its end (or the block was abandoned): nothing left to wait for. */
  _finished = false;
  /** @internal */ _loop: EventLoop | null = null;
  /** @internal */ _parentTask: Task<unknown> | null = null;
  /** @internal */ _parentCancelRequested = false;
  /** @internal The children not done yet. */
  readonly _tasks = new Set<Future<unknown>>();
  /** @internal Children's errors, in completion order. */
  _errors: unknown[] = [];
  /** @internal Set while the exit waits for the last child. */
  _onCompletedFut: Future<unknown> | null = null;

  // one bound callback per group (done-callbacks are matched by identity)
  private readonly _onTaskDoneCb = (task: Future<unknown>): void => this._onTaskDone(task);

  /**
   * Create a task running `coro` in this group (asyncio's `TaskGroup.create_task`). The task goes
   * through the loop's task factory (so `eagerTaskFactory` applies). Throws `RuntimeError` if the
   * group was not entered, is finished, or is shutting down after a failure; the coroutine is
   * then closed, never run.
   *
   * @example
   * yield* taskGroup(function* (tg) {
   *   const t = tg.createTask(worker(), { name: "worker-1" });
   *   yield* sleep(1);
   *   console.log(t.done());
   * });
   */
  createTask<T>(coro: Coro<T>, options: { name?: string | null } = {}): Task<T> {
    if (!isCoroutine(coro)) {
      throw new TypeError(
        `TaskGroup.createTask(coro): coro must be a coroutine, got ${describe(coro)} (call the generator function: createTask(fn()) not createTask(fn))`,
      );
    }
    if (options === null || typeof options !== "object") {
      throw new TypeError(`TaskGroup.createTask(coro, options): options must be an object, got ${describe(options)}`);
    }
    if (!this._entered) {
      coro.return(undefined as T);
      throw new RuntimeError(`TaskGroup ${this} has not been entered`);
    }
    if (this._exiting && this._tasks.size === 0) {
      coro.return(undefined as T);
      throw new RuntimeError(`TaskGroup ${this} is finished`);
    }
    if (this._aborting) {
      coro.return(undefined as T);
      throw new RuntimeError(`TaskGroup ${this} is shutting down`);
    }
    const loop = this._loop!;
    const task = options.name != null ? loop.createTask(coro, { name: String(options.name) }) : loop.createTask(coro);
    futureAddToAwaitedBy(task, this._parentTask!);
    // Always through a done-callback, even if the task already finished (an eager task that
    // completed during createTask): handling it now would cancel the parent before it reached
    // its next `yield*` (CPython gh-128550).
    this._tasks.add(task);
    task.addDoneCallback(this._onTaskDoneCb);
    return task;
  }

  /** `<TaskGroup tasks=2 errors=1 cancelling>`, as asyncio's repr. */
  toString(): string {
    let info = "";
    if (this._tasks.size > 0) info += ` tasks=${this._tasks.size}`;
    if (this._errors.length > 0) info += ` errors=${this._errors.length}`;
    if (this._aborting) info += " cancelling";
    else if (this._entered) info += " entered";
    return `<TaskGroup${info}>`;
  }

  /** @internal `__aenter__`: bind to the running loop and the current task. */
  _enter(): void {
    if (this._entered) throw new RuntimeError(`TaskGroup ${this} has already been entered`);
    this._loop ??= getRunningLoop();
    const parent = currentTask(this._loop);
    if (parent === null) throw new RuntimeError(`TaskGroup ${this} cannot determine the parent task`);
    this._parentTask = parent;
    this._entered = true;
  }

  /**
   * @internal `__aexit__`: wait for the children, then throw what the block must throw. Returns
   * normally only when the block succeeded and no child failed.
   */
  *_exit(hasExc: boolean, exc: unknown): Coro<void> {
    this._exiting = true;
    const parent = this._parentTask!;
    const bodyCancelled = hasExc && exc instanceof CancelledError;
    let propagateCancellation: CancelledError | null = bodyCancelled ? (exc as CancelledError) : null;

    // the parent is being cancelled (the block raised CancelledError) or the block failed:
    // stop the children
    if (hasExc && !this._aborting) this._abort();

    // A loop, because the wait can be cancelled several times: the parent may be cancelled
    // repeatedly, or once while our own abort is already under way.
    while (this._tasks.size > 0) {
      this._onCompletedFut ??= this._loop!.createFuture();
      try {
        yield* this._onCompletedFut;
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
        if (!this._aborting) {
          // the parent was cancelled from outside while the children still ran
          propagateCancellation = err;
          this._abort();
        }
      }
      this._onCompletedFut = null;
    }
    this._finished = true;

    if (this._parentCancelRequested) {
      // we cancelled the parent ourselves: we must take that request back
      if (parent.uncancel() === 0) {
        // no other cancellation is pending: do not propagate CancelledError
        propagateCancellation = null;
      }
    }

    // a pending cancellation propagates, unless children failed: their errors have priority
    if (propagateCancellation !== null && this._errors.length === 0) throw propagateCancellation;

    const errors = this._errors;
    if (hasExc && !bodyCancelled) errors.push(exc);
    if (errors.length > 0) {
      // 3.13: the parent is also being cancelled from outside the group; uncancel and re-cancel
      // keeps its cancel count stable and delivers that cancellation at its next `yield*`
      if (parent.cancelling() > 0) {
        parent.uncancel();
        parent.cancel();
      }
      this._errors = [];
      throw new ExceptionGroup(GROUP_MESSAGE, errors);
    }
    // not reached with hasExc (a CancelledError body either propagated above or was replaced by
    // errors); kept for the `async with` contract: an exception the exit does not swallow
    if (hasExc) throw exc;
  }

  /** @internal The block was abandoned (its generator closed) before the exit ran: stop the children. */
  _abandon(): void {
    if (this._finished || !this._entered) return;
    this._finished = true;
    this._exiting = true;
    this._abort();
  }

  /** @internal */
  _abort(): void {
    this._aborting = true;
    for (const t of this._tasks) if (!t.done()) t.cancel();
  }

  /** @internal A child finished (a done-callback, so never inside the parent's own step). */
  _onTaskDone(task: Future<unknown>): void {
    this._tasks.delete(task);
    const parent = this._parentTask!;
    futureDiscardFromAwaitedBy(task, parent);

    const waiter = this._onCompletedFut;
    if (waiter !== null && this._tasks.size === 0 && !waiter.done()) waiter.setResult(true);

    if (task.cancelled()) return;
    const exc = task.exception();
    if (exc === null) return;
    this._errors.push(exc);

    if (parent.done()) {
      // the block was abandoned and its task ended: nobody will raise this error
      this._loop!.callExceptionHandler({
        message: `Task ${task} has errored out but its parent task ${parent} is already completed`,
        exception: exc,
        task: task as Task<unknown>,
      });
      return;
    }

    if (!this._aborting && !this._parentCancelRequested) {
      // The parent is not being cancelled: cancel it ourselves to interrupt whatever the block
      // awaits now, and remember to uncancel it at the exit, so that code after the group
      // (for example in an `except` of the ExceptionGroup) runs normally:
      //
      //   try { yield* taskGroup(function* (tg) { tg.createTask(crashSoon()); yield* forever(); }); }
      //   catch { /* ignore */ }
      //   yield* somethingElse(); // must run: the cancellation does not leak out of the group
      this._abort();
      this._parentCancelRequested = true;
      parent.cancel();
    }
  }
}

function* runTaskGroup<T>(group: TaskGroup, body: TaskGroupBody<T>): Coro<T> {
  group._enter();
  try {
    let value: T;
    try {
      const coro = body(group);
      if (!isCoroutine(coro)) {
        // A misuse, not a failure of the block: with no children it is thrown as it is; if the
        // body (a plain function) made tasks first, the group still waits for them and the
        // TypeError comes out in the ExceptionGroup like any error of the block.
        if (group._tasks.size === 0) group._exiting = group._finished = true;
        throw new TypeError(
          `taskGroup(body): body must be a generator function (function*) or return a coroutine, but it returned ${describe(coro)}`,
        );
      }
      value = yield* coro;
    } catch (exc) {
      if (group._finished) throw exc;
      yield* group._exit(true, exc);
      throw exc; // (the exit always throws here)
    }
    yield* group._exit(false, undefined);
    return value;
  } finally {
    // The generator was closed (`return()`) while the block or the exit was suspended: cancel
    // the children rather than leave them running unowned.
    group._abandon();
  }
}

/**
 * `async with asyncio.TaskGroup() as tg:` — run `body(tg)` inline in the calling task, wait for
 * every task created with `tg.createTask()`, and return the body's value. When a child fails,
 * the remaining children and the body are cancelled, and every error (the body's included) is
 * thrown as one `ExceptionGroup` (children's errors in completion order, the body's last). If
 * the calling task is cancelled from outside, the children are cancelled and the same
 * `CancelledError` propagates once they are done.
 *
 * `body` is checked now (a non-function is a `TypeError`); the group is entered when the
 * returned coroutine is first driven. Pass a `TaskGroup` first to enter a group made earlier.
 *
 * @example
 * const total = yield* taskGroup(function* (tg) {
 *   const a = tg.createTask(fetchSize("a"));
 *   const b = tg.createTask(fetchSize("b"));
 *   yield* sleep(0.1); // the body runs concurrently with its children
 *   return [a, b];
 * });
 * // every child is done here
 * console.log(total[0].result() + total[1].result());
 */
export function taskGroup<T>(body: TaskGroupBody<T>): Coro<T>;
export function taskGroup<T>(group: TaskGroup, body: TaskGroupBody<T>): Coro<T>;
export function taskGroup<T>(first: TaskGroup | TaskGroupBody<T>, second?: TaskGroupBody<T>): Coro<T> {
  let group: TaskGroup;
  let body: unknown;
  if (first instanceof TaskGroup) {
    group = first;
    body = second;
  } else {
    if (arguments.length > 1) {
      throw new TypeError(`taskGroup(group, body): group must be a TaskGroup, got ${describe(first)}`);
    }
    group = new TaskGroup();
    body = first;
  }
  checkBody(body, "taskGroup(body)", "function* (tg) {…}");
  return trackCoroutine(runTaskGroup(group, body as TaskGroupBody<T>), "taskGroup");
}
