// Debug mode's "coroutine was never awaited": an operation's coroutine (sleep(), lock.acquire(),
// …) that is created and dropped without `yield*` — the classic missing-await bug — is reported
// when it is garbage-collected, or at the latest when its loop closes. Only wasyncio's own
// operations can be tracked (JS gives no hook on user generator functions), and only while a
// loop runs in debug mode: outside debug mode the coroutine is returned untouched, no cost.

import { _getRunningLoop } from "./running.js";
import type { EventLoop } from "./event-loop.js";
import type { Coro } from "../tasks/tasks.js";

interface Unawaited {
  loop: EventLoop;
  name: string;
  createdAt: string;
}

function report(record: Unawaited): void {
  record.loop._debugCoroutines.delete(record);
  const where = record.createdAt ? `\ncreated at:\n${record.createdAt}` : "";
  console.warn(`wasyncio: coroutine '${record.name}' was never awaited (missing yield*?)${where}`);
}

const unawaited: FinalizationRegistry<Unawaited> | null =
  typeof FinalizationRegistry === "function" ? new FinalizationRegistry<Unawaited>(report) : null;

/** A coroutine that notes whether it was ever driven. */
class TrackedCoroutine<T> implements Coro<T> {
  private started = false;
  constructor(
    private readonly inner: Coro<T>,
    private readonly record: Unawaited,
  ) {}

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.record.loop._debugCoroutines.delete(this.record);
    unawaited?.unregister(this.record);
  }

  next(...value: [] | [unknown]): IteratorResult<unknown, T> {
    this.start();
    return this.inner.next(...value);
  }
  throw(exc: unknown): IteratorResult<unknown, T> {
    this.start();
    return this.inner.throw(exc);
  }
  return(value: T): IteratorResult<unknown, T> {
    this.start();
    return this.inner.return(value);
  }
  [Symbol.iterator](): this {
    return this;
  }
  get [Symbol.toStringTag](): string {
    return "Generator";
  }
}

/** @internal In debug mode, wrap an operation's coroutine so that dropping it is reported. */
export function trackCoroutine<T>(coro: Coro<T>, name: string): Coro<T> {
  const loop = _getRunningLoop();
  if (loop === null || !loop.getDebug() || unawaited === null) return coro;
  const stack = new Error().stack ?? "";
  const record: Unawaited = { loop, name, createdAt: stack.split("\n").slice(3, 6).join("\n") };
  const tracked = new TrackedCoroutine(coro, record);
  loop._debugCoroutines.add(record); // records, not coroutines: dropping one stays collectable
  unawaited.register(tracked, record, record);
  return tracked;
}

/** @internal At loop close: report the tracked coroutines never started (alive or not yet finalized). */
export function _reportUnawaited(loop: EventLoop): void {
  for (const record of Array.from(loop._debugCoroutines)) {
    unawaited?.unregister(record);
    report(record);
  }
}
