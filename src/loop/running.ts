// The running loop and the current loop, as asyncio's `events` module keeps them.
// One JS realm plays one Python thread: at most one loop runs in it at a time.

import { RuntimeError } from "../errors.js";
import type { EventLoop } from "./event-loop.js";

let runningLoop: EventLoop | null = null;
let currentLoop: EventLoop | null = null;
let setCalled = false; // asyncio's policy `_set_called`
let loopFactory: (() => EventLoop) | null = null;

/** @internal The loop module registers how to make a loop (breaks an import cycle). */
export function _setLoopFactory(factory: () => EventLoop): void {
  loopFactory = factory;
}

/** @internal */
export function _getRunningLoop(): EventLoop | null {
  return runningLoop;
}

/** @internal */
export function _setRunningLoop(loop: EventLoop | null): void {
  runningLoop = loop;
}

/**
 * The loop running in this realm; throws `RuntimeError` when none is.
 *
 * @example
 * function* main() { const loop = getRunningLoop(); loop.callSoon(() => console.log("hi")); }
 */
export function getRunningLoop(): EventLoop {
  if (runningLoop === null) throw new RuntimeError("no running event loop");
  return runningLoop;
}

/**
 * The running loop, else the loop set by `setEventLoop`. As in asyncio 3.12–3.13: if
 * `setEventLoop` was never called, a new loop is made and becomes the current one; once it was
 * called (`run()` calls it too, and clears it when done), no current loop is a `RuntimeError`.
 *
 * @example
 * const loop = getEventLoop();
 */
export function getEventLoop(): EventLoop {
  if (runningLoop !== null) return runningLoop;
  if (currentLoop === null && setCalled) {
    throw new RuntimeError("There is no current event loop: setEventLoop(null) was called (run() does this when it ends)");
  }
  if (currentLoop === null || currentLoop.isClosed()) {
    if (loopFactory === null) throw new RuntimeError("wasyncio's loop module is not loaded");
    currentLoop = loopFactory();
  }
  return currentLoop;
}

/**
 * Make `loop` the current loop (what `getEventLoop()` returns when none is running); `null`
 * clears it.
 *
 * @example
 * const loop = newEventLoop(); setEventLoop(loop);
 */
export function setEventLoop(loop: EventLoop | null | undefined): void {
  if (loop != null && (typeof loop !== "object" || typeof (loop as EventLoop).callSoon !== "function")) {
    throw new TypeError(`setEventLoop(loop): loop must be an EventLoop or null, got ${typeof loop}`);
  }
  currentLoop = loop ?? null;
  setCalled = true;
}
