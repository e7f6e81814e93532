// The executor pools every host shares (the `createExecutor`, `call`, `shutdownExecutor` commands
// and `abort` of a queued call): up to `max` workers per pool, made on demand, one call at a time
// per worker, and a FIFO of calls waiting for one — asyncio's ThreadPoolExecutor. A host
// (node-proc.ts: worker_threads; web.ts: browser Web Workers; deno-proc.ts: Deno's) supplies how
// a worker starts, how a call is posted, how a worker stops, and what a failure looks like; the
// workers all run io/worker-source.ts.

import type { Command, HostEvent, WireError } from "./driver.js";

/** One call: the export `name` of `module`, with `args`. */
export interface PoolCall {
  id: number;
  module: string;
  name: string;
  args: unknown[];
}

/** A worker of a pool, and the call it runs (`null`: idle). */
export interface PoolWorker {
  current: PoolCall | null;
}

/** One executor: up to `max` workers, made on demand, and a FIFO of calls waiting for one. */
export interface Pool<W extends PoolWorker> {
  id: number;
  max: number;
  workers: Set<W>;
  idle: W[];
  queue: PoolCall[];
  /** shutdown(wait=true) was asked: stop each worker once the queue is empty. */
  closing: boolean;
}

/** What a worker posts back for a call. */
export interface CallAnswer {
  id?: number;
  ok?: boolean;
  value?: unknown;
  error?: WireError;
}

export abstract class WorkerPools<W extends PoolWorker> {
  protected readonly pools = new Map<number, Pool<W>>();
  /** Calls sent and not yet answered, by call id (so an `abort` can drop a queued one). */
  protected readonly calls = new Map<number, Pool<W>>();

  /** Queue an event now (from a host callback). */
  protected abstract emit(event: HostEvent): void;
  /** Queue an event from inside `send` (it must not wake the loop from there). */
  protected abstract emitLater(event: HostEvent): void;
  /** The pool size when the executor names none (asyncio's: min(32, cpus + 4)). */
  protected abstract defaultMax(): number;
  /** The specifier a worker imports for `module`. */
  protected abstract moduleUrl(module: string): string;
  /** A new worker for `pool`, added to `pool.workers`; `null` when none can start. */
  protected abstract startWorker(pool: Pool<W>): W | null;
  /** Post `call` to the worker; throws when its arguments cannot be cloned. */
  protected abstract post(worker: W, call: PoolCall): void;
  /** Stop a worker we no longer want (its exit is no failure). */
  protected abstract stopWorker(pool: Pool<W>, worker: W): void;
  /** A thrown value as data. */
  protected abstract wire(err: unknown): WireError;

  /** A worker got a call, or went idle (Node keeps the process up only while a call runs). */
  protected busy(_worker: W): void {}
  protected parked(_worker: W): void {}
  /** A call is answered or dropped. */
  protected forgetCall(id: number): void {
    this.calls.delete(id);
  }

  /** Whether `command` is an executor command (an `abort` only for a call of ours). */
  handlesCall(command: Command): boolean {
    if (command.op === "createExecutor" || command.op === "call" || command.op === "shutdownExecutor") return true;
    return command.op === "abort" && this.calls.has(command.id);
  }

  /** Carry out an executor command (one `handlesCall` accepted). */
  sendCall(command: Command): void {
    switch (command.op) {
      case "createExecutor":
        return this.createExecutor(command.id, command.maxWorkers);
      case "call":
        return this.call(command);
      case "shutdownExecutor":
        return this.shutdownExecutor(command.id, command.wait);
      case "abort":
        return this.dropCall(command.id);
    }
  }

  /** The loop closed: stop every worker; no event follows. */
  stopAll(): void {
    for (const pool of this.pools.values()) this.terminatePool(pool);
    this.pools.clear();
    this.calls.clear();
  }

  private createExecutor(id: number, maxWorkers: number | null): void {
    this.pools.set(id, { id, max: maxWorkers ?? this.defaultMax(), workers: new Set(), idle: [], queue: [], closing: false });
  }

  private call(command: Extract<Command, { op: "call" }>): void {
    const pool = this.pools.get(command.executor);
    const call: PoolCall = { id: command.id, module: this.moduleUrl(command.module), name: command.name, args: command.args };
    if (pool === undefined || pool.closing) {
      this.emitLater({ kind: "result", id: call.id, ok: false, value: undefined, error: { name: "RuntimeError", message: "cannot schedule new calls after the executor was shut down" } });
      return;
    }
    this.calls.set(call.id, pool);
    const idle = pool.idle.pop();
    if (idle !== undefined) return this.dispatch(pool, idle, call);
    if (pool.workers.size >= pool.max) {
      pool.queue.push(call);
      return;
    }
    const worker = this.startWorker(pool);
    if (worker !== null) this.dispatch(pool, worker, call);
    else this.calls.delete(call.id); // startWorker failed the pool's calls, this one included
  }

  private dispatch(pool: Pool<W>, worker: W, call: PoolCall): void {
    worker.current = call;
    this.busy(worker);
    try {
      this.post(worker, call);
    } catch (err) {
      // an argument that cannot be cloned: this call fails, the worker stays free
      worker.current = null;
      this.forgetCall(call.id);
      const wire = this.wire(err);
      wire.message = `the arguments of ${call.name}() could not be sent to a worker: ${wire.message}`;
      this.emitLater({ kind: "result", id: call.id, ok: false, value: undefined, error: wire });
      this.next(pool, worker);
    }
  }

  /** A worker answered its call (from the host's message callback). */
  protected answered(pool: Pool<W>, worker: W, answer: CallAnswer): void {
    const call = worker.current;
    if (call === null || call.id !== answer.id) return;
    worker.current = null;
    this.forgetCall(call.id);
    this.emit({ kind: "result", id: call.id, ok: answer.ok === true, value: answer.value, error: answer.error });
    this.next(pool, worker);
  }

  /**
   * A worker is gone by itself (it crashed or exited): its call fails with `error(call)`, and the
   * calls still queued get a fresh worker.
   */
  protected lost(pool: Pool<W>, worker: W, error: (call: PoolCall) => WireError): void {
    pool.workers.delete(worker);
    const at = pool.idle.indexOf(worker);
    if (at >= 0) pool.idle.splice(at, 1);
    const call = worker.current;
    worker.current = null;
    if (call !== null) {
      this.forgetCall(call.id);
      this.emit({ kind: "result", id: call.id, ok: false, value: undefined, error: error(call) });
    }
    if (this.pools.get(pool.id) === pool && pool.queue.length > 0 && pool.workers.size < pool.max) {
      const fresh = this.startWorker(pool);
      if (fresh !== null) this.dispatch(pool, fresh, pool.queue.shift()!);
    }
  }

  /** No worker can start: every queued call of the pool fails with `wire`. */
  protected failQueued(pool: Pool<W>, wire: WireError): void {
    for (const call of pool.queue.splice(0)) {
      this.forgetCall(call.id);
      this.emitLater({ kind: "result", id: call.id, ok: false, value: undefined, error: wire });
    }
  }

  /** A worker is free: give it the next queued call, or park it. */
  private next(pool: Pool<W>, worker: W): void {
    const call = pool.queue.shift();
    if (call !== undefined) return this.dispatch(pool, worker, call);
    if (pool.closing) {
      this.stopWorker(pool, worker);
      if (pool.workers.size === 0) this.pools.delete(pool.id);
      return;
    }
    this.parked(worker);
    pool.idle.push(worker);
  }

  private dropCall(id: number): void {
    const pool = this.calls.get(id)!;
    this.forgetCall(id);
    const at = pool.queue.findIndex((c) => c.id === id);
    if (at >= 0) pool.queue.splice(at, 1);
    // a call already running finishes in its worker; its result is dropped by the loop
  }

  private shutdownExecutor(id: number, wait: boolean): void {
    const pool = this.pools.get(id);
    if (pool === undefined) return;
    if (!wait) {
      this.terminatePool(pool);
      this.pools.delete(id);
      return;
    }
    pool.closing = true;
    for (const worker of pool.idle.splice(0)) this.stopWorker(pool, worker);
    if (pool.workers.size === 0) this.pools.delete(id);
  }

  /** Stop every worker now; calls queued or running are dropped without events. */
  private terminatePool(pool: Pool<W>): void {
    for (const call of pool.queue) this.forgetCall(call.id);
    pool.queue.length = 0;
    pool.idle.length = 0;
    for (const worker of Array.from(pool.workers)) {
      if (worker.current !== null) this.forgetCall(worker.current.id);
      this.stopWorker(pool, worker);
    }
  }
}
