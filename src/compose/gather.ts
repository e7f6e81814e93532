// asyncio.gather: run awaitables concurrently and collect their results in argument order.

import { CancelledError, describe } from "../errors.js";
import { getEventLoop, _getRunningLoop } from "../loop/running.js";
import { Future, type Awaitable } from "../tasks/futures.js";
import type { EventLoop } from "../loop/event-loop.js";
import { coroutineHint, ensureFuture, isCoroutine, type Coro } from "../tasks/tasks.js";

/** `gather`'s trailing options argument. */
export interface GatherOptions {
  /** Return errors (and CancelledErrors) in place of results instead of failing the gather. */
  returnExceptions?: boolean;
}

type Result<A> = A extends Awaitable<infer T> ? T : never;
type Results<A extends readonly unknown[]> = { -readonly [K in keyof A]: Result<A[K]> };
type Settled<A extends readonly unknown[]> = { -readonly [K in keyof A]: Result<A[K]> | Error };

/**
 * The Future `gather` returns. Cancelling it cancels every child that is still running.
 */
export class GatheringFuture<T> extends Future<T> {
  /** @internal */ _cancelRequested = false;
  /** @internal */ readonly _children: Future<unknown>[];

  /** @internal */
  constructor(children: Future<unknown>[], loop: EventLoop) {
    super({ loop });
    this._children = children;
  }

  /** @internal */
  override _awaited(): readonly Future<unknown>[] {
    return this._children;
  }

  override cancel(msg?: string | null): boolean {
    if (this.done()) return false;
    let cancelled = false;
    for (const child of this._children) if (child.cancel(msg)) cancelled = true;
    // a child was really cancelled: the gather ends cancelled, whatever returnExceptions says
    if (cancelled) this._cancelRequested = true;
    return cancelled;
  }
}

function isOptions(value: unknown): value is GatherOptions {
  return (
    typeof value === "object" &&
    value !== null &&
    !(value instanceof Future) &&
    !isCoroutine(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

/**
 * Run coroutines, tasks and futures concurrently; the result is their results, in argument
 * order. The first failure fails the gather (the others keep running) unless
 * `{ returnExceptions: true }` is the last argument, which puts errors in the results.
 *
 * @example
 * const [a, b] = yield* gather(fetchA(), fetchB());
 * const settled = yield* gather(x(), y(), { returnExceptions: true });
 */
export function gather<A extends readonly Awaitable<unknown>[]>(...aws: A): GatheringFuture<Results<A>>;
export function gather<A extends readonly Awaitable<unknown>[]>(
  ...args: [...A, GatherOptions & { returnExceptions: true }]
): GatheringFuture<Settled<A>>;
export function gather<A extends readonly Awaitable<unknown>[]>(...args: [...A, GatherOptions]): GatheringFuture<Results<A>>;
export function gather(...args: unknown[]): GatheringFuture<unknown[]> {
  let returnExceptions = false;
  if (args.length > 0 && isOptions(args[args.length - 1])) {
    const options = args[args.length - 1] as GatherOptions;
    try {
      returnExceptions = Boolean(options.returnExceptions);
      args.pop();
    } catch {
      // not readable as options (a Proxy whose traps throw): checked below as an awaitable
    }
  }
  for (let i = 0; i < args.length; i++) {
    const aw = args[i];
    if (!(aw instanceof Future) && !isCoroutine(aw)) {
      throw new TypeError(`gather(): argument ${i + 1} must be a coroutine, a Task or a Future, got ${describe(aw)}${coroutineHint(aw)}`);
    }
  }
  if (args.length === 0) {
    const outer = new GatheringFuture<unknown[]>([], _getRunningLoop() ?? getEventLoop());
    outer.setResult([]);
    return outer;
  }

  let loop: EventLoop | undefined;
  const seen = new Set<unknown>(); // one hash operation per argument (asyncio's arg_to_fut)
  const children: Future<unknown>[] = new Array(args.length);
  const alreadyDone: Future<unknown>[] = [];
  let total = 0;
  let finished = 0;
  let outer: GatheringFuture<unknown[]> | null = null;

  const onChildDone = (fut: Future<unknown>): void => {
    finished++;
    if (outer === null || outer.done()) {
      if (!fut.cancelled()) fut.exception(); // mark retrieved: the gather already ended
      return;
    }
    if (!returnExceptions) {
      if (fut.cancelled()) {
        outer.setException(fut._makeCancelledError());
        return;
      }
      const exc = fut.exception();
      if (exc !== null) {
        outer.setException(exc);
        return;
      }
    }
    if (finished === total) {
      const results: unknown[] = [];
      for (const child of children) {
        if (child.cancelled()) {
          results.push(new CancelledError(child._cancelMessage ?? ""));
        } else {
          const exc = child.exception();
          results.push(exc !== null ? exc : child.result());
        }
      }
      if (outer._cancelRequested) outer.setException(fut._makeCancelledError());
      else outer.setResult(results);
    }
  };

  for (let i = 0; i < args.length; i++) {
    const aw = args[i];
    const before = seen.size;
    seen.add(aw);
    if (seen.size === before) {
      // the same awaitable again: it shares the future made for its first occurrence
      children[i] = children[args.indexOf(aw)];
      continue;
    }
    let fut: Future<unknown>;
    if (aw instanceof Future) {
      fut = ensureFuture(aw, { loop });
    } else {
      loop ??= _getRunningLoop() ?? getEventLoop();
      fut = loop.createTask(aw as Coro<unknown>);
    }
    loop ??= fut.getLoop();
    total++;
    children[i] = fut;
    if (fut.done()) alreadyDone.push(fut);
    else fut.addDoneCallback(onChildDone);
  }
  outer = new GatheringFuture<unknown[]>(children, loop!);
  for (const fut of alreadyDone) onChildDone(fut);
  return outer;
}
