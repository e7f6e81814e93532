// Work off the loop's thread: asyncio's run_in_executor, to_thread, shutdown_default_executor
// and a pool executor, over the host's workers (Node: worker_threads).
//
// Closures cannot cross threads, so a function is named by its module and export:
// `{ module: new URL("./work.js", import.meta.url), name: "hash" }`. Arguments and results
// cross by structured clone; an error comes back with its class name, message and stack.
//
// On the loop, an executor is a resource that is not in flight (an idle pool must not stop the
// virtual clock), and each call is a resource in flight until its `result` event arrives.

import { RuntimeError, ValueError, NotImplementedError, describe, errorFromWire } from "../errors.js";
import { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop, _getRunningLoop } from "../loop/running.js";
import { trackCoroutine } from "../loop/debug.js";
import type { Future } from "../tasks/futures.js";
import type { Coro } from "../tasks/tasks.js";
import type { HostEvent, Resource, WireError } from "../io/driver.js";

/**
 * A function a worker can run: the module that exports it (a `URL`, a URL string, an absolute
 * path or a package name) and the export's name.
 */
export interface WorkerFunction {
  module: URL | string;
  name: string;
}

/** Options of `WorkerPoolExecutor`. */
export interface WorkerPoolOptions {
  /** At most this many workers (default: the host's, asyncio's min(32, cpus + 4)). */
  maxWorkers?: number | null;
}

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
};

/** @internal A worker's error as the error the caller catches: a builtin class stays itself. */
export function errorFromWorker(wire: WireError): Error {
  const Builtin = wire.code === undefined ? BUILTIN_ERRORS[wire.name] : undefined;
  if (Builtin === undefined || Builtin === Error) return errorFromWire(wire);
  const err = new Builtin(wire.message);
  if (wire.stack !== undefined) err.stack = wire.stack;
  return err;
}

/** `fn` as the `{ module, name }` the host imports, or a TypeError/ValueError naming `where`. */
function checkFunction(fn: unknown, where: string): { module: string; name: string } {
  const hint = "pass { module, name }: e.g. { module: new URL('./work.js', import.meta.url), name: 'work' } (closures cannot cross to a worker thread)";
  if (fn === null || typeof fn !== "object") {
    throw new TypeError(`${where}: fn must be { module, name } naming an exported function, got ${describe(fn)}; ${hint}`);
  }
  const { module, name } = fn as { module?: unknown; name?: unknown };
  let spec: string;
  if (module instanceof URL) spec = module.href;
  else if (typeof module === "string" && module !== "") spec = module;
  else throw new TypeError(`${where}: fn.module must be a URL or a non-empty string, got ${describe(module)}; ${hint}`);
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`${where}: fn.name must be the export's name (a non-empty string), got ${describe(name)}`);
  }
  if (spec.startsWith("./") || spec.startsWith("../")) {
    throw new ValueError(
      `${where}: fn.module ${describe(spec)} is relative, and a worker cannot know to what: use new URL(${JSON.stringify(spec)}, import.meta.url)`,
    );
  }
  return { module: spec, name };
}

function checkWorkers(loop: EventLoop, where: string): void {
  if (!loop._host.supports("workers")) {
    throw new NotImplementedError(`${where}: worker executors are not available on ${loop._host.host}`);
  }
}

/** A call sent to the host: in flight until its result arrives. */
class PendingCall implements Resource {
  constructor(
    readonly executor: WorkerPoolExecutor,
    readonly loop: EventLoop,
    readonly id: number,
    readonly fut: Future<unknown>,
    readonly name: string,
  ) {}

  onEvent(event: HostEvent): void {
    if (event.kind !== "result") return;
    this.loop._closeResource(this.id);
    const fut = this.fut;
    if (!fut.done()) {
      if (event.ok) fut.setResult(event.value);
      else fut.setException(errorFromWorker(event.error ?? { name: "Error", message: `${this.name}() failed` }));
    }
    this.executor._callFinished(this);
  }

  /** The caller gave up on it: drop it if it has not started (a running call ends in its worker). */
  readonly onDone = (fut: Future<unknown>): void => {
    if (!fut.cancelled() || !this.loop._hasResource(this.id)) return;
    this.finish();
    if (!this.loop.isClosed()) this.loop._send({ op: "abort", id: this.id });
  };

  finish(): void {
    this.loop._closeResource(this.id);
    this.executor._callFinished(this);
  }

  closeForShutdown(): void {
    this.finish();
    if (!this.fut.done()) this.fut.cancel();
  }

  toString(): string {
    return `<executor call ${this.name}() ${this.fut}>`;
  }
}

/**
 * A pool of worker threads, as `concurrent.futures.ThreadPoolExecutor`: workers start on
 * demand, up to `maxWorkers`, and run one call at a time each; extra calls wait in order.
 * Pass it to `loop.runInExecutor`. It binds to the loop that first uses it (and to another
 * loop once that one is closed).
 *
 * @example
 * const pool = new WorkerPoolExecutor({ maxWorkers: 2 });
 * const digest = yield* loop.runInExecutor(pool, { module: new URL("./hash.js", import.meta.url), name: "sha256" }, bytes);
 * yield* pool.shutdown();
 */
export class WorkerPoolExecutor {
  /** The limit given, or `null` for the host's default. */
  readonly maxWorkers: number | null;
  private _loop: EventLoop | null = null;
  private _id = 0;
  private _shutdown = false;
  private readonly _pending = new Set<PendingCall>();
  private _drained: Future<null> | null = null;
  private readonly _resource: Resource;

  constructor(options: WorkerPoolOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`WorkerPoolExecutor(options): options must be an object, got ${describe(options)}`);
    }
    const max = options.maxWorkers ?? null;
    if (max !== null && (typeof max !== "number" || !Number.isInteger(max))) {
      throw new TypeError(`WorkerPoolExecutor(options): maxWorkers must be an integer, got ${describe(max)}`);
    }
    if (max !== null && max <= 0) throw new ValueError(`WorkerPoolExecutor(options): maxWorkers must be greater than 0, got ${max}`);
    this.maxWorkers = max;
    const self = this;
    this._resource = {
      onEvent() {},
      closeForShutdown() {
        self._release();
      },
      toString() {
        return `<WorkerPoolExecutor maxWorkers=${self.maxWorkers ?? "default"} pending=${self._pending.size}>`;
      },
    };
  }

  /** @internal Send `fn(...args)` to a worker; its Future settles with the result. */
  _submit(loop: EventLoop, fn: { module: string; name: string }, args: unknown[]): Future<unknown> {
    if (this._shutdown) throw new RuntimeError("cannot schedule new calls after shutdown");
    this._bind(loop);
    const fut = loop.createFuture();
    const id = loop._newResourceId();
    const call = new PendingCall(this, loop, id, fut, fn.name);
    loop._openResource(id, call);
    this._pending.add(call);
    loop._send({ op: "call", id, executor: this._id, module: fn.module, name: fn.name, args });
    fut.addDoneCallback(call.onDone);
    return fut;
  }

  private _bind(loop: EventLoop): void {
    if (this._loop === loop && loop._hasResource(this._id)) return;
    if (this._loop !== null && this._loop !== loop && !this._loop.isClosed() && this._loop._hasResource(this._id)) {
      throw new RuntimeError("this WorkerPoolExecutor is in use by another event loop: use one executor per loop");
    }
    this._pending.clear();
    this._loop = loop;
    this._id = loop._newResourceId();
    loop._openResource(this._id, this._resource, false);
    loop._send({ op: "createExecutor", id: this._id, maxWorkers: this.maxWorkers });
  }

  /** @internal */
  _callFinished(call: PendingCall): void {
    this._pending.delete(call);
    if (this._pending.size === 0 && this._drained !== null) this._stopHost();
  }

  /** Run's shutdown or the loop's: stop the workers now, cancel what is pending. */
  private _release(): void {
    const loop = this._loop;
    if (loop === null) return;
    for (const call of Array.from(this._pending)) call.closeForShutdown();
    this._stopHost();
  }

  private _stopHost(): void {
    const loop = this._loop!;
    if (loop._hasResource(this._id)) {
      loop._closeResource(this._id);
      if (!loop.isClosed()) loop._send({ op: "shutdownExecutor", id: this._id, wait: false });
    }
    const drained = this._drained;
    if (drained !== null && !drained.done()) drained.setResult(null);
  }

  /**
   * Stop accepting calls (then `runInExecutor` with this executor raises RuntimeError) and
   * release the workers. With `wait` (the default) the calls already submitted run to the end,
   * and the returned coroutine finishes once they have; with `wait = false` the workers are
   * stopped at once and pending calls are cancelled. (asyncio's `shutdown(wait)` blocks the
   * thread; here the effect is immediate and the waiting is the coroutine's.)
   *
   * @example
   * yield* pool.shutdown();
   */
  shutdown(wait = true): Coro<void> {
    if (typeof wait !== "boolean") throw new TypeError(`WorkerPoolExecutor.shutdown(wait): wait must be a boolean, got ${describe(wait)}`);
    this._shutdown = true;
    const loop = this._loop;
    if (loop !== null && !loop.isClosed() && loop._hasResource(this._id)) {
      if (!wait || this._pending.size === 0) this._release();
      else if (this._drained === null) {
        this._drained = loop.createFuture();
        loop._send({ op: "shutdownExecutor", id: this._id, wait: true });
      }
    }
    return this._waitDrained();
  }

  private *_waitDrained(): Coro<void> {
    const drained = this._drained;
    if (drained !== null && !drained.done()) yield* drained;
  }

  /** Whether `shutdown()` was called. */
  isShutdown(): boolean {
    return this._shutdown;
  }

  toString(): string {
    return this._resource.toString();
  }
}

// ---- the loop's default executor ----------------------------------------------------------------

interface DefaultExecutor {
  executor: WorkerPoolExecutor | null;
  shutdownCalled: boolean;
}

const defaults = new WeakMap<EventLoop, DefaultExecutor>();

function defaultOf(loop: EventLoop): DefaultExecutor {
  let d = defaults.get(loop);
  if (d === undefined) defaults.set(loop, (d = { executor: null, shutdownCalled: false }));
  return d;
}

declare module "../loop/event-loop.js" {
  interface EventLoop {
    /**
     * Run `fn(...args)` in a worker of `executor` (`null`: the loop's default pool) and return a
     * Future of its result. `fn` is `{ module, name }`, an exported function; arguments and the
     * result cross by structured clone, and an error comes back with its class name, message
     * and stack. Cancelling the future drops a call that has not started.
     *
     * @example
     * const n = yield* loop.runInExecutor(null, { module: new URL("./work.js", import.meta.url), name: "count" }, data);
     */
    runInExecutor<R = unknown>(executor: WorkerPoolExecutor | null, fn: WorkerFunction, ...args: unknown[]): Future<R>;
    /**
     * Wait for the default executor's calls to finish and stop its workers; afterwards
     * `runInExecutor(null, …)` raises RuntimeError. `run()` does this when `main` ends.
     *
     * @example
     * yield* loop.shutdownDefaultExecutor();
     */
    shutdownDefaultExecutor(): Coro<void>;
  }
}

/** @internal `loop.runInExecutor`, put on the prototype by streams/install.ts. */
export function loopRunInExecutor<R>(
  this: EventLoop,
  executor: WorkerPoolExecutor | null,
  fn: WorkerFunction,
  ...args: unknown[]
): Future<R> {
  const where = "runInExecutor(executor, fn)";
  if (this.isClosed()) throw new RuntimeError("Event loop is closed");
  if (executor !== null && executor !== undefined && !(executor instanceof WorkerPoolExecutor)) {
    throw new TypeError(`${where}: executor must be a WorkerPoolExecutor or null (the default pool), got ${describe(executor)}`);
  }
  const target = checkFunction(fn, where);
  checkWorkers(this, "runInExecutor()");
  let pool = executor ?? null;
  if (pool === null) {
    const d = defaultOf(this);
    if (d.shutdownCalled) throw new RuntimeError("Executor shutdown has been called");
    pool = d.executor ??= new WorkerPoolExecutor();
  }
  return pool._submit(this, target, args) as Future<R>;
}

/** @internal `loop.shutdownDefaultExecutor`, put on the prototype by streams/install.ts. */
export function loopShutdownDefaultExecutor(this: EventLoop): Coro<void> {
  return trackCoroutine(shutdownDefault(this), "shutdownDefaultExecutor");
}

function* shutdownDefault(loop: EventLoop): Coro<void> {
  const d = defaultOf(loop);
  d.shutdownCalled = true;
  const pool = d.executor;
  if (pool === null) return;
  yield* pool.shutdown(true);
}

/**
 * Run `fn(...args)` in the running loop's default executor and return its result (asyncio's
 * `to_thread`): `fn` is `{ module, name }`, an exported function.
 *
 * @example
 * const sum = yield* toThread({ module: new URL("./work.js", import.meta.url), name: "sum" }, [1, 2, 3]);
 */
export function toThread<R = unknown>(fn: WorkerFunction, ...args: unknown[]): Coro<R> {
  checkFunction(fn, "toThread(fn)");
  // a host without workers is refused at the call when a loop runs (else at the first step)
  const running = _getRunningLoop();
  if (running !== null) checkWorkers(running, "toThread()");
  return trackCoroutine(toThreadCoro<R>(fn, args), "toThread");
}

function* toThreadCoro<R>(fn: WorkerFunction, args: unknown[]): Coro<R> {
  const loop = getRunningLoop();
  return (yield* loop.runInExecutor<R>(null, fn, ...args)) as R;
}
