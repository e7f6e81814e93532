// Host promises into the loop: the settlement is delivered as a loop callback (so it is
// ordered by the loop, and later recorded and replayed), and the promise counts as host I/O in
// flight (so the virtual clock does not jump past it and runSync refuses to wait for it).

import { describe } from "../errors.js";
import { getEventLoop, _getRunningLoop } from "../loop/running.js";
import { Future } from "./futures.js";
import type { EventLoop } from "../loop/event-loop.js";

function deliver(this: void, fut: Future<unknown>, ok: boolean, value: unknown): void {
  if (fut.done()) return; // cancelled meanwhile: the late settlement is dropped
  if (ok) fut.setResult(value);
  else fut.setException(value ?? new Error(`wrapped promise rejected with ${describe(value)}`));
}

/**
 * Turn a host Promise (or any thenable) into a loop Future.
 *
 * @example
 * function* main() { const res = yield* wrap(fetch(url)); }
 */
export function wrap<T>(promise: PromiseLike<T>, options: { loop?: EventLoop } = {}): Future<T> {
  if (promise === null || (typeof promise !== "object" && typeof promise !== "function") || typeof promise.then !== "function") {
    throw new TypeError(`wrap(promise): promise must be a Promise or thenable, got ${describe(promise)}`);
  }
  const loop = options.loop ?? _getRunningLoop() ?? getEventLoop();
  const fut = new Future<T>({ loop });
  loop._hostSourceOpened();
  let settled = false;
  const settle = (ok: boolean, value: unknown) => {
    if (settled) return;
    settled = true;
    loop._hostSourceClosed();
    if (!loop.isClosed()) loop.callSoonThreadsafe(deliver, fut as Future<unknown>, ok, value);
  };
  promise.then(
    (value) => settle(true, value),
    (reason) => settle(false, reason),
  );
  return fut;
}
