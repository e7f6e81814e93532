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

import { WorkerPools, type CallAnswer, type Pool, type PoolCall, type PoolWorker } from "./worker-pools.js";
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

interface WebPoolWorker extends PoolWorker {
  worker: WorkerLike;
  /** Its first message came: an error event after it is a stray error, not a failed start. */
  started: boolean;
}

/** An executor's worker pool over module Web Workers (`createExecutor`, `call`, `shutdownExecutor`). */
export class WebWorkers extends WorkerPools<WebPoolWorker> {
  private readonly later: Later;
  private url: string | null = null;

  constructor(private readonly host: WebHost) {
    super();
    this.later = new Later(host);
  }

  supports(feature: Feature): boolean {
    return feature === "workers" && workerClass() !== null && typeof Blob === "function" && typeof URL.createObjectURL === "function";
  }

  handles(command: Command): boolean {
    return this.handlesCall(command);
  }

  send(command: Command): void {
    this.sendCall(command);
  }

  /** The loop closed: stop every worker. */
  detach(): void {
    this.stopAll();
    if (this.url !== null) {
      URL.revokeObjectURL(this.url);
      this.url = null;
    }
  }

  protected emit(event: HostEvent): void {
    this.host.emit(event);
  }

  protected emitLater(event: HostEvent): void {
    this.later.emit(event);
  }

  protected defaultMax(): number {
    const cpus = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
    return Math.min(32, (typeof cpus === "number" && cpus > 0 ? cpus : 1) + 4); // asyncio's ThreadPoolExecutor default
  }

  protected moduleUrl(module: string): string {
    return moduleUrl(module);
  }

  protected wire(err: unknown): WireError {
    return toWire(err);
  }

  protected post(entry: WebPoolWorker, call: PoolCall): void {
    entry.worker.postMessage({ id: call.id, module: call.module, name: call.name, args: call.args });
  }

  protected stopWorker(pool: Pool<WebPoolWorker>, entry: WebPoolWorker): void {
    pool.workers.delete(entry);
    entry.worker.terminate();
  }

  private workerUrl(): string {
    return (this.url ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" })));
  }

  protected startWorker(pool: Pool<WebPoolWorker>): WebPoolWorker | null {
    const Ctor = workerClass()!;
    let worker: WorkerLike;
    try {
      worker = new Ctor(this.workerUrl(), { type: "module", name: `wasyncio executor ${pool.id}` });
    } catch (err) {
      // a page whose CSP forbids blob: workers, for one
      const wire = toWire(err);
      wire.message = `cannot start a Web Worker on ${this.host.host}: ${wire.message}`;
      this.failQueued(pool, wire);
      return null;
    }
    const entry: WebPoolWorker = { worker, current: null, started: false };
    worker.onmessage = (ev) => {
      const msg = ev.data as CallAnswer & { started?: boolean };
      if (msg.started === true) {
        entry.started = true;
        return;
      }
      this.answered(pool, entry, msg);
    };
    worker.onerror = (ev) => {
      if (entry.started) return; // an error outside any call (a stray timer's): the worker goes on
      ev.preventDefault();
      // the worker script could not load or start: its call and the queued ones fail
      const why = ev.message ?? "the worker script failed to load";
      worker.terminate();
      const wire: WireError = { name: "Error", message: `a Web Worker could not start on ${this.host.host}: ${why}` };
      this.failQueued(pool, wire);
      this.lost(pool, entry, () => wire);
    };
    worker.onmessageerror = () => {
      // the result could not be deserialized here: the call fails, the worker goes on
      this.answered(pool, entry, {
        id: entry.current?.id,
        ok: false,
        error: { name: "DataCloneError", message: `the result of ${entry.current?.name}() could not be received from its worker` },
      });
    };
    pool.workers.add(entry);
    return entry;
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
