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
  OSError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  ConnectionAbortedError,
  BrokenPipeError,
  FileNotFoundError,
  ProcessLookupError,
  PermissionError,
  IncompleteReadError,
  LimitOverrunError,
  KeyboardInterrupt,
  ReplayDivergence,
} from "./errors.js";
export { getRunningLoop, getEventLoop, setEventLoop } from "./loop/running.js";
export { EventLoop, Handle, TimerHandle } from "./loop/event-loop.js";
export type { LoopOptions, ExceptionContext, ExceptionHandler, TaskFactory } from "./loop/event-loop.js";
export { Future, isFuture } from "./tasks/futures.js";
export type { Awaitable } from "./tasks/futures.js";
export {
  Task,
  createTask,
  currentTask,
  allTasks,
  ensureFuture,
  eagerTaskFactory,
  sleep,
  isCoroutine,
} from "./tasks/tasks.js";
export type { Coro } from "./tasks/tasks.js";
export { wrap } from "./tasks/wrap.js";
export { gather, GatheringFuture } from "./compose/gather.js";
export type { GatherOptions } from "./compose/gather.js";
export { run, runSync, newEventLoop } from "./runners.js";
export type { RunOptions, Main } from "./runners.js";
export type { CoreKind } from "./core/types.js";
export { TaskGroup, taskGroup } from "./compose/taskgroups.js";
export type { TaskGroupBody } from "./compose/taskgroups.js";
export {
  captureCallGraph,
  formatCallGraph,
  printCallGraph,
  dumpTasks,
  futureAddToAwaitedBy,
  futureDiscardFromAwaitedBy,
} from "./introspect/graph.js";
export type { FutureCallGraph, CallGraphOptions } from "./introspect/graph.js";
export { wait, waitFor, FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED } from "./compose/wait.js";
export type { WaitOptions, ReturnWhen } from "./compose/wait.js";
export { Timeout, timeout, timeoutAt } from "./compose/timeouts.js";
export type { TimeoutBody } from "./compose/timeouts.js";
export { shield } from "./compose/shield.js";
export { asCompleted, AsCompleted } from "./compose/as-completed.js";
export type { AsCompletedOptions } from "./compose/as-completed.js";
export { Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier, withLock } from "./sync/locks.js";
export type { Lockable } from "./sync/locks.js";
export { Queue, PriorityQueue, LifoQueue, pythonOrder } from "./sync/queues.js";
export type { Compare, PriorityQueueOptions } from "./sync/queues.js";
export type { Driver, Command, HostEvent, Resource, WireError, Address, Feature, WakeReason, StdioMode, TlsOptions } from "./io/driver.js";
export { TimersDriver } from "./io/timers.js";
export { defaultDriver } from "./io/choose.js";
export { WorkerdDriver } from "./io/workerd.js";
export type { WorkerdDriverOptions, WorkerdConnect, WorkerdSocket, WorkerdSocketInfo } from "./io/workerd.js";
export { runForRequest } from "./run-for-request.js";
export type { RequestLike, RunForRequestOptions } from "./run-for-request.js";
export { DatagramProtocol, DatagramTransport } from "./streams/datagrams.js";
export type { DatagramEndpointOptions, DatagramProtocolLike } from "./streams/datagrams.js";
export { WorkerPoolExecutor, toThread } from "./streams/executor.js";
export type { WorkerFunction, WorkerPoolOptions } from "./streams/executor.js";
export { Tape } from "./loop/schedule.js";
export type { BaseTransport, ReadTransport, WriteTransport, Transport, BaseProtocol, Protocol } from "./streams/transports.js";
export { StreamTransport } from "./streams/transports.js";
export type { ConnectionOptions, UnixConnectionOptions, StartTlsOptions } from "./streams/sockets.js";
export { Server, ServerSocket } from "./streams/server.js";
export type { ServerOptions, UnixServerOptions } from "./streams/server.js";
export { SslContext, createSslContext, SSLError, SSLCertVerificationError } from "./streams/ssl.js";
export type { SslContextOptions, SslOption, VerifyMode, Pem } from "./streams/ssl.js";
export {
  StreamReader,
  StreamWriter,
  StreamReaderProtocol,
  openConnection,
  startServer,
  openUnixConnection,
  startUnixServer,
  DEFAULT_LIMIT,
} from "./streams/streams.js";
export type {
  StreamReaderOptions,
  ClientConnected,
  StreamStartTlsOptions,
  OpenConnectionOptions,
  OpenUnixConnectionOptions,
  StartServerOptions,
  StartUnixServerOptions,
} from "./streams/streams.js";
export { openWebSocket } from "./streams/websocket.js";
export type { WebSocketOptions } from "./streams/websocket.js";
export {
  createSubprocessExec,
  createSubprocessShell,
  Process,
  SubprocessTransport,
  PIPE,
  STDOUT,
  DEVNULL,
} from "./streams/subprocess.js";
export type { SubprocessOptions, SubprocessProtocol, StdioOption } from "./streams/subprocess.js";
export { explore } from "./sim/explore.js";
export type { Scenario, ExploreOptions, ExploreResult, ExploreFailure, ExploreSchedule, Divergence } from "./sim/explore.js";
export { shrink, explainSchedule, sameFailure } from "./sim/shrink.js";
export type { ShrinkOptions, ScheduleReport, Deviation, RandomDeviation } from "./sim/shrink.js";
export type { Suspension, Frame } from "./sim/batch-trace.js";
export { Recorder } from "./sim/recorder.js";
export type { RecorderOptions } from "./sim/recorder.js";
export { Trace } from "./sim/trace.js";
export type { TraceHeader, TraceScenario, TraceDivergence } from "./sim/trace.js";
