// asyncio's transports and protocols for byte streams (CPython 3.13 transports.py, protocols.py,
// and the socket transport of selector_events.py), over the driver.
//
// A `StreamTransport` is the loop's side of one stream resource of the host, named by its id:
// a TCP, TLS or Unix socket, or a process pipe. It knows nothing of sockets: it sends commands
// by id (`write`, `writeEof`, `pauseReading`, `resumeReading`, `close`, `abort`, `startTls`) and
// turns the resource's events (`data`, `eof`, `flushed`, `error`, `closed`, `tlsUpgraded`) into
// protocol calls, in a loop iteration. What the extra info holds (`peername`, `pipe`, …) is
// given by whoever makes it.
//
// Write-buffer accounting: every byte handed to the host counts until its `flushed` event
// (Node's write callback: the bytes reached the kernel). Past the high-water mark (64 KiB) the
// protocol's `pauseWriting()` is called, and `resumeWriting()` once the count falls to the
// low-water mark (high / 4), as asyncio's _FlowControlMixin does.

import { ConnectionResetError, NotImplementedError, OSError, RuntimeError, ValueError, describe, errorFromWire } from "../errors.js";
import type { EventLoop } from "../loop/event-loop.js";
import type { Future } from "../tasks/futures.js";
import type { HostEvent, Resource, WireError } from "../io/driver.js";

/** Written bytes past this (64 KiB) pause the protocol's writing, as in asyncio. */
export const DEFAULT_HIGH_WATER = 64 * 1024;
/** asyncio logs a warning from the fifth write to a lost connection on. */
const LOG_THRESHOLD_FOR_CONNLOST_WRITES = 5;

// ---- the interfaces -----------------------------------------------------------------------------

/**
 * What every transport has (asyncio's `BaseTransport`).
 *
 * @example
 * const peer = transport.getExtraInfo("peername"); // ["127.0.0.1", 51234]
 */
export interface BaseTransport {
  /** Extra information: `peername`, `sockname`, `socket`, `peercert`, `cipher`, `sslcontext`; `dflt` (null) when absent. */
  getExtraInfo(name: string, dflt?: unknown): unknown;
  /** Whether the transport is closing or closed. */
  isClosing(): boolean;
  /** Close: flush what was written, then end; the protocol's `connectionLost(null)` follows. */
  close(): void;
  setProtocol(protocol: Protocol): void;
  getProtocol(): Protocol | null;
}

/** A transport that reads (asyncio's `ReadTransport`). */
export interface ReadTransport extends BaseTransport {
  isReading(): boolean;
  /** Stop calling `dataReceived` until `resumeReading()` (back-pressure on the peer). */
  pauseReading(): void;
  resumeReading(): void;
}

/** A transport that writes (asyncio's `WriteTransport`). */
export interface WriteTransport extends BaseTransport {
  /** Set the write-buffer marks; `high` defaults to 64 KiB (or 4 × low), `low` to high / 4. */
  setWriteBufferLimits(high?: number | null, low?: number | null): void;
  /** Bytes written and not yet handed to the host's kernel. */
  getWriteBufferSize(): number;
  /** `[low, high]`. */
  getWriteBufferLimits(): [number, number];
  /** Queue bytes for sending (a string is a TypeError: encode it first). */
  write(data: Uint8Array): void;
  writelines(list: Iterable<Uint8Array>): void;
  /** Half-close: send EOF after the buffered data; reading goes on. */
  writeEof(): void;
  canWriteEof(): boolean;
  /** Close at once, dropping buffered data; `connectionLost(null)` follows. */
  abort(): void;
}

/** A bidirectional stream transport (asyncio's `Transport`). */
export interface Transport extends ReadTransport, WriteTransport {}

/**
 * The callbacks every protocol may have (asyncio's `BaseProtocol`); each is optional, and each
 * is called in the loop.
 */
export interface BaseProtocol {
  /** The connection is made; keep `transport` to write. */
  connectionMade?(transport: Transport): void;
  /** The connection is gone: `exc` is `null` for a normal close or EOF, else the error. */
  connectionLost?(exc: Error | null): void;
  /** The transport's write buffer passed its high-water mark: stop writing. */
  pauseWriting?(): void;
  /** The buffer drained to the low-water mark: writing may go on. */
  resumeWriting?(): void;
}

/**
 * A stream protocol (asyncio's `Protocol`): a plain object or class instance with any of these
 * methods.
 *
 * @example
 * class Echo implements Protocol {
 *   transport!: Transport;
 *   connectionMade(t: Transport) { this.transport = t; }
 *   dataReceived(data: Uint8Array) { this.transport.write(data); }
 * }
 */
export interface Protocol extends BaseProtocol {
  /** Bytes arrived. */
  dataReceived?(data: Uint8Array): void;
  /**
   * The peer sent EOF. Return true to keep the transport open for writing (a half-closed
   * connection); anything else closes it. (TLS cannot half-close: it always closes.)
   */
  eofReceived?(): boolean | void | null | undefined;
}

const PROTOCOL_METHODS = ["connectionMade", "connectionLost", "pauseWriting", "resumeWriting", "dataReceived", "eofReceived"] as const;

/** @internal What a protocol factory returned, checked: an object whose protocol methods are functions. */
export function checkProtocol(protocol: unknown, where: string): Protocol {
  if (protocol === null || (typeof protocol !== "object" && typeof protocol !== "function")) {
    throw new TypeError(`${where}: the protocol factory must return a protocol object, got ${describe(protocol)}`);
  }
  for (const name of PROTOCOL_METHODS) {
    const m = (protocol as Record<string, unknown>)[name];
    if (m !== undefined && typeof m !== "function") {
      throw new TypeError(`${where}: the protocol's ${name} must be a function, got ${describe(m)}`);
    }
  }
  return protocol as Protocol;
}

/** @internal A transport's bytes argument, checked. */
export function checkBytes(data: unknown, where: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  const hint = typeof data === "string" ? " (encode text first: new TextEncoder().encode(s))" : "";
  throw new TypeError(`${where}: data must be bytes (a Uint8Array), got ${typeof data === "string" ? "a string" : describe(data)}${hint}`);
}

/** Who keeps a set of live transports (a Server). Not for users: the loop's own bookkeeping. */
export interface TransportOwner {
  _attach(transport: StreamTransport): void;
  _detach(transport: StreamTransport): void;
}

/** How a `StreamTransport` is set up by whoever opens the resource. */
export interface StreamTransportOptions {
  /** Extra info, by name (`peername`, `sockname`, `sslcontext`, `peercert`, `cipher`, `pipe`…). */
  extra?: Record<string, unknown>;
  /** For messages: `"TCP transport"`, `"Unix transport"`, `"pipe transport"`. */
  kind?: string;
  /** Whether `writeEof` is possible (false for TLS). Default true. */
  canWriteEof?: boolean;
  /** TLS: EOF always closes the connection (TLS has no half-close). */
  tls?: boolean;
  /** A Server that tracks its connections. */
  owner?: TransportOwner | null;
  /**
   * Send `resumeReading` once `connectionMade` has run (default true): the Node sockets start
   * paused, as asyncio starts reading only after `connection_made`.
   */
  resumeOnStart?: boolean;
  /** Turns a wire error into the error a user catches (default: the OSError family by code). */
  errorFromWire?: (wire: WireError) => Error;
}

/**
 * The loop's side of a host byte stream (a socket or a pipe), as asyncio's socket transport.
 * Made by `createConnection`, a server, or a subprocess; not constructed by users.
 *
 * @example
 * const [transport, protocol] = yield* loop.createConnection(() => new Client(), "127.0.0.1", port);
 * transport.write(new TextEncoder().encode("hello"));
 * transport.close();
 */
export class StreamTransport implements Transport, Resource {
  /** @internal */ readonly _loop: EventLoop;
  /** @internal The host resource id. */ readonly _id: number;
  private _protocol: Protocol | null = null;
  private readonly _extra: Record<string, unknown>;
  private readonly _kind: string;
  private _canWriteEof: boolean;
  private _tls: boolean;
  private _owner: TransportOwner | null;
  private readonly _resumeOnStart: boolean;
  private readonly _fromWire: (wire: WireError) => Error;
  /** Events that came before `_start` (a pipe reads from spawn on): replayed after connectionMade. */
  private _early: HostEvent[] | null = [];
  private _started = false;
  private _closing = false;
  private _paused = false;
  private _eof = false;
  private _lost = false;
  private _aborted = false;
  private _droppedWrites = 0;
  private _bufferSize = 0;
  private _high = DEFAULT_HIGH_WATER;
  private _low = DEFAULT_HIGH_WATER / 4;
  private _protocolPaused = false;
  private _pendingError: Error | null = null;
  private _tlsWaiter: Future<void> | null = null;
  private _tlsPeer = "";

  /**
   * @internal Registers the resource `id` with the loop at once (events that come before
   * `_start` are kept), so nothing the host sends early is lost.
   */
  constructor(loop: EventLoop, id: number, options: StreamTransportOptions = {}) {
    this._loop = loop;
    this._id = id;
    this._extra = { ...(options.extra ?? {}) };
    this._kind = options.kind ?? "transport";
    this._canWriteEof = options.canWriteEof ?? true;
    this._tls = options.tls ?? false;
    this._owner = options.owner ?? null;
    this._resumeOnStart = options.resumeOnStart ?? true;
    this._fromWire = options.errorFromWire ?? errorFromWire;
    loop._openResource(id, this);
    this._owner?._attach(this);
  }

  /**
   * @internal Attach the protocol: `connectionMade(this)`, then the events that came early,
   * then reading starts (unless the protocol paused it).
   */
  _start(protocol: Protocol): void {
    if (this._started) throw new RuntimeError(`${this} was already started`);
    this._started = true;
    this._protocol = protocol;
    if (!this._lost) {
      try {
        protocol.connectionMade?.(this);
      } catch (exc) {
        this._loop.callExceptionHandler({ message: "Exception in callback connectionMade()", exception: exc, transport: this, protocol });
      }
    }
    const early = this._early;
    this._early = null;
    if (early !== null) for (const event of early) this._handle(event);
    if (this._resumeOnStart && !this._paused && !this._closing) this._loop._send({ op: "resumeReading", id: this._id });
  }

  // ---- events (Resource) ----------------------------------------------------------------------

  /** The loop's, not for users: one host event for this resource (in a loop iteration). */
  onEvent(event: HostEvent): void {
    if (this._early !== null) {
      if (event.kind === "closed" && this._aborted && !this._started) {
        // aborted before it ever started (a server closed while not serving): it ends here
        this._early = null;
        this._callConnectionLost(this._closedError(event));
        return;
      }
      this._early.push(event); // not started yet: replayed after connectionMade
      return;
    }
    this._handle(event);
  }

  private _handle(event: HostEvent): void {
    switch (event.kind) {
      case "data":
        if (this._closing || this._lost) return; // asyncio stops reading at close()
        try {
          this._protocol!.dataReceived?.(event.bytes);
        } catch (exc) {
          this._fatalError(exc, "Fatal error: protocol.dataReceived() call failed.");
        }
        return;
      case "eof":
        return this._eofReceived();
      case "flushed":
        this._bufferSize -= event.n;
        if (this._bufferSize < 0) this._bufferSize = 0;
        this._maybeResumeProtocol();
        return;
      case "error": {
        const exc = this._tlsWaiter !== null ? this._tlsError(event.error) : this._fromWire(event.error);
        this._failTls(exc);
        this._fatalError(exc, "Fatal error on transport");
        return;
      }
      case "closed":
        this._callConnectionLost(this._closedError(event));
        return;
      case "tlsUpgraded": {
        this._tls = true;
        this._canWriteEof = false;
        this._extra.peercert = event.peercert ?? null;
        this._extra.cipher = event.cipher ?? null;
        const waiter = this._tlsWaiter;
        this._tlsWaiter = null;
        if (waiter !== null && !waiter.done()) waiter.setResult(undefined);
        return;
      }
      default:
        return;
    }
  }

  private _closedError(event: HostEvent & { kind: "closed" }): Error | null {
    if (event.error !== null) return this._tlsWaiter !== null ? this._tlsError(event.error) : this._fromWire(event.error);
    return this._pendingError;
  }

  private _eofReceived(): void {
    if (this._closing || this._lost) return;
    let keepOpen: unknown;
    try {
      keepOpen = this._protocol!.eofReceived?.();
    } catch (exc) {
      this._fatalError(exc, "Fatal error: protocol.eofReceived() call failed.");
      return;
    }
    if (this._tls) {
      if (keepOpen && this._loop.getDebug()) console.warn("wasyncio: returning true from eofReceived() has no effect when using ssl");
      this.close();
    } else if (!keepOpen) this.close();
  }

  // ---- writing --------------------------------------------------------------------------------

  /**
   * Queue `data` for sending (a copy is taken: the caller may reuse its array). A string is a
   * TypeError, and so is anything but a Uint8Array. After `writeEof()` it raises RuntimeError;
   * after `close()`/`abort()` or a lost connection the bytes are dropped, as asyncio drops
   * them, with a warning from the fifth such write on ("socket.send() raised exception.").
   */
  write(data: Uint8Array): void {
    checkBytes(data, "write(data)");
    if (this._eof) throw new RuntimeError("Cannot call write() after writeEof()");
    if (data.length === 0) return;
    if (this._closing || this._lost) return this._droppedWrite();
    // a copy: the host may hold the bytes until they are flushed, and the caller may reuse them
    this._send(data.slice());
  }

  writelines(list: Iterable<Uint8Array>): void {
    if (list === null || typeof (list as Iterable<Uint8Array>)?.[Symbol.iterator] !== "function" || typeof list === "string") {
      throw new TypeError(`writelines(list): list must be an iterable of Uint8Array, got ${describe(list)}`);
    }
    const chunks = Array.from(list);
    let total = 0;
    for (let i = 0; i < chunks.length; i++) total += checkBytes(chunks[i], `writelines(list): item ${i}:`).length;
    if (this._eof) throw new RuntimeError("Cannot call writelines() after writeEof()");
    if (total === 0) return;
    if (this._closing || this._lost) return this._droppedWrite();
    const joined = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      joined.set(c, at);
      at += c.length;
    }
    this._send(joined);
  }

  private _send(bytes: Uint8Array): void {
    this._bufferSize += bytes.length;
    this._loop._send({ op: "write", id: this._id, bytes });
    this._maybePauseProtocol();
  }

  private _droppedWrite(): void {
    // asyncio drops writes to a lost connection and warns from the fifth on
    if (++this._droppedWrites >= LOG_THRESHOLD_FOR_CONNLOST_WRITES) {
      console.warn(`wasyncio: socket.send() raised exception. (write() on ${this}, which is closed: the data was dropped)`);
    }
  }

  writeEof(): void {
    if (!this._canWriteEof) throw new NotImplementedError(`${this._tls ? "SSL doesn't support half-closes" : `${this._kind} cannot write EOF`} (writeEof)`);
    if (this._closing || this._eof) return;
    this._eof = true;
    this._loop._send({ op: "writeEof", id: this._id });
  }

  canWriteEof(): boolean {
    return this._canWriteEof;
  }

  getWriteBufferSize(): number {
    return this._bufferSize;
  }

  getWriteBufferLimits(): [number, number] {
    return [this._low, this._high];
  }

  setWriteBufferLimits(high?: number | null, low?: number | null): void {
    const where = "setWriteBufferLimits(high, low)";
    for (const [name, v] of [["high", high], ["low", low]] as const) {
      if (v != null && (typeof v !== "number" || Number.isNaN(v))) throw new TypeError(`${where}: ${name} must be a number of bytes or null, got ${describe(v)}`);
    }
    let h = high ?? null;
    let l = low ?? null;
    if (h === null) h = l === null ? DEFAULT_HIGH_WATER : 4 * l;
    if (l === null) l = Math.floor(h / 4);
    if (!(h >= l && l >= 0)) throw new ValueError(`high (${h}) must be >= low (${l}) must be >= 0`);
    this._high = h;
    this._low = l;
    this._maybePauseProtocol();
  }

  private _maybePauseProtocol(): void {
    if (this._bufferSize <= this._high || this._protocolPaused) return;
    this._protocolPaused = true;
    try {
      this._protocol?.pauseWriting?.();
    } catch (exc) {
      this._loop.callExceptionHandler({ message: "protocol.pauseWriting() failed", exception: exc, transport: this, protocol: this._protocol });
    }
  }

  private _maybeResumeProtocol(): void {
    if (!this._protocolPaused || this._bufferSize > this._low) return;
    this._protocolPaused = false;
    try {
      this._protocol?.resumeWriting?.();
    } catch (exc) {
      this._loop.callExceptionHandler({ message: "protocol.resumeWriting() failed", exception: exc, transport: this, protocol: this._protocol });
    }
  }

  // ---- reading --------------------------------------------------------------------------------

  isReading(): boolean {
    return !this._closing && !this._paused;
  }

  pauseReading(): void {
    if (!this.isReading()) return;
    this._paused = true;
    this._loop._send({ op: "pauseReading", id: this._id });
  }

  resumeReading(): void {
    if (this._closing || !this._paused) return;
    this._paused = false;
    if (this._started) this._loop._send({ op: "resumeReading", id: this._id });
  }

  // ---- closing --------------------------------------------------------------------------------

  isClosing(): boolean {
    return this._closing;
  }

  close(): void {
    if (this._closing) return;
    this._closing = true;
    if (!this._lost) this._loop._send({ op: "close", id: this._id });
  }

  abort(): void {
    this._forceClose(null);
  }

  private _forceClose(exc: Error | null): void {
    if (this._lost || this._aborted) return;
    if (exc !== null && this._pendingError === null) this._pendingError = exc;
    this._aborted = true;
    this._closing = true;
    this._bufferSize = 0;
    const early = this._early;
    if (early !== null && !this._started) {
      // never started (a server that was not serving yet): if the host already said it is
      // gone, no further event will come, so it ends here
      const closed = early.find((e) => e.kind === "closed") as (HostEvent & { kind: "closed" }) | undefined;
      if (closed !== undefined) {
        this._early = null;
        this._callConnectionLost(this._closedError(closed));
        return;
      }
    }
    this._loop._send({ op: "abort", id: this._id });
  }

  /** asyncio's `_fatal_error`: an OSError ends the connection quietly (debug mode logs it). */
  private _fatalError(exc: unknown, message: string): void {
    const err = exc instanceof Error ? exc : new Error(String(exc));
    if (err instanceof OSError) {
      if (this._loop.getDebug()) console.debug(`wasyncio: ${this}: ${message}`, err);
    } else {
      this._loop.callExceptionHandler({ message, exception: exc, transport: this, protocol: this._protocol });
    }
    this._forceClose(err);
  }

  private _callConnectionLost(exc: Error | null): void {
    if (this._lost) return;
    this._lost = true;
    this._closing = true;
    this._loop._closeResource(this._id);
    this._failTls(exc ?? new ConnectionResetError(`the connection closed during the TLS handshake with ${this._tlsPeer}`));
    const protocol = this._protocol;
    try {
      if (protocol !== null && this._started) protocol.connectionLost?.(exc);
    } catch (err) {
      this._loop.callExceptionHandler({ message: "Exception in callback connectionLost()", exception: err, transport: this, protocol });
    } finally {
      const owner = this._owner;
      this._owner = null;
      owner?._detach(this);
    }
  }

  /** The loop's, not for users: run() ends with this transport open: drop the connection, tell the protocol. */
  closeForShutdown(): void {
    if (this._lost) return;
    if (!this._aborted) {
      this._aborted = true;
      this._loop._send({ op: "abort", id: this._id });
    }
    this._early = null;
    this._callConnectionLost(null);
  }

  // ---- TLS upgrade ----------------------------------------------------------------------------

  /**
   * @internal Ask the host to wrap this connection in TLS; the future is done at the end of
   * the handshake (`tlsUpgraded`), or fails with the handshake's error.
   */
  _startTls(waiter: Future<void>, options: Record<string, unknown>, serverSide: boolean, serverHostname: string | null, context: unknown): void {
    if (this._lost || this._closing) throw new RuntimeError(`startTls: ${this} is closing`);
    if (this._tlsWaiter !== null) throw new RuntimeError(`startTls: ${this} is already starting TLS`);
    if (this._tls) throw new RuntimeError(`startTls: ${this} already uses TLS`);
    this._tlsWaiter = waiter;
    const peer = this._extra.peername;
    this._tlsPeer = Array.isArray(peer) ? `${peer[0]}:${peer[1]}` : String(peer ?? "the peer");
    if (serverHostname) this._tlsPeer += ` (server hostname '${serverHostname}')`;
    this._extra.sslcontext = context;
    this._loop._send({ op: "startTls", id: this._id, serverSide, tls: { options, serverHostname } });
  }

  /** @internal The errors of a TLS handshake, as SSLError and friends (set by sockets.ts). */
  _tlsError: (wire: WireError) => Error = (wire) => this._fromWire(wire);

  private _failTls(exc: Error): void {
    const waiter = this._tlsWaiter;
    if (waiter === null) return;
    this._tlsWaiter = null;
    if (!waiter.done()) waiter.setException(exc);
  }

  // ---- the rest of the interface --------------------------------------------------------------

  getExtraInfo(name: string, dflt: unknown = null): unknown {
    if (name === "socket") {
      const obj = this._lost ? null : this._loop._host.hostObject(this._id);
      return obj ?? dflt;
    }
    return Object.prototype.hasOwnProperty.call(this._extra, name) ? this._extra[name] : dflt;
  }

  setProtocol(protocol: Protocol): void {
    this._protocol = checkProtocol(protocol, "setProtocol(protocol)");
  }

  getProtocol(): Protocol | null {
    return this._protocol;
  }

  /** @internal */
  get _isTls(): boolean {
    return this._tls;
  }

  toString(): string {
    const peer = this._extra.peername;
    const where = Array.isArray(peer) ? ` ${peer[0]}:${peer[1]}` : typeof peer === "string" && peer !== "" ? ` ${peer}` : "";
    const state = this._lost ? " closed" : this._closing ? " closing" : "";
    return `<${this._kind} id=${this._id}${where}${state}>`;
  }
}
