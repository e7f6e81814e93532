// asyncio.shield, as in CPython 3.13's Lib/asyncio/tasks.py.

import { describe } from "../errors.js";
import { _getRunningLoop } from "../loop/running.js";
import { Future } from "../tasks/futures.js";
import { futureAddToAwaitedBy, futureDiscardFromAwaitedBy } from "../introspect/graph.js";
import { ensureFuture, isCoroutine, type Coro } from "../tasks/tasks.js";

/**
 * Protect `aw` (a coroutine, Task or Future) from cancellation: returns an outer Future that
 * follows `aw`'s outcome, and cancelling the outer one (for instance because the task awaiting
 * it was cancelled) leaves `aw` running. If `aw` itself is cancelled, the outer Future is too.
 * A coroutine is wrapped in a Task now; an `aw` already done is returned as is.
 *
 * Keep a reference to the task you shield: `shield` returns at once, and the work goes on
 * after the caller was cancelled.
 *
 * @example
 * const save = createTask(saveToDisk());
 * // if this task is cancelled here, the save still runs to the end
 * const written = yield* shield(save);
 */
export function shield<T>(aw: Coro<T> | Future<T>): Future<T> {
  if (!(aw instanceof Future) && !isCoroutine(aw)) {
    throw new TypeError(`shield(aw): aw must be a coroutine, a Task or a Future, got ${describe(aw)}`);
  }
  const inner = ensureFuture(aw);
  if (inner.done()) return inner; // shortcut, as asyncio
  const outer = inner.getLoop().createFuture<T>();

  // 3.14: the call graph shows the shielding task as awaiting the inner future (no task is
  // parked on it directly), until the inner future is done
  const parent = _getRunningLoop()?._currentTask ?? null;
  if (parent !== null) {
    futureAddToAwaitedBy(inner, parent);
    inner.addDoneCallback(() => futureDiscardFromAwaitedBy(inner, parent));
  }

  const onInnerDone = (f: Future<T>): void => {
    if (outer.cancelled()) {
      if (!f.cancelled()) f.exception(); // nobody waits for it any more: mark it retrieved
      return;
    }
    if (f.cancelled()) {
      // asyncio cancels the outer future without a message; keeping the inner one's is harmless
      outer.cancel(f._makeCancelledError().message || null);
      return;
    }
    const exc = f.exception();
    if (exc !== null) outer.setException(exc);
    else outer.setResult(f.result());
  };
  const onOuterDone = (): void => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(onOuterDone);
  return outer;
}
