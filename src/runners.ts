// asyncio.run and its synchronous twin. `run` makes a loop, runs `main` to completion, cancels
// what is left, and closes the loop. `runSync` does the same without ever waiting on the host,
// on the virtual clock: a program whose main task waits on nothing that can wake it is a
// deadlock, reported with what it waits on.

import { RuntimeError, ValueError, describe } from "./errors.js";
import { _getRunningLoop, setEventLoop } from "./loop/running.js";
import { Future } from "./tasks/futures.js";
import { EventLoop, type LoopOptions } from "./loop/event-loop.js";
import { gather } from "./compose/gather.js";
import { Task, allTasks, isCoroutine, type Coro } from "./tasks/tasks.js";
import { catchSigint } from "./streams/signals.js";

/** Options of `run` and `runSync`. */
export type RunOptions = LoopOptions;

/** A coroutine, or a function that makes one (a `function*`). */
export type Main<T> = Coro<T> | (() => Coro<T>);

/**
 * A new event loop.
 *
 * @example
 * const loop = newEventLoop({ clock: "virtual", core: "js" });
 */
export function newEventLoop(options: LoopOptions = {}): EventLoop {
  return new EventLoop(options);
}

function mainCoroutine<T>(main: Main<T>, fn: string): Coro<T> {
  const coro = typeof main === "function" ? main() : main;
  if (!isCoroutine(coro)) {
    const hint = (coro as unknown) instanceof Promise ? " (a Promise: pass a function* or use wrap())" : "";
    throw new ValueError(`${fn}(main): a coroutine was expected, got ${describe(coro)}${hint}`);
  }
  return coro;
}

function checkNotNested(fn: string): void {
  if (_getRunningLoop() !== null) {
    throw new RuntimeError(`${fn}() cannot be called from a running event loop`);
  }
}

/** "main task 'Task-1' waits on <Task pending name='x'>, which waits on <Future pending>" */
function describeWait(task: Task<unknown>): string {
  const chain = task.getStack().map((fut) => `waits on ${fut}`);
  return [`main task '${task.getName()}'`, ...(chain.length > 0 ? chain : ["is not done"])].join(", which ");
}

function prepare<T>(main: Main<T>, options: RunOptions, fn: string, defaultClock: "real" | "virtual") {
  checkNotNested(fn);
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${fn}(main, options): options must be an object, got ${describe(options)}`);
  }
  const loop = new EventLoop({ clock: defaultClock, ...options });
  let task: Task<T>;
  try {
    const coro = mainCoroutine(main, fn);
    task = loop.createTask(coro);
  } catch (exc) {
    loop.close();
    throw exc;
  }
  loop._deadlockHint = () => describeWait(task as Task<unknown>);
  setEventLoop(loop);
  return { loop, task };
}

/** asyncio's `_cancel_all_tasks`: cancel what is left and gather it, errors included. */
function leftovers(loop: EventLoop): { tasks: Task<unknown>[]; all: Future<unknown> } | null {
  const tasks = Array.from(allTasks(loop));
  if (tasks.length === 0) return null;
  for (const t of tasks) t.cancel();
  return { tasks, all: gather(...tasks, { returnExceptions: true }) };
}

function reportLeftovers(loop: EventLoop, tasks: Task<unknown>[]): void {
  for (const t of tasks) {
    if (!t.done() || t.cancelled()) continue;
    const exc = t.exception();
    if (exc !== null) {
      loop.callExceptionHandler({ message: "unhandled exception during run() shutdown", exception: exc, task: t });
    }
  }
}

/**
 * Close what main left open (servers, transports, processes, executors, signal handlers): run()
 * owns the loop, so nothing may outlive it. Debug mode names each one, as asyncio's
 * ResourceWarning would.
 */
function closeResources(loop: EventLoop): void {
  for (const resource of loop._openResources()) {
    if (loop.getDebug()) console.warn(`wasyncio: ${resource} was still open when main ended; run() closed it`);
    try {
      resource.closeForShutdown();
    } catch (exc) {
      loop.callExceptionHandler({ message: `error while closing ${resource} at the end of run()`, exception: exc });
    }
  }
}

function finish(loop: EventLoop): void {
  loop._deadlockHint = null;
  closeResources(loop);
  loop.close();
  setEventLoop(null);
}

/**
 * Run `main` on a new loop until it completes, cancel the tasks left, close the loop, and
 * resolve with main's result. Throws `RuntimeError` at once if a loop is already running.
 *
 * @example
 * const value = await run(function* main() { yield* sleep(1); return 42; });
 */
export function run<T>(main: Main<T>, options: RunOptions = {}): Promise<T> {
  const { loop, task } = prepare(main, options, "run", "real");
  const sigintDone = catchSigint(loop, task as Task<unknown>); // Ctrl+C cancels main, as asyncio.Runner
  const cleanup = async (failed: boolean) => {
    try {
      const left = leftovers(loop);
      if (left !== null) {
        await loop.runUntilComplete(left.all);
        reportLeftovers(loop, left.tasks);
      }
    } catch (exc) {
      // main's own error wins; a failure while cancelling the rest is reported, not lost
      if (!failed) throw exc;
      loop.callExceptionHandler({ message: "error while cancelling the remaining tasks in run()", exception: exc });
    } finally {
      finish(loop);
    }
  };
  return loop.runUntilComplete(task).then(
    async (value) => {
      sigintDone();
      await cleanup(false);
      return value;
    },
    async (exc) => {
      const err = sigintDone(exc); // KeyboardInterrupt if SIGINT cancelled main
      await cleanup(true);
      throw err;
    },
  );
}

/**
 * `run`, synchronously: the virtual clock (the default here) jumps over every wait, and a wait
 * on the host (a wrapped promise, I/O) or a deadlock throws `RuntimeError` naming what the main
 * task waits on. `clock: 'real'` is refused.
 *
 * @example
 * const value = runSync(function* () { yield* sleep(3600); return "an hour later, instantly"; });
 */
export function runSync<T>(main: Main<T>, options: RunOptions = {}): T {
  if (options !== null && typeof options === "object" && options.clock === "real") {
    checkNotNested("runSync");
    throw new RuntimeError("runSync() needs the virtual clock: with clock: 'real' it would have to block the host thread; use run()");
  }
  const { loop, task } = prepare(main, options, "runSync", "virtual");
  loop._inSyncRun = true; // start to close in this one host job (futures.ts holds failures strongly)
  let failed = false;
  try {
    return loop._runUntilCompleteSync(task);
  } catch (exc) {
    failed = true;
    throw exc;
  } finally {
    try {
      const left = leftovers(loop);
      if (left !== null) {
        loop._runUntilCompleteSync(left.all);
        reportLeftovers(loop, left.tasks);
      }
    } catch (exc) {
      // main's own error wins; a failure while cancelling the rest is reported, not lost
      if (!failed) throw exc;
      loop.callExceptionHandler({ message: "error while cancelling the remaining tasks in runSync()", exception: exc });
    } finally {
      finish(loop);
    }
  }
}
