// The public surface, shared by every entry point (index, manual, CommonJS).

export {
  CancelledError,
  TimeoutError,
  InvalidStateError,
  RuntimeError,
  NotImplementedError,
  ValueError,
  ExceptionGroup,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  BrokenBarrierError,
} from "./errors.js";
export { getRunningLoop, getEventLoop, setEventLoop } from "./events.js";
export { EventLoop, Handle, TimerHandle } from "./loop.js";
export type { LoopOptions, ExceptionContext, ExceptionHandler, TaskFactory } from "./loop.js";
export { Future, isFuture } from "./futures.js";
export type { Awaitable } from "./futures.js";
export {
  Task,
  createTask,
  currentTask,
  allTasks,
  ensureFuture,
  eagerTaskFactory,
  sleep,
  isCoroutine,
} from "./tasks.js";
export type { Coro } from "./tasks.js";
export { wrap } from "./wrap.js";
export { gather, GatheringFuture } from "./gather.js";
export type { GatherOptions } from "./gather.js";
export { run, runSync, newEventLoop } from "./runners.js";
export type { RunOptions, Main } from "./runners.js";
export type { CoreKind } from "./core/types.js";
export { TaskGroup, taskGroup } from "./taskgroups.js";
export type { TaskGroupBody } from "./taskgroups.js";
export {
  captureCallGraph,
  formatCallGraph,
  printCallGraph,
  dumpTasks,
  futureAddToAwaitedBy,
  futureDiscardFromAwaitedBy,
} from "./graph.js";
export type { FutureCallGraph, CallGraphOptions } from "./graph.js";
export { wait, waitFor, FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED } from "./wait.js";
export type { WaitOptions, ReturnWhen } from "./wait.js";
export { Timeout, timeout, timeoutAt } from "./timeouts.js";
export type { TimeoutBody } from "./timeouts.js";
export { shield } from "./shield.js";
export { asCompleted, AsCompleted } from "./as-completed.js";
export type { AsCompletedOptions } from "./as-completed.js";
export { Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier, withLock } from "./locks.js";
export type { Lockable } from "./locks.js";
export { Queue, PriorityQueue, LifoQueue, pythonOrder } from "./queues.js";
export type { Compare, PriorityQueueOptions } from "./queues.js";
