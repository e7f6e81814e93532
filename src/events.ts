// The running loop and the current loop, as asyncio's `events` module keeps them.
// One JS realm plays one Python thread: at most one loop runs in it at a time.

import { RuntimeError } from "./errors.js";
import type { EventLoop } from "./loop.js";

let runningLoop: EventLoop | null = null;
let currentLoop: EventLoop | null = null;
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
 * The running loop, else the loop set by `setEventLoop`, else a new loop that becomes the
 * current one (asyncio 3.13's policy, without its deprecation warning).
 *
 * @example
 * const loop = getEventLoop();
 */
export function getEventLoop(): EventLoop {
  if (runningLoop !== null) return runningLoop;
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
}
