// Web-platform host parts any driver can use: WebSocket streams (the global `WebSocket` of
// browsers, Deno, Bun and Node ≥ 22) and a pool of module Web Workers (browsers, Deno) for
// executors. The browser driver (io/browser.ts) is made of these; other drivers may delegate to
// them the same way (offer a command to `handles`, then `send`).
// Host callbacks become events through `host.emit`; nothing here calls into the loop, and nothing
// emits from inside `send` (an outcome known at once is emitted from a microtask).
//
// A WebSocket as a stream resource, with the events a TCP socket has (io/node-net.ts):
// - `connectWebSocket` → `connected` (remote: the URL) once open; a socket that fails before it
//   opens is one `error` event (ECONNREFUSED: browsers do not say why — refused, unreachable,
//   TLS or a rejected handshake), then `closed`.
// - Each binary message's bytes are one `data` event (a text message's UTF-8 bytes too). Like
//   every socket of the Node driver it starts paused: nothing is delivered before the loop sends
//   `resumeReading`; while paused, arrivals (and a close) are held in order (a WebSocket has no
//   receive-side flow control, so they are held in memory).
// - `write` sends one binary message. `flushed` follows as the host's `bufferedAmount` drops:
//   it is polled (a macrotask, then timers backing off to 16 ms) only while sent bytes are
//   outstanding — WebSocket has no event for it.
// - The peer's clean close is `eof` then `closed` (no error); an unclean one (the TCP connection
//   dropped, code 1006) is `closed` with ECONNRESET. `close` sends the closing handshake after
//   what was sent (the host keeps that order); `abort` closes at once and `closed` follows
//   without waiting for the peer.

import { workerSource } from "./worker-source.js";
import { NotImplementedError } from "../errors.js";
import { macrotask } from "./timers.js";
import type { Command, Feature, HostEvent, WireError } from "./driver.js";

/** What a web host part needs from its driver: the way events enter, and the host's name. */
export interface WebHost {
  emit(event: HostEvent): void;
  readonly host: string;
}

/** An error as data; an error's class name is kept (`e.name`, else its constructor's). */
export function toWire(err: unknown): WireError {
  if (err !== null && typeof err === "object") {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown; constructor?: { name?: unknown } };
    let name = typeof e.name === "string" ? e.name : "Error";
    const ctor = typeof e.constructor?.name === "string" ? e.constructor.name : "";
    if (name === "Error" && ctor !== "" && ctor !== "Object") name = ctor;
    const wire: WireError = { name, message: typeof e.message === "string" ? e.message : String(err) };
    if (typeof e.code === "string") wire.code = e.code;
    if (typeof e.stack === "string") wire.stack = e.stack;
    return wire;
  }
  return { name: "Error", message: `non-error thrown: ${String(err)}` };
}

/** Events known during `send` go out from a microtask: `send` must not wake the loop. */
class Later {
  private readonly queue: HostEvent[] = [];
  private queued = false;
  constructor(private readonly host: WebHost) {}

  emit(event: HostEvent): void {
    this.queue.push(event);
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.queued = false;
    const events = this.queue.splice(0);
    for (const e of events) this.host.emit(e);
  };
}

// ---- WebSocket streams --------------------------------------------------------------------------

type Timeout = (cb: () => void, ms: number) => unknown;

interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly url: string;
  readonly protocol: string;
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocketLike;

const OPEN = 1;
/** Longest pause (ms) between two reads of `bufferedAmount` while sent bytes are outstanding. */
const MAX_FLUSH_POLL_MS = 16;

/** The host's WebSocket class, or null. */
export function webSocketClass(): WebSocketCtor | null {
  const ws = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof ws === "function" ? (ws as WebSocketCtor) : null;
}

const encoder = /* @__PURE__ */ new TextEncoder();

/** One WebSocket, as a stream resource. */
class WsConn {
  opened = false;
  /** `close` or `abort` was sent: the loop is done with it. */
  closing = false;
  /** The loop wants no data yet (every socket starts paused). */
  paused = true;
  /** Events held while paused, in arrival order (data, eof, closed). */
  held: HostEvent[] = [];
  /** Bytes handed to `send` and not yet reported as flushed. */
  outstanding = 0;
  private polling = false;
  private pollMs = 0;

  constructor(
    private readonly part: WebSockets,
    readonly id: number,
    readonly ws: WebSocketLike,
  ) {
    ws.binaryType = "arraybuffer";
    ws.onopen = this.onOpen;
    ws.onmessage = this.onMessage;
    ws.onclose = this.onClose;
    ws.onerror = null; // an error is always followed by a close, which says more
  }

  private readonly onOpen = (): void => {
    this.opened = true;
    this.part.emit({ kind: "connected", id: this.id, local: null, remote: this.ws.url });
  };

  private readonly onMessage = (ev: { data: unknown }): void => {
    const d = ev.data;
    const bytes = d instanceof ArrayBuffer ? new Uint8Array(d) : typeof d === "string" ? encoder.encode(d) : null;
    if (bytes === null || bytes.length === 0) return;
    this.deliver({ kind: "data", id: this.id, bytes });
  };

  private readonly onClose = (ev: { code: number; reason: string; wasClean: boolean }): void => {
    this.detachHandlers();
    const why = `code ${ev.code}${ev.reason ? `, reason ${JSON.stringify(ev.reason)}` : ""}`;
    if (this.closing) {
      this.out({ kind: "closed", id: this.id, error: null }); // the close the loop asked for is done
    } else if (!this.opened) {
      this.part.emit({
        kind: "error",
        id: this.id,
        error: {
          name: "ConnectionRefusedError",
          code: "ECONNREFUSED",
          message: `the WebSocket connection to ${this.ws.url} failed before it opened (${why}; ${this.part.host} does not say why: refused, unreachable, TLS or a rejected handshake)`,
        },
      });
      this.out({ kind: "closed", id: this.id, error: null });
    } else if (ev.wasClean) {
      this.deliver({ kind: "eof", id: this.id });
      this.deliver({ kind: "closed", id: this.id, error: null });
    } else {
      this.deliver({
        kind: "closed",
        id: this.id,
        error: { name: "ConnectionResetError", code: "ECONNRESET", message: `the WebSocket connection to ${this.ws.url} was lost (${why})` },
      });
    }
  };

  /** Emit now (from a host callback); `closed` is the last event of the id. */
  private out(event: HostEvent): void {
    this.part.emit(event);
    if (event.kind === "closed") this.part.forget(this.id);
  }

  /** Data, eof and closed wait while the loop has reading paused (in order). */
  private deliver(event: HostEvent): void {
    if (this.paused || this.held.length > 0) this.held.push(event);
    else this.out(event);
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    if (held.length === 0) return;
    this.held = [];
    for (const e of held) this.out(e);
  }

  write(bytes: Uint8Array): void {
    if (this.ws.readyState !== OPEN || this.closing) return; // `closed` is on its way
    this.ws.send(bytes);
    this.outstanding += bytes.length;
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.polling) return;
    this.polling = true;
    this.pollMs = 0;
    macrotask(this.poll);
  }

  private readonly poll = (): void => {
    this.polling = false;
    if (this.outstanding === 0 || this.part.isGone(this.id)) return;
    const left = Math.min(this.outstanding, this.ws.bufferedAmount);
    const n = this.outstanding - left;
    if (n > 0) {
      this.outstanding = left;
      this.part.emit({ kind: "flushed", id: this.id, n });
      this.pollMs = 0;
    }
    if (this.outstanding === 0) return;
    this.polling = true;
    if (this.pollMs === 0) {
      this.pollMs = 1;
      macrotask(this.poll);
    } else {
      this.part.setTimeout(this.poll, this.pollMs);
      this.pollMs = Math.min(MAX_FLUSH_POLL_MS, this.pollMs * 2);
    }
  };

  close(): void {
    if (this.closing) return;
    this.closing = true;
    const closed = this.held.find((e) => e.kind === "closed");
    this.held = []; // the loop stopped reading
    if (closed !== undefined) {
      // the peer already closed (held while paused): that was the end
      this.part.forget(this.id);
      this.part.later.emit(closed);
      return;
    }
    try {
      this.ws.close(1000);
    } catch {
      // closing already: onclose follows
    }
  }

  abort(): void {
    this.closing = true;
    this.held = [];
    this.detachHandlers();
    this.part.forget(this.id);
    try {
      this.ws.close(1000);
    } catch {
      // closing already
    }
    this.part.later.emit({ kind: "closed", id: this.id, error: null });
  }

  detachHandlers(): void {
    const ws = this.ws;
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    ws.onerror = null;
  }
}

const WS_ID_OPS = new Set<Command["op"]>(["write", "writeEof", "pauseReading", "resumeReading", "close", "abort"]);

/**
 * WebSocket streams for a driver: takes `connectWebSocket` and the stream ops of the ids it
 * opened (and, for a while, of ids it closed, so a command racing `closed` is ignored).
 */
export class WebSockets {
  private readonly conns = new Map<number, WsConn>();
  /** Ids that closed: their commands are ignored, never an error. */
  private readonly gone = new Set<number>();
  /** @internal */ readonly later: Later;
  /** @internal The host's setTimeout, read once. */
  readonly setTimeout: Timeout;

  constructor(private readonly hostPart: WebHost) {
    this.later = new Later(hostPart);
    const st = (globalThis as { setTimeout: Timeout }).setTimeout;
    this.setTimeout = (cb, ms) => st(cb, ms);
  }

  get host(): string {
    return this.hostPart.host;
  }

  /** @internal */
  emit(event: HostEvent): void {
    this.hostPart.emit(event);
  }

  /** @internal */
  forget(id: number): void {
    if (this.conns.delete(id)) this.gone.add(id);
  }

  /** @internal */
  isGone(id: number): boolean {
    return !this.conns.has(id);
  }

  supports(feature: Feature): boolean {
    return feature === "websocket" && webSocketClass() !== null;
  }

  handles(command: Command): boolean {
    if (command.op === "connectWebSocket") return true;
    if (!WS_ID_OPS.has(command.op)) return false;
    const id = (command as { id: number }).id;
    return this.conns.has(id) || this.gone.has(id);
  }

  send(command: Command): void {
    switch (command.op) {
      case "connectWebSocket":
        return this.connect(command.id, command.url, command.protocols);
      case "write":
        this.conns.get(command.id)?.write(command.bytes);
        return;
      case "pauseReading": {
        const conn = this.conns.get(command.id);
        if (conn !== undefined) conn.paused = true;
        return;
      }
      case "resumeReading":
        this.conns.get(command.id)?.resume();
        return;
      case "close":
        this.conns.get(command.id)?.close();
        return;
      case "abort":
        this.conns.get(command.id)?.abort();
        return;
      case "writeEof":
        if (!this.conns.has(command.id)) return;
        throw new NotImplementedError("a WebSocket cannot write EOF (it has no half-close): close it instead");
      default:
        throw new NotImplementedError(`'${command.op}' is not a WebSocket operation`);
    }
  }

  private connect(id: number, url: string, protocols: string[]): void {
    const Ctor = webSocketClass();
    if (Ctor === null) throw new NotImplementedError(`WebSocket connections are not available on ${this.host}`);
    let ws: WebSocketLike;
    try {
      ws = protocols.length > 0 ? new Ctor(url, protocols) : new Ctor(url);
    } catch (err) {
      // a URL or subprotocol the host refuses (SyntaxError): one `error` event, then `closed`
      const wire = toWire(err);
      this.later.emit({ kind: "error", id, error: { ...wire, message: `cannot open a WebSocket to ${url}: ${wire.message}` } });
      this.later.emit({ kind: "closed", id, error: null });
      return;
    }
    this.conns.set(id, new WsConn(this, id, ws));
  }

  hostObject(id: number): unknown {
    return this.conns.get(id)?.ws ?? null;
  }

  /** The loop closed: close every socket quietly. */
  detach(): void {
    for (const conn of this.conns.values()) {
      conn.detachHandlers();
      try {
        conn.ws.close(1000);
      } catch {
        // closing already
      }
    }
    this.conns.clear();
    this.gone.clear();
  }
}

// ---- Web Workers for executors ------------------------------------------------------------------

// io/worker-source.ts, as a module worker made from a Blob URL. Its first message says the worker
// started (an error event before it is a worker that could not start).
const WORKER_SOURCE = workerSource("web", { epilogue: `\nself.postMessage({ started: true });` });

interface WorkerLike {
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: { message?: string; filename?: string; error?: unknown; preventDefault(): void }) => void) | null;
  onmessageerror: ((ev: unknown) => void) | null;
  postMessage(message: unknown): void;
  terminate(): void;
}

type WorkerCtor = new (url: string, options: { type: "module"; name?: string }) => WorkerLike;

/** The host's Worker class, or null. */
export function workerClass(): WorkerCtor | null {
  const w = (globalThis as { Worker?: unknown }).Worker;
  return typeof w === "function" ? (w as WorkerCtor) : null;
}

interface Call {
  id: number;
  module: string;
  name: string;
  args: unknown[];
}

interface PoolWorker {
  worker: WorkerLike;
  current: Call | null;
  started: boolean;
}

interface Pool {
  id: number;
  max: number;
  workers: Set<PoolWorker>;
  idle: PoolWorker[];
  queue: Call[];
  /** shutdown(wait=true): stop each worker once nothing is left for it. */
  closing: boolean;
}

const WORKER_OPS = new Set<Command["op"]>(["createExecutor", "call", "shutdownExecutor"]);

/** An executor's worker pool over module Web Workers (`createExecutor`, `call`, `shutdownExecutor`). */
export class WebWorkers {
  private readonly pools = new Map<number, Pool>();
  /** Calls sent and not yet answered, by call id (so an `abort` can drop a queued one). */
  private readonly calls = new Map<number, Pool>();
  private readonly later: Later;
  private url: string | null = null;

  constructor(private readonly host: WebHost) {
    this.later = new Later(host);
  }

  supports(feature: Feature): boolean {
    return feature === "workers" && workerClass() !== null && typeof Blob === "function" && typeof URL.createObjectURL === "function";
  }

  handles(command: Command): boolean {
    if (WORKER_OPS.has(command.op)) return true;
    return command.op === "abort" && this.calls.has(command.id);
  }

  send(command: Command): void {
    switch (command.op) {
      case "createExecutor":
        return this.createExecutor(command.id, command.maxWorkers);
      case "call":
        return this.call(command);
      case "shutdownExecutor":
        return this.shutdownExecutor(command.id, command.wait);
      case "abort":
        return this.dropCall(command.id);
      default:
        throw new NotImplementedError(`'${command.op}' is not an executor operation`);
    }
  }

  /** The loop closed: stop every worker. */
  detach(): void {
    for (const pool of this.pools.values()) this.terminatePool(pool);
    this.pools.clear();
    this.calls.clear();
    if (this.url !== null) {
      URL.revokeObjectURL(this.url);
      this.url = null;
    }
  }

  private createExecutor(id: number, maxWorkers: number | null): void {
    let max = maxWorkers;
    if (max === null) {
      const cpus = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
      max = Math.min(32, (typeof cpus === "number" && cpus > 0 ? cpus : 1) + 4); // asyncio's ThreadPoolExecutor default
    }
    this.pools.set(id, { id, max, workers: new Set(), idle: [], queue: [], closing: false });
  }

  private call(command: Extract<Command, { op: "call" }>): void {
    const pool = this.pools.get(command.executor);
    const call: Call = { id: command.id, module: moduleUrl(command.module), name: command.name, args: command.args };
    if (pool === undefined || pool.closing) {
      this.later.emit({ kind: "result", id: call.id, ok: false, value: undefined, error: { name: "RuntimeError", message: "cannot schedule new calls after the executor was shut down" } });
      return;
    }
    this.calls.set(call.id, pool);
    const idle = pool.idle.pop();
    if (idle !== undefined) this.dispatch(pool, idle, call);
    else if (pool.workers.size < pool.max) {
      const entry = this.startWorker(pool);
      if (entry !== null) this.dispatch(pool, entry, call);
      else this.calls.delete(call.id);
    } else pool.queue.push(call);
  }

  private workerUrl(): string {
    return (this.url ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" })));
  }

  private startWorker(pool: Pool): PoolWorker | null {
    const Ctor = workerClass()!;
    let worker: WorkerLike;
    try {
      worker = new Ctor(this.workerUrl(), { type: "module", name: `wasyncio executor ${pool.id}` });
    } catch (err) {
      // a page whose CSP forbids blob: workers, say: the call fails, the pool stays usable
      const wire = toWire(err);
      wire.message = `cannot start a Web Worker on ${this.host.host}: ${wire.message}`;
      this.failQueued(pool, wire);
      return null;
    }
    const entry: PoolWorker = { worker, current: null, started: false };
    worker.onmessage = (ev) => {
      const msg = ev.data as { started?: boolean; id?: number; ok?: boolean; value?: unknown; error?: WireError };
      if (msg.started === true) {
        entry.started = true;
        return;
      }
      const call = entry.current;
      if (call === null || call.id !== msg.id) return;
      entry.current = null;
      this.calls.delete(call.id);
      this.host.emit({ kind: "result", id: call.id, ok: msg.ok === true, value: msg.value, error: msg.error });
      this.next(pool, entry);
    };
    worker.onerror = (ev) => {
      if (entry.started) return; // an error outside any call (a stray timer's): the worker goes on
      ev.preventDefault();
      // the worker could not start: its call fails, and it is dropped
      const why = ev.message ?? "the worker script failed to load";
      this.removeWorker(pool, entry);
      worker.terminate();
      const call = entry.current;
      entry.current = null;
      const wire: WireError = { name: "Error", message: `a Web Worker could not start on ${this.host.host}: ${why}` };
      if (call !== null) {
        this.calls.delete(call.id);
        this.host.emit({ kind: "result", id: call.id, ok: false, value: undefined, error: wire });
      }
      this.failQueued(pool, wire);
    };
    worker.onmessageerror = () => {
      // a result the page cannot deserialize
      const call = entry.current;
      if (call === null) return;
      entry.current = null;
      this.calls.delete(call.id);
      this.host.emit({ kind: "result", id: call.id, ok: false, value: undefined, error: { name: "DataCloneError", message: `the result of ${call.name}() could not be received from its worker` } });
      this.next(pool, entry);
    };
    pool.workers.add(entry);
    return entry;
  }

  /** No worker can start: every queued call of the pool fails with `wire`. */
  private failQueued(pool: Pool, wire: WireError): void {
    for (const call of pool.queue.splice(0)) {
      this.calls.delete(call.id);
      this.later.emit({ kind: "result", id: call.id, ok: false, value: undefined, error: wire });
    }
  }

  private removeWorker(pool: Pool, entry: PoolWorker): void {
    pool.workers.delete(entry);
    const at = pool.idle.indexOf(entry);
    if (at >= 0) pool.idle.splice(at, 1);
  }

  private dispatch(pool: Pool, entry: PoolWorker, call: Call): void {
    entry.current = call;
    try {
      entry.worker.postMessage({ id: call.id, module: call.module, name: call.name, args: call.args });
    } catch (err) {
      // an argument that cannot be cloned: this call fails, the worker stays free
      entry.current = null;
      this.calls.delete(call.id);
      const wire = toWire(err);
      wire.message = `the arguments of ${call.name}() could not be sent to a worker: ${wire.message}`;
      this.later.emit({ kind: "result", id: call.id, ok: false, value: undefined, error: wire });
      this.next(pool, entry);
    }
  }

  /** A worker is free: give it the next queued call, or park it. */
  private next(pool: Pool, entry: PoolWorker): void {
    const call = pool.queue.shift();
    if (call !== undefined) return this.dispatch(pool, entry, call);
    if (pool.closing) {
      this.removeWorker(pool, entry);
      entry.worker.terminate();
      if (pool.workers.size === 0) this.pools.delete(pool.id);
      return;
    }
    pool.idle.push(entry);
  }

  private dropCall(id: number): void {
    const pool = this.calls.get(id)!;
    this.calls.delete(id);
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
    for (const entry of pool.idle.splice(0)) {
      pool.workers.delete(entry);
      entry.worker.terminate();
    }
    if (pool.workers.size === 0) this.pools.delete(id);
  }

  /** Stop every worker now; calls queued or running are dropped without events. */
  private terminatePool(pool: Pool): void {
    for (const call of pool.queue) this.calls.delete(call.id);
    pool.queue.length = 0;
    for (const entry of pool.workers) {
      if (entry.current !== null) this.calls.delete(entry.current.id);
      entry.worker.terminate();
    }
    pool.workers.clear();
    pool.idle.length = 0;
  }
}

/**
 * A module specifier a worker can import: a URL as it is; a path from the site root ("/work.js")
 * resolved against the page's location (a worker made from a Blob URL cannot resolve it).
 */
function moduleUrl(module: string): string {
  const loc = (globalThis as { location?: { href?: string } }).location?.href;
  if (loc !== undefined && module.startsWith("/") && !module.startsWith("//")) {
    try {
      return new URL(module, loc).href;
    } catch {
      return module;
    }
  }
  return module;
}
