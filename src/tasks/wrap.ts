// Host promises into the loop: `wrap` sends the promise to the driver as a `settle` command;
// the settlement comes back as a `settled` event through the driver's one door (so it is
// ordered by the loop, and can be recorded and replayed). While it is out, the promise counts
// as host I/O in flight: the virtual clock does not jump past it and runSync refuses to wait.

import { RuntimeError, describe } from "../errors.js";
import { getEventLoop, _getRunningLoop } from "../loop/running.js";
import { Future } from "./futures.js";
import type { EventLoop } from "../loop/event-loop.js";
import type { HostEvent, Resource } from "../io/driver.js";

/** A wrapped promise, as the loop's resource until its `settled` event arrives. */
class WrappedPromise implements Resource {
  constructor(
    private readonly loop: EventLoop,
    private readonly id: number,
    private readonly fut: Future<unknown>,
  ) {}

  onEvent(event: HostEvent): void {
    if (event.kind !== "settled") return;
    this.loop._closeResource(this.id);
    const fut = this.fut;
    if (fut.done()) return; // cancelled meanwhile: the late settlement is dropped
    if (event.ok) fut.setResult(event.value);
    else fut.setException(event.value ?? new Error(`wrapped promise rejected with ${describe(event.value)}`));
  }

  closeForShutdown(): void {
    this.loop._closeResource(this.id);
  }

  toString(): string {
    return `<wrapped promise ${this.fut}>`;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  try {
    return typeof (value as PromiseLike<unknown>).then === "function";
  } catch {
    return false; // a Proxy whose traps throw
  }
}

/**
 * Turn a host Promise (or any thenable) into a loop Future.
 *
 * @example
 * function* main() { const res = yield* wrap(fetch(url)); }
 */
export function wrap<T>(promise: PromiseLike<T>, options: { loop?: EventLoop } = {}): Future<T> {
  if (!isThenable(promise)) {
    throw new TypeError(`wrap(promise): promise must be a Promise or thenable, got ${describe(promise)}`);
  }
  const loop = options?.loop ?? _getRunningLoop() ?? getEventLoop();
  if (loop.isClosed()) throw new RuntimeError("Event loop is closed");
  const fut = new Future<T>({ loop });
  const id = loop._newResourceId();
  loop._openResource(id, new WrappedPromise(loop, id, fut as Future<unknown>));
  try {
    loop._send({ op: "settle", id, promise });
  } catch (exc) {
    // a thenable whose `then` throws: nothing is in flight after all
    loop._closeResource(id);
    throw exc;
  }
  return fut;
}
