// One loop per request, for fetch handlers (workerd, Deno.serve, Bun.serve, Node's fetch-style
// servers): `run(main)`, plus the request's AbortSignal wired to the main task, so a client that
// goes away cancels main (its `finally` blocks and `taskGroup`s clean up, as asyncio's Runner
// cancels main on Ctrl+C). The abort reaches the loop as a wrapped promise, through the driver
// like every host input (so it is ordered by the loop and can be recorded).
//
// workerd ties sockets and timers to the request that made them, so a loop must not outlive its
// request: this is the shape to use there. The signal aborts on a client disconnect only with
// the `enable_request_signal` compatibility flag.

import { ValueError, describe } from "./errors.js";
import { run, type Main, type RunOptions } from "./runners.js";
import { currentTask, isCoroutine, type Coro } from "./tasks/tasks.js";
import { wrap } from "./tasks/wrap.js";

/** What `runForRequest` needs of a request: its AbortSignal (a fetch `Request` has one). */
export interface RequestLike {
  readonly signal?: AbortSignal | null;
}

const WHERE = "runForRequest(request, main)";

/**
 * Run `main` on a new loop for one request, as `run(main, options)` does, and cancel the main
 * task when `request.signal` aborts (the client went away): main gets a `CancelledError` at the
 * `yield*` it waits on, its cleanup runs, and the promise rejects with that `CancelledError`.
 * A signal that has already aborted cancels main before it first waits.
 *
 * @example
 * import { runForRequest, timeout, sleep } from "wasyncio/manual";
 * export default {
 *   async fetch(request) {
 *     return await runForRequest(request, function* () {
 *       return yield* timeout(5, function* () {
 *         yield* sleep(0.1);
 *         return new Response("done");
 *       });
 *     });
 *   },
 * };
 */
export function runForRequest<T>(request: RequestLike, main: Main<T>, options: RunOptions = {}): Promise<T> {
  if (request === null || typeof request !== "object") {
    throw new TypeError(`${WHERE}: request must be a Request (or an object with an AbortSignal as 'signal'), got ${describe(request)}`);
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
  return run(signal === null ? (coro as Coro<T>) : watched(coro as Coro<T>, signal), options);
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
