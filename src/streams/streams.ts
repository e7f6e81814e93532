// asyncio's streams (CPython 3.13 streams.py): StreamReader, StreamWriter, StreamReaderProtocol,
// and openConnection / startServer / openUnixConnection / startUnixServer on top of the
// transports. Semantics follow streams.py line by line where they are observable: the limit,
// readuntil's rules (3.13: with several separators the shortest match wins), back-pressure both
// ways (a reader past 2 × limit pauses its transport, and resumes it once back to the limit;
// `drain()` waits while the transport's write buffer is over its high-water mark).

import type { EventLoop } from "../loop/event-loop.js";
import { trackCoroutine } from "../loop/debug.js";
import { _getRunningLoop, getEventLoop } from "../loop/running.js";
import type { Future } from "../tasks/futures.js";
import { isCoroutine, sleep, type Coro } from "../tasks/tasks.js";
import {
  ConnectionResetError,
  IncompleteReadError,
  LimitOverrunError,
  NotImplementedError,
  RuntimeError,
  ValueError,
  describe,
} from "../errors.js";
import type { Protocol, Transport } from "./transports.js";
import type { SslContext, SslOption } from "./ssl.js";
import { checkHost, checkOptions, checkPath, checkPort, connectTcp, connectUnix } from "./sockets.js";
import type { ConnectionOptions, UnixConnectionOptions } from "./sockets.js";
import { checkServerHost, serveTcp, serveUnix, type Server, type ServerOptions, type UnixServerOptions } from "./server.js";

/** The default buffer limit of a StreamReader: 64 KiB. */
export const DEFAULT_LIMIT = 2 ** 16;

const EMPTY = new Uint8Array(0);
const NEWLINE = new Uint8Array([0x0a]);

function checkLimit(limit: unknown, where: string): number {
  if (limit === undefined || limit === null) return DEFAULT_LIMIT;
  if (typeof limit !== "number" || Number.isNaN(limit)) throw new TypeError(`${where}: limit must be a number of bytes, got ${describe(limit)}`);
  if (limit <= 0) throw new ValueError(`${where}: Limit cannot be <= 0, got ${limit}`);
  return limit;
}

function checkCount(n: unknown, where: string): number {
  if (typeof n !== "number" || !Number.isInteger(n)) throw new TypeError(`${where}: n must be an integer, got ${describe(n)}`);
  return n;
}

// ---- the byte buffer behind a reader ---------------------------------------------------------------

/** A growable byte buffer consumed from the front (Python's bytearray with `del buf[:n]`). */
class ByteBuffer {
  private data = new Uint8Array(4096);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(chunk: Uint8Array): void {
    const n = chunk.length;
    if (this.end + n > this.data.length) {
      const live = this.end - this.start;
      if (live + n <= this.data.length && this.start >= live) {
        // compact: cheap when little is live
        this.data.copyWithin(0, this.start, this.end);
      } else {
        let cap = this.data.length * 2;
        while (cap < live + n) cap *= 2;
        const grown = new Uint8Array(cap);
        grown.set(this.data.subarray(this.start, this.end));
        this.data = grown;
      }
      this.start = 0;
      this.end = live;
    }
    this.data.set(chunk, this.end);
    this.end += n;
  }

  peekAll(): Uint8Array {
    return this.data.slice(this.start, this.end);
  }

  /** Remove and return the first `n` bytes (a copy). */
  take(n: number): Uint8Array {
    const k = Math.min(n, this.length);
    const out = this.data.slice(this.start, this.start + k);
    this.drop(k);
    return out;
  }

  drop(n: number): void {
    this.start += Math.min(n, this.length);
    if (this.start === this.end) this.start = this.end = 0;
  }

  clear(): void {
    this.start = this.end = 0;
  }

  /** Index (from the front) of `sep` at or after `from`, or -1. */
  find(sep: Uint8Array, from: number): number {
    const data = this.data;
    const end = this.end;
    const first = sep[0];
    const m = sep.length;
    let i = this.start + from;
    while (i <= end - m) {
      const at = data.indexOf(first, i);
      if (at === -1 || at > end - m) return -1;
      let k = 1;
      while (k < m && data[at + k] === sep[k]) k++;
      if (k === m) return at - this.start;
      i = at + 1;
    }
    return -1;
  }

  startsWith(sep: Uint8Array, at: number): boolean {
    if (at + sep.length > this.length) return false;
    const base = this.start + at;
    for (let k = 0; k < sep.length; k++) if (this.data[base + k] !== sep[k]) return false;
    return true;
  }
}

// ---- StreamReader ---------------------------------------------------------------------------------

/** `new StreamReader(options)`. */
export interface StreamReaderOptions {
  /** The buffer limit (default 64 KiB): the longest line, and half the read-ahead. */
  limit?: number;
  loop?: EventLoop;
}

/**
 * The reading end of a stream (asyncio's `StreamReader`). Made by `openConnection` and
 * `startServer`; a test can feed one by hand with `feedData` / `feedEof`.
 *
 * @example
 * const [reader, writer] = yield* openConnection("127.0.0.1", 8888);
 * const line = yield* reader.readline();
 */
export class StreamReader {
  private readonly _limit: number;
  /** @internal */ readonly _loop: EventLoop;
  private readonly _buffer = new ByteBuffer();
  private _eof = false;
  private _waiter: Future<void> | null = null;
  private _exception: Error | null = null;
  private _transport: Transport | null = null;
  private _paused = false;

  constructor(options: StreamReaderOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`StreamReader(options): options must be an object, got ${describe(options)}`);
    }
    this._limit = checkLimit(options.limit, "StreamReader(options)");
    this._loop = options.loop ?? _getRunningLoop() ?? getEventLoop();
  }

  /** The buffer limit, in bytes. */
  get limit(): number {
    return this._limit;
  }

  /** @internal A copy of the unread bytes (tests compare it as asyncio's tests read `_buffer`). */
  get _buffered(): Uint8Array {
    return this._buffer.peekAll();
  }

  /** The exception set by `setException` (a lost connection's error), or null. */
  exception(): Error | null {
    return this._exception;
  }

  /** Make every pending and future read raise `exc`. */
  setException(exc: Error): void {
    this._exception = exc;
    const waiter = this._waiter;
    if (waiter !== null) {
      this._waiter = null;
      if (!waiter.cancelled()) waiter.setException(exc);
    }
  }

  private _wakeupWaiter(): void {
    const waiter = this._waiter;
    if (waiter !== null) {
      this._waiter = null;
      if (!waiter.cancelled()) waiter.setResult(undefined);
    }
  }

  /** Attach the transport whose reading this reader pauses and resumes. */
  setTransport(transport: Transport): void {
    if (this._transport !== null) throw new RuntimeError("Transport already set");
    this._transport = transport;
  }

  private _maybeResumeTransport(): void {
    if (this._paused && this._buffer.length <= this._limit) {
      this._paused = false;
      this._transport!.resumeReading();
    }
  }

  /** The stream ended: reads return what is left, then empty. */
  feedEof(): void {
    this._eof = true;
    this._wakeupWaiter();
  }

  /** Whether EOF was fed and the buffer is empty. */
  atEof(): boolean {
    return this._eof && this._buffer.length === 0;
  }

  /** Add bytes to the buffer (the protocol calls it; tests may too). */
  feedData(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new TypeError(`feedData(data): data must be a Uint8Array, got ${describe(data)}`);
    if (this._eof) throw new RuntimeError("feedData after feedEof");
    if (data.length === 0) return;
    this._buffer.append(data);
    this._wakeupWaiter();
    if (this._transport !== null && !this._paused && this._buffer.length > 2 * this._limit) {
      try {
        this._transport.pauseReading();
        this._paused = true;
      } catch (exc) {
        // a transport that cannot pause: buffer everything, and stop asking
        if (!(exc instanceof NotImplementedError)) throw exc;
        this._transport = null;
      }
    }
  }

  private *_waitForData(funcName: string): Coro<void> {
    // two readers at once could not know which one gets the next data
    if (this._waiter !== null) {
      throw new RuntimeError(`${funcName}() called while another coroutine is already waiting for incoming data`);
    }
    if (this._eof) throw new RuntimeError("_waitForData after EOF");
    // waiting while paused would deadlock (readexactly(n) with n > limit): resume
    if (this._paused) {
      this._paused = false;
      this._transport!.resumeReading();
    }
    const waiter = this._loop.createFuture<void>();
    this._waiter = waiter;
    try {
      yield* waiter;
    } finally {
      this._waiter = null;
    }
  }

  /**
   * Read one line, ending with `\n` (included). At EOF, the partial last line (or an empty
   * array). A line longer than the limit raises `ValueError`, and that line is dropped.
   *
   * @example
   * const line = yield* reader.readline();
   * if (line.length === 0) console.log("EOF");
   */
  readline(): Coro<Uint8Array> {
    return trackCoroutine(this._readline(), "StreamReader.readline");
  }

  private *_readline(): Coro<Uint8Array> {
    try {
      return yield* this._readuntil([NEWLINE]);
    } catch (e) {
      if (e instanceof IncompleteReadError) return e.partial;
      if (e instanceof LimitOverrunError) {
        if (this._buffer.startsWith(NEWLINE, e.consumed)) this._buffer.drop(e.consumed + NEWLINE.length);
        else this._buffer.clear();
        this._maybeResumeTransport();
        throw new ValueError(e.message);
      }
      throw e;
    }
  }

  /**
   * Read up to and including `separator` (or the one of several that ends first: 3.13 takes
   * the shortest match). At EOF before it: `IncompleteReadError` (the buffer is emptied into
   * `partial`). Over the limit: `LimitOverrunError`, the data left in the buffer.
   *
   * @example
   * const header = yield* reader.readuntil(new TextEncoder().encode("\r\n\r\n"));
   */
  readuntil(separator: Uint8Array | Uint8Array[] = NEWLINE): Coro<Uint8Array> {
    const where = "readuntil(separator)";
    let seps: Uint8Array[];
    if (Array.isArray(separator)) {
      if (separator.length === 0) throw new ValueError(`${where}: Separator should contain at least one element`);
      seps = separator.map((s, i) => {
        if (!(s instanceof Uint8Array)) throw new TypeError(`${where}: separator ${i} must be a Uint8Array, got ${describe(s)}`);
        return s;
      });
    } else if (separator instanceof Uint8Array) seps = [separator];
    else throw new TypeError(`${where}: separator must be a Uint8Array or an array of them, got ${describe(separator)}`);
    seps = [...seps].sort((a, b) => a.length - b.length);
    if (seps[0].length === 0) throw new ValueError(`${where}: Separator should be at least one-byte string`);
    return trackCoroutine(this._readuntil(seps), "StreamReader.readuntil");
  }

  /** `seps` sorted by length, none empty. */
  private *_readuntil(seps: Uint8Array[]): Coro<Uint8Array> {
    const minSeplen = seps[0].length;
    const maxSeplen = seps[seps.length - 1].length;
    if (this._exception !== null) throw this._exception;
    // `offset`: bytes from the front known to hold no separator
    let offset = 0;
    let matchStart = -1;
    let matchEnd = -1;
    for (;;) {
      const buflen = this._buffer.length;
      if (buflen - offset >= minSeplen) {
        for (const sep of seps) {
          const isep = this._buffer.find(sep, offset);
          if (isep !== -1) {
            const end = isep + sep.length;
            if (matchEnd === -1 || end < matchEnd) {
              matchEnd = end;
              matchStart = isep;
            }
          }
        }
        if (matchEnd !== -1) break;
        offset = Math.max(0, buflen + 1 - maxSeplen);
        if (offset > this._limit) {
          throw new LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
        }
      }
      // a complete separator may have come with the last data even when EOF is set
      if (this._eof) {
        const chunk = this._buffer.take(this._buffer.length);
        throw new IncompleteReadError(chunk, null);
      }
      yield* this._waitForData("readuntil");
    }
    if (matchStart > this._limit) {
      throw new LimitOverrunError("Separator is found, but chunk is longer than limit", matchStart);
    }
    const chunk = this._buffer.take(matchEnd);
    this._maybeResumeTransport();
    return chunk;
  }

  /**
   * Read up to `n` bytes (as soon as any is there); `n = -1` (the default) reads until EOF.
   * At EOF: an empty array.
   *
   * @example
   * const everything = yield* reader.read();
   */
  read(n = -1): Coro<Uint8Array> {
    checkCount(n, "read(n)");
    return trackCoroutine(this._read(n), "StreamReader.read");
  }

  private *_read(n: number): Coro<Uint8Array> {
    if (this._exception !== null) throw this._exception;
    if (n === 0) return EMPTY.slice();
    if (n < 0) {
      // read(limit) until EOF: waiting for all of it at once could deadlock a paused transport
      const blocks: Uint8Array[] = [];
      let total = 0;
      for (;;) {
        const block = yield* this._read(this._limit);
        if (block.length === 0) break;
        blocks.push(block);
        total += block.length;
      }
      if (blocks.length === 1) return blocks[0];
      const out = new Uint8Array(total);
      let at = 0;
      for (const b of blocks) {
        out.set(b, at);
        at += b.length;
      }
      return out;
    }
    if (this._buffer.length === 0 && !this._eof) yield* this._waitForData("read");
    const data = this._buffer.take(n);
    this._maybeResumeTransport();
    return data;
  }

  /**
   * Read exactly `n` bytes; EOF first raises `IncompleteReadError` with what was read.
   *
   * @example
   * const header = yield* reader.readexactly(4);
   */
  readexactly(n: number): Coro<Uint8Array> {
    checkCount(n, "readexactly(n)");
    if (n < 0) throw new ValueError(`readexactly(n): readexactly size can not be less than zero, got ${n}`);
    return trackCoroutine(this._readexactly(n), "StreamReader.readexactly");
  }

  private *_readexactly(n: number): Coro<Uint8Array> {
    if (this._exception !== null) throw this._exception;
    if (n === 0) return EMPTY.slice();
    while (this._buffer.length < n) {
      if (this._eof) {
        const incomplete = this._buffer.take(this._buffer.length);
        throw new IncompleteReadError(incomplete, n);
      }
      yield* this._waitForData("readexactly");
    }
    const data = this._buffer.take(n);
    this._maybeResumeTransport();
    return data;
  }

  toString(): string {
    const info = ["StreamReader"];
    if (this._buffer.length > 0) info.push(`${this._buffer.length} bytes`);
    if (this._eof) info.push("eof");
    if (this._limit !== DEFAULT_LIMIT) info.push(`limit=${this._limit}`);
    if (this._waiter !== null) info.push("waiter");
    if (this._exception !== null) info.push(`exception=${this._exception.name}`);
    if (this._transport !== null) info.push(`transport=${this._transport}`);
    if (this._paused) info.push("paused");
    return `<${info.join(" ")}>`;
  }
}

// ---- the protocol between a transport and a reader -------------------------------------------------

/** What `startServer` calls for each connection: may be a `function*` (run as a task). */
export type ClientConnected = (reader: StreamReader, writer: StreamWriter) => void | Coro<unknown>;

/**
 * The protocol that feeds a StreamReader and lets a StreamWriter's `drain()` wait (asyncio's
 * `StreamReaderProtocol`, with FlowControlMixin).
 *
 * @example
 * const reader = new StreamReader();
 * const [transport] = yield* loop.createConnection(() => new StreamReaderProtocol(reader), host, port);
 */
export class StreamReaderProtocol implements Protocol {
  /** @internal */ readonly _loop: EventLoop;
  private _reader: StreamReader | null;
  /** @internal */ readonly _clientConnected: ClientConnected | null;
  private _overSsl = false;
  private _paused = false;
  private _drainWaiters: Future<void>[] = [];
  private _connectionLost = false;
  private readonly _closed: Future<void>;

  constructor(reader: StreamReader | null, clientConnected: ClientConnected | null = null, options: { loop?: EventLoop } = {}) {
    if (reader !== null && !(reader instanceof StreamReader)) {
      throw new TypeError(`StreamReaderProtocol(reader): reader must be a StreamReader or null, got ${describe(reader)}`);
    }
    if (clientConnected !== null && clientConnected !== undefined && typeof clientConnected !== "function") {
      throw new TypeError(`StreamReaderProtocol(reader, clientConnected): clientConnected must be a function, got ${describe(clientConnected)}`);
    }
    this._loop = options?.loop ?? reader?._loop ?? _getRunningLoop() ?? getEventLoop();
    this._reader = reader;
    this._clientConnected = clientConnected ?? null;
    this._closed = this._loop.createFuture<void>();
  }

  /** @internal The transport changed (a TLS upgrade). */
  _replaceTransport(transport: Transport): void {
    this._overSsl = transport.getExtraInfo("sslcontext") != null;
  }

  connectionMade(transport: Transport): void {
    const reader = this._reader;
    if (reader !== null) reader.setTransport(transport);
    this._overSsl = transport.getExtraInfo("sslcontext") != null;
    const cb = this._clientConnected;
    if (cb === null) return;
    const writer = new StreamWriter(transport, this, reader, this._loop);
    let res: unknown;
    try {
      res = cb(reader!, writer);
    } catch (exc) {
      // a plain callback that throws: as a failed function* handler (SPEC: reported, closed)
      this._loop.callExceptionHandler({ message: "Unhandled exception in client_connected_cb", exception: exc, transport });
      transport.close();
      return;
    }
    if (isCoroutine(res)) {
      const task = this._loop.createTask(res as Coro<unknown>);
      task.addDoneCallback((t) => {
        if (t.cancelled()) {
          transport.close();
          return;
        }
        const exc = t.exception();
        if (exc !== null) {
          this._loop.callExceptionHandler({ message: "Unhandled exception in client_connected_cb", exception: exc, transport });
          transport.close();
        }
      });
    }
  }

  connectionLost(exc: Error | null): void {
    const reader = this._reader;
    if (reader !== null) {
      if (exc === null) reader.feedEof();
      else reader.setException(exc);
    }
    if (!this._closed.done()) {
      if (exc === null) this._closed.setResult(undefined);
      else {
        this._closed.setException(exc);
        this._closed.exception(); // retrieved: a lost connection nobody waits on is not an unhandled error
      }
    }
    // FlowControlMixin.connection_lost: wake drain() waiters
    this._connectionLost = true;
    if (this._paused) {
      for (const w of this._drainWaiters) {
        if (w.done()) continue;
        if (exc === null) w.setResult(undefined);
        else w.setException(exc);
      }
    }
    this._reader = null;
  }

  dataReceived(data: Uint8Array): void {
    this._reader?.feedData(data);
  }

  eofReceived(): boolean {
    this._reader?.feedEof();
    // TLS cannot half-close: returning true would only make it warn
    return !this._overSsl;
  }

  pauseWriting(): void {
    this._paused = true;
  }

  resumeWriting(): void {
    this._paused = false;
    for (const w of this._drainWaiters) if (!w.done()) w.setResult(undefined);
  }

  /** @internal */
  *_drainHelper(): Coro<void> {
    if (this._connectionLost) throw new ConnectionResetError("Connection lost");
    if (!this._paused) return;
    const waiter = this._loop.createFuture<void>();
    this._drainWaiters.push(waiter);
    try {
      yield* waiter;
    } finally {
      const i = this._drainWaiters.indexOf(waiter);
      if (i !== -1) this._drainWaiters.splice(i, 1);
    }
  }

  /** @internal */
  _isLost(): boolean {
    return this._connectionLost;
  }

  /** @internal Wait for connectionLost, whatever its error (drain raises it its own way). */
  *_waitLost(): Coro<void> {
    const closed = this._closed;
    if (closed.done()) return;
    const waiter = this._loop.createFuture<void>();
    const wake = () => {
      if (!waiter.done()) waiter.setResult(undefined);
    };
    closed.addDoneCallback(wake);
    try {
      yield* waiter;
    } finally {
      closed.removeDoneCallback(wake);
    }
  }

  /** @internal */
  _getCloseWaiter(): Future<void> {
    return this._closed;
  }
}

// ---- StreamWriter ---------------------------------------------------------------------------------

/** `StreamWriter.startTls`'s options. */
export interface StreamStartTlsOptions {
  serverHostname?: string | null;
  sslHandshakeTimeout?: number | null;
}

/**
 * The writing end of a stream (asyncio's `StreamWriter`): writes go to the transport at once;
 * `drain()` waits while the peer is slower than the writer.
 *
 * @example
 * writer.write(new TextEncoder().encode("hello\n"));
 * yield* writer.drain();
 * writer.close();
 * yield* writer.waitClosed();
 */
export class StreamWriter {
  private _transport: Transport;
  private readonly _protocol: StreamReaderProtocol;
  private readonly _reader: StreamReader | null;
  /** @internal */ readonly _loop: EventLoop;

  constructor(transport: Transport, protocol: StreamReaderProtocol, reader: StreamReader | null, loop: EventLoop) {
    this._transport = transport;
    this._protocol = protocol;
    this._reader = reader;
    this._loop = loop;
  }

  /** The transport under this writer. */
  get transport(): Transport {
    return this._transport;
  }

  /**
   * Queue bytes (a string is a TypeError). Follow with `yield* writer.drain()`. After
   * `close()` the bytes are dropped as asyncio drops them; `drain()` then raises
   * ConnectionResetError.
   */
  write(data: Uint8Array): void {
    this._transport.write(data);
  }

  writelines(data: Iterable<Uint8Array>): void {
    this._transport.writelines(data);
  }

  /** Send EOF after the buffered data (not over TLS). */
  writeEof(): void {
    this._transport.writeEof();
  }

  canWriteEof(): boolean {
    return this._transport.canWriteEof();
  }

  /** Close the stream (buffered data is still sent); `waitClosed()` waits for the end. */
  close(): void {
    this._transport.close();
  }

  isClosing(): boolean {
    return this._transport.isClosing();
  }

  /**
   * Wait until the connection is closed; raises the error that ended it, if any.
   *
   * @example
   * writer.close(); yield* writer.waitClosed();
   */
  waitClosed(): Coro<void> {
    return trackCoroutine(
      (function* (fut: Future<void>) {
        yield* fut;
      })(this._protocol._getCloseWaiter()),
      "StreamWriter.waitClosed",
    );
  }

  /** `peername`, `sockname`, `socket`, `peercert`, `cipher`, `sslcontext`; `dflt` (null) when absent. */
  getExtraInfo(name: string, dflt: unknown = null): unknown {
    return this._transport.getExtraInfo(name, dflt);
  }

  /**
   * Wait until the write buffer is below its high-water mark: the back-pressure a fast writer
   * needs. Raises the connection's error if it was lost (ConnectionResetError when it just
   * closed).
   *
   * @example
   * for (const chunk of chunks) { writer.write(chunk); yield* writer.drain(); }
   */
  drain(): Coro<void> {
    return trackCoroutine(this._drain(), "StreamWriter.drain");
  }

  private *_drain(): Coro<void> {
    if (this._reader !== null) {
      const exc = this._reader.exception();
      if (exc !== null) throw exc;
    }
    if (this._transport.isClosing()) {
      // let connectionLost run, so a closed connection raises here instead of looping forever
      yield* sleep(0);
      // asyncio's connection_lost follows close() within an iteration; here the host says when
      // the socket is gone, so wait for it when nothing is left to flush (it comes promptly)
      if (!this._protocol._isLost() && this._transport.getWriteBufferSize() === 0) {
        yield* this._protocol._waitLost();
      }
      if (this._reader !== null) {
        const exc = this._reader.exception();
        if (exc !== null) throw exc;
      }
    }
    yield* this._protocol._drainHelper();
  }

  /**
   * Upgrade the connection to TLS (asyncio's `StreamWriter.start_tls`): the client side when
   * the stream came from `openConnection`, the server side in a `startServer` callback.
   *
   * @example
   * yield* writer.startTls(createSslContext({ ca }), { serverHostname: "localhost" });
   */
  startTls(sslContext: SslContext | SslOption, options: StreamStartTlsOptions = {}): Coro<void> {
    const where = "StreamWriter.startTls(sslContext)";
    const o = checkOptions<StreamStartTlsOptions>(options, where, ["serverHostname", "sslHandshakeTimeout"]);
    const serverSide = this._protocol._clientConnected !== null;
    // checked now (a bad context raises here), then started after drain()
    const upgrade = this._loop.startTls(this._transport, this._protocol, sslContext as SslContext, {
      serverSide,
      serverHostname: o.serverHostname ?? null,
      sslHandshakeTimeout: o.sslHandshakeTimeout ?? null,
    });
    const self = this;
    return trackCoroutine(
      (function* () {
        yield* self._drain();
        const transport = yield* upgrade;
        self._transport = transport;
        self._protocol._replaceTransport(transport);
      })(),
      "StreamWriter.startTls",
    );
  }

  toString(): string {
    return `<StreamWriter transport=${this._transport}${this._reader !== null ? ` reader=${this._reader}` : ""}>`;
  }
}

// ---- openConnection and friends -------------------------------------------------------------------

/** `openConnection`'s options. */
export interface OpenConnectionOptions extends ConnectionOptions {
  /** The reader's buffer limit (default 64 KiB). */
  limit?: number;
}

/** `openUnixConnection`'s options. */
export interface OpenUnixConnectionOptions extends UnixConnectionOptions {
  limit?: number;
}

/** `startServer`'s options. */
export interface StartServerOptions extends ServerOptions {
  /** Each reader's buffer limit (default 64 KiB). */
  limit?: number;
}

/** `startUnixServer`'s options. */
export interface StartUnixServerOptions extends UnixServerOptions {
  limit?: number;
}

function checkClientConnected(cb: unknown, where: string): ClientConnected {
  if (typeof cb !== "function") throw new TypeError(`${where}: clientConnected must be a function (or function*), got ${describe(cb)}`);
  return cb as ClientConnected;
}

function split<T extends { limit?: number }>(o: Partial<T>): [number | undefined, Omit<Partial<T>, "limit">] {
  const { limit, ...rest } = o;
  return [limit, rest];
}

/**
 * Connect to `host`:`port` and return a `[reader, writer]` pair (asyncio's `open_connection`).
 * TLS with `ssl: true` (or an `SslContext`); `ConnectionRefusedError` when nobody listens.
 *
 * @example
 * const [reader, writer] = yield* openConnection("127.0.0.1", 8888);
 * writer.write(new TextEncoder().encode("ping\n"));
 * const answer = yield* reader.readline();
 * writer.close();
 * yield* writer.waitClosed();
 */
export function openConnection(host: string, port: number, options?: OpenConnectionOptions): Coro<[StreamReader, StreamWriter]> {
  const where = "openConnection(host, port)";
  checkHost(host, where);
  checkPort(port, where);
  const [limitArg, o] = split(checkOptions<OpenConnectionOptions>(options, where, ["limit", "ssl", "serverHostname", "localAddr", "sslHandshakeTimeout"]));
  const limit = checkLimit(limitArg, where);
  const holder: { reader: StreamReader | null; protocol: StreamReaderProtocol | null } = { reader: null, protocol: null };
  const factory = () => holder.protocol!;
  const connect = connectTcp(_getRunningLoop(), factory, host, port, o, where, null);
  return trackCoroutine(openStreams(connect, holder, limit, where), "openConnection");
}

/**
 * `openConnection` over a Unix socket at `path`.
 *
 * @example
 * const [reader, writer] = yield* openUnixConnection("/tmp/app.sock");
 */
export function openUnixConnection(path: string, options?: OpenUnixConnectionOptions): Coro<[StreamReader, StreamWriter]> {
  const where = "openUnixConnection(path)";
  checkPath(path, where);
  const [limitArg, o] = split(checkOptions<OpenUnixConnectionOptions>(options, where, ["limit", "ssl", "serverHostname", "sslHandshakeTimeout"]));
  const limit = checkLimit(limitArg, where);
  const holder: { reader: StreamReader | null; protocol: StreamReaderProtocol | null } = { reader: null, protocol: null };
  const factory = () => holder.protocol!;
  const connect = connectUnix(_getRunningLoop(), factory, path, o, where, null);
  return trackCoroutine(openStreams(connect, holder, limit, where), "openUnixConnection");
}

function* openStreams(
  connect: Coro<[Transport, Protocol]>,
  holder: { reader: StreamReader | null; protocol: StreamReaderProtocol | null },
  limit: number,
  where: string,
): Coro<[StreamReader, StreamWriter]> {
  const loop = _getRunningLoop();
  if (loop === null) throw new RuntimeError(`${where}: no running event loop`);
  const reader = new StreamReader({ limit, loop });
  const protocol = new StreamReaderProtocol(reader, null, { loop });
  holder.reader = reader;
  holder.protocol = protocol;
  const [transport] = yield* connect;
  const writer = new StreamWriter(transport, protocol, reader, loop);
  return [reader, writer];
}

/**
 * Serve on `host`:`port`, calling `clientConnected(reader, writer)` for each connection
 * (asyncio's `start_server`). A `function*` callback runs as a task; if it raises, the error
 * goes to the exception handler and that connection is closed.
 *
 * @example
 * const server = yield* startServer(function* (reader, writer) {
 *   const line = yield* reader.readline();
 *   writer.write(line);
 *   yield* writer.drain();
 *   writer.close();
 * }, "127.0.0.1", 8888);
 */
export function startServer(clientConnected: ClientConnected, host: string | null | undefined, port: number | null | undefined, options?: StartServerOptions): Coro<Server> {
  const where = "startServer(clientConnected, host, port)";
  const cb = checkClientConnected(clientConnected, where);
  const h = checkServerHost(host, where);
  const p = port === null || port === undefined ? 0 : checkPort(port, where);
  const [limitArg, o] = split(checkOptions<StartServerOptions>(options, where, ["limit", "ssl", "backlog", "reuseAddress", "startServing", "sslHandshakeTimeout"]));
  const limit = checkLimit(limitArg, where);
  return serveTcp(_getRunningLoop(), streamFactory(cb, limit), h, p, o, where, "startServer");
}

/**
 * `startServer` on a Unix socket at `path`.
 *
 * @example
 * const server = yield* startUnixServer(handle, "/tmp/app.sock");
 */
export function startUnixServer(clientConnected: ClientConnected, path: string, options?: StartUnixServerOptions): Coro<Server> {
  const where = "startUnixServer(clientConnected, path)";
  const cb = checkClientConnected(clientConnected, where);
  checkPath(path, where);
  const [limitArg, o] = split(checkOptions<StartUnixServerOptions>(options, where, ["limit", "ssl", "backlog", "startServing", "sslHandshakeTimeout"]));
  const limit = checkLimit(limitArg, where);
  return serveUnix(_getRunningLoop(), streamFactory(cb, limit), path, o, where, "startUnixServer");
}

function streamFactory(cb: ClientConnected, limit: number): () => StreamReaderProtocol {
  return () => {
    const loop = _getRunningLoop() ?? getEventLoop();
    const reader = new StreamReader({ limit, loop });
    return new StreamReaderProtocol(reader, cb, { loop });
  };
}
