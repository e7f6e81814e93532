// One loop per request, for fetch handlers (workerd, Deno.serve, Bun.serve, Node's fetch-style
// servers): asyncio.run's contract for `main`, plus the request's AbortSignal wired to the main
// task, so a client that goes away cancels main (its `finally` blocks and `taskGroup`s clean up,
// as asyncio's Runner cancels main on Ctrl+C). The abort reaches the loop as a wrapped promise,
// through the driver like every host input (so it is ordered by the loop and can be recorded).
//
// Requests overlap: several loops live in one realm at once. `run()` cannot do that (a realm
// has one running loop while a `run()` is in progress, as a Python thread has), so the loop is
// driven in guest mode (`loop.startGuest`/`runOnce`): it is the running loop only while one of
// its iterations runs, and this file is the host that schedules the iterations (a macrotask
// when work is ready, a timer for the next deadline, nothing until a host event otherwise).
// When main is done, the rest is what `run()` does: cancel the tasks left and let them finish,
// close the resources still open, close the loop.
//
// workerd ties sockets and timers to the request that made them, so a loop must not outlive its
// request: this is the shape to use there. What workerd does (1.20261117, seen here): the signal
// aborts only with the `enable_request_signal` compatibility flag, and only once workerd notices
// the client is gone, which is when it writes to it (a streaming response) or reads its body; a
// handler still computing its response is not told. Once the client is gone, workerd drops the
// request's timers and messages unless `ctx.waitUntil` holds the request open: pass `ctx`, and
// the loop's promise is handed to it, so main still gets its CancelledError and cleans up.

import { RuntimeError, ValueError, describe } from "./errors.js";
import { EventLoop } from "./loop/event-loop.js";
import { _getRunningLoop } from "./loop/running.js";
import type { Main, RunOptions } from "./runners.js";
import { gather } from "./compose/gather.js";
import { allTasks, currentTask, isCoroutine, type Coro, type Task } from "./tasks/tasks.js";
import type { Future } from "./tasks/futures.js";
import { wrap } from "./tasks/wrap.js";
import { macrotask } from "./io/timers.js";

/** What `runForRequest` needs of a request: its AbortSignal (a fetch `Request` has one). */
export interface RequestLike {
  readonly signal?: AbortSignal | null;
}

/** `runForRequest`'s options: `run`'s, plus the fetch handler's context. */
export interface RunForRequestOptions extends RunOptions {
  /**
   * The fetch handler's context (workerd's `ExecutionContext`, the third argument of `fetch`):
   * the loop's promise goes to `ctx.waitUntil`, so the request stays alive until the loop is
   * done, even after the client went away (workerd would otherwise drop the loop's timers then,
   * and main's cleanup would never run) or after a streaming response was returned.
   */
  ctx?: { waitUntil(promise: Promise<unknown>): void } | null;
}

const WHERE = "runForRequest(request, main)";

/**
 * Run `main` on a new loop for one request, as `run(main, options)` does, and cancel the main
 * task when `request.signal` aborts (the client went away): main gets a `CancelledError` at the
 * `yield*` it waits on, its cleanup runs, and the promise rejects with that `CancelledError`.
 * A signal that has already aborted cancels main before it first waits. With `ctx`, the
 * request is kept alive (`ctx.waitUntil`) until the loop is done. Unlike `run()`, calls may
 * overlap (one loop per request, many requests at once): each loop is the running loop only
 * while its own callbacks run. Called from inside a running loop it throws `RuntimeError`.
 *
 * @example
 * import { runForRequest, timeout, sleep } from "wasyncio/manual";
 * export default {
 *   async fetch(request, env, ctx) {
 *     return await runForRequest(request, function* () {
 *       return yield* timeout(5, function* () {
 *         yield* sleep(0.1);
 *         return new Response("done");
 *       });
 *     }, { ctx });
 *   },
 * };
 */
export function runForRequest<T>(request: RequestLike, main: Main<T>, options: RunForRequestOptions = {}): Promise<T> {
  if (request === null || typeof request !== "object") {
    throw new TypeError(`${WHERE}: request must be a Request (or an object with an AbortSignal as 'signal'), got ${describe(request)}`);
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${WHERE}: options must be an object, got ${describe(options)}`);
  }
  const { ctx = null, ...runOptions } = options;
  if (ctx !== null && (typeof ctx !== "object" || typeof ctx.waitUntil !== "function")) {
    throw new TypeError(`${WHERE}: options.ctx must be the fetch handler's context (with waitUntil), got ${describe(ctx)}`);
  }
  const signal = request.signal ?? null;
  if (signal !== null && (typeof signal !== "object" || typeof signal.addEventListener !== "function" || typeof signal.aborted !== "boolean")) {
    throw new TypeError(`${WHERE}: request.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  const coro = typeof main === "function" ? main() : main;
  if (!isCoroutine(coro)) {
    const hint = (coro as unknown) instanceof Promise ? " (a Promise: pass a function* or use wrap())" : "";
    throw new ValueError(`${WHERE}: main must be a coroutine or a function* making one, got ${describe(coro)}${hint}`);
  }
  const done = runAsGuest(signal === null ? (coro as Coro<T>) : watched(coro as Coro<T>, signal), runOptions);
  // waitUntil only holds the request open: the caller gets `done` and its outcome
  if (ctx !== null) ctx.waitUntil(done.then(ignore, ignore));
  return done;
}

const ignore = (): void => undefined;

/**
 * `run()` in guest mode: iterations are scheduled here (a macrotask when work is ready, a timer
 * for the next deadline, nothing until the driver reports a host event), so the loop is the
 * realm's running loop only inside an iteration, and other loops may run between.
 */
function runAsGuest<T>(coro: Coro<T>, options: RunOptions): Promise<T> {
  if (_getRunningLoop() !== null) {
    coro.return(undefined as T); // never started: close it so debug mode does not report it
    throw new RuntimeError(`${WHERE} cannot be called from a running event loop`);
  }
  const loop = new EventLoop({ clock: "real", ...options });
  let task: Task<T>;
  try {
    task = loop.createTask(coro);
  } catch (exc) {
    loop.close();
    throw exc;
  }
  return new Promise<T>((resolve, reject) => {
    /** Bumped by every request to run: a scheduled iteration that is not the latest does nothing. */
    let generation = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let leftTasks: Task<unknown>[] = [];
    let left: Future<unknown> | null = null;
    let mainDoneSeen = false;
    let shuttingDown = false;
    let finished = false;

    const finish = (error: { exc: unknown } | null): void => {
      finished = true;
      if (timer !== null) clearTimeout(timer);
      // main's outcome first: retrieving it keeps loop.close() from reporting it as never retrieved
      let outcome: { ok: true; value: T } | { ok: false; exc: unknown } | null = null;
      if (task.done()) {
        try {
          outcome = { ok: true, value: task.result() };
        } catch (exc) {
          outcome = { ok: false, exc };
        }
      }
      try {
        for (const resource of loop._openResources()) {
          if (loop.getDebug()) console.warn(`wasyncio: ${resource} was still open when main ended; runForRequest() closed it`);
          try {
            resource.closeForShutdown();
          } catch (exc) {
            loop.callExceptionHandler({ message: `error while closing ${resource} at the end of runForRequest()`, exception: exc });
          }
        }
        loop.close();
      } catch (exc) {
        if (error === null) error = { exc };
      }
      if (outcome !== null && !outcome.ok) reject(outcome.exc); // main's own error wins
      else if (error !== null) reject(error.exc);
      else if (outcome !== null) resolve(outcome.value);
      else reject(new RuntimeError(`${WHERE}: the loop stopped before main was done`));
    };

    /** After an iteration: once main is done, cancel what is left, then wait for it, then finish. */
    const afterIteration = (): void => {
      if (!task.done()) return;
      if (!mainDoneSeen) {
        // one more iteration first: main's done callbacks run, as asyncio's run_until_complete
        // stops the loop only after the iteration its done callback runs in
        mainDoneSeen = true;
        requestRun(0);
        return;
      }
      if (!shuttingDown) {
        shuttingDown = true;
        leftTasks = Array.from(allTasks(loop));
        if (leftTasks.length > 0) {
          for (const t of leftTasks) t.cancel();
          left = gather(...leftTasks, { returnExceptions: true });
        }
      }
      if (left !== null && !left.done()) return;
      for (const t of leftTasks) {
        if (t.cancelled()) continue;
        const exc = t.exception();
        if (exc !== null) loop.callExceptionHandler({ message: "unhandled exception during runForRequest() shutdown", exception: exc, task: t });
      }
      finish(null);
    };

    const iterate = (mine: number): void => {
      if (mine !== generation || finished) return;
      timer = null;
      try {
        loop.runOnce(); // asks for the next iteration itself (requestRun) when it has work or a timer
        afterIteration();
      } catch (exc) {
        finish({ exc });
      }
    };

    const requestRun = (delay: number): void => {
      if (finished) return;
      const mine = ++generation;
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      if (delay === Infinity) return; // a host event will ask again
      if (delay <= 0) macrotask(() => iterate(mine));
      else timer = setTimeout(() => iterate(mine), Math.min(2147483647, Math.ceil(delay * 1000)));
    };

    loop.startGuest(requestRun);
  });
}

function goneMessage(signal: AbortSignal): string {
  const reason = signal.reason as unknown;
  const why = reason instanceof Error ? reason.message : reason === undefined ? "" : String(reason);
  return `the client went away (request.signal aborted${why === "" ? "" : `: ${why}`})`;
}

function* watched<T>(body: Coro<T>, signal: AbortSignal): Coro<T> {
  const task = currentTask()!;
  if (signal.aborted) {
    task.cancel(goneMessage(signal));
    return yield* body;
  }
  let settle!: (gone: boolean) => void;
  const gone = new Promise<boolean>((resolve) => {
    settle = resolve;
  });
  const onAbort = (): void => settle(true);
  signal.addEventListener("abort", onAbort, { once: true });
  const watcher = wrap(gone);
  watcher.addDoneCallback((f) => {
    if (!f.cancelled() && f.exception() === null && f.result() === true) task.cancel(goneMessage(signal));
  });
  try {
    return yield* body;
  } finally {
    signal.removeEventListener("abort", onAbort);
    settle(false);
    // wait for the settlement, so the wrapped promise is not left open when main ends
    if (!watcher.done()) yield* watcher;
  }
}
