// One byte stream of the Deno driver — a TCP, TLS or Unix connection, or a child's pipe — as
// the loop sees a stream resource: it emits the same events as the Node driver's sockets
// (io/node-net.ts) and pipes (io/node-proc.ts) in the same situations.
//
// - Reading is one read loop per stream that runs only while the loop wants data: after
//   `pauseReading` no new read starts, and a read that was already in flight keeps its chunk
//   until `resumeReading` (so no `data` event arrives while paused). Sockets start paused (the
//   loop resumes them after `connectionMade`); pipes read from spawn on, as Node's do.
// - Writes are queued in order and written one at a time by one pump; each write's completion
//   is a `flushed` event with its byte count. `writeEof` and `close` are queued behind the
//   writes (close = flush, send EOF, release), `abort` drops the queue.
// - A socket's errors after it is connected ride on its `closed` event (Node's convention);
//   a pipe's are an `error` event followed by `closed`.

import type { Command, HostEvent, WireError } from "./driver.js";
import { denoWire, isClosedResource } from "./deno-host.js";
import type { DenoConn, DenoFlag } from "./deno-host.js";

/** Where a stream's bytes come from and go to: a Deno.Conn, a child's pipe, a TLS tunnel. */
export interface ByteIO {
  /** The next chunk (a fresh array the loop may keep), or null at EOF. */
  read(): Promise<Uint8Array | null>;
  /** Write all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Send EOF (shutdown the write side); reading goes on. */
  closeWrite(): Promise<void>;
  /** Release the host resource now; reads and writes in flight fail. */
  close(): void;
}

/** Reads land in a buffer this big (64 KiB, as Node's stream highWaterMark for sockets). */
const READ_SIZE = 64 * 1024;

/** A Deno.Conn as ByteIO. */
export class ConnIO implements ByteIO {
  private buf = new Uint8Array(READ_SIZE);
  private closed = false;

  constructor(readonly conn: DenoConn) {}

  async read(): Promise<Uint8Array | null> {
    const buf = this.buf;
    let n: number | null;
    do n = await this.conn.read(buf);
    while (n === 0); // a read of 0 bytes is not EOF (Deno says so): the loop never sees an empty chunk
    if (n === null) return null;
    // A big chunk takes the buffer with it (no copy); a small one is copied and the buffer reused.
    if (n * 2 >= READ_SIZE) {
      this.buf = new Uint8Array(READ_SIZE);
      return buf.subarray(0, n);
    }
    return buf.slice(0, n);
  }

  async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) at += await this.conn.write(at === 0 ? bytes : bytes.subarray(at));
  }

  closeWrite(): Promise<void> {
    return this.conn.closeWrite();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // closed by Deno already (the peer reset it)
    }
  }
}

/** The reading end of a pipe (a ReadableStream) as ByteIO. */
export class ReadableIO implements ByteIO {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  async read(): Promise<Uint8Array | null> {
    const r = await this.reader.read();
    return r.done ? null : r.value;
  }

  write(): Promise<void> {
    return Promise.reject(new Error("a read pipe cannot be written"));
  }

  closeWrite(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    this.reader.cancel().catch(() => undefined);
  }
}

/** A child's stdout and stderr merged into one stream (stderr=STDOUT): EOF once both ended. */
export class MergedIO implements ByteIO {
  private readonly readers: ReadableStreamDefaultReader<Uint8Array>[];
  /** The read in flight on each reader (kept across calls: a lost race is not a lost chunk). */
  private readonly pending: (Promise<[number, ReadableStreamReadResult<Uint8Array>]> | null)[];
  private readonly ended: boolean[];

  constructor(streams: ReadableStream<Uint8Array>[]) {
    this.readers = streams.map((s) => s.getReader());
    this.pending = streams.map(() => null);
    this.ended = streams.map(() => false);
  }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      const racing: Promise<[number, ReadableStreamReadResult<Uint8Array>]>[] = [];
      for (let i = 0; i < this.readers.length; i++) {
        if (this.ended[i]) continue;
        this.pending[i] ??= this.readers[i].read().then((r) => [i, r]);
        racing.push(this.pending[i]!);
      }
      if (racing.length === 0) return null;
      const [i, r] = await Promise.race(racing);
      this.pending[i] = null;
      if (!r.done) return r.value;
      this.ended[i] = true;
    }
  }

  write(): Promise<void> {
    return Promise.reject(new Error("a read pipe cannot be written"));
  }

  closeWrite(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    for (const r of this.readers) r.cancel().catch(() => undefined);
  }
}

/** The writing end of a pipe (a WritableStream) as ByteIO. */
export class WritableIO implements ByteIO {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(stream: WritableStream<Uint8Array>) {
    this.writer = stream.getWriter();
  }

  read(): Promise<Uint8Array | null> {
    return Promise.resolve(null);
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.writer.write(bytes);
  }

  closeWrite(): Promise<void> {
    return this.writer.close();
  }

  close(): void {
    this.writer.abort().catch(() => undefined);
  }
}

/** Queue markers: send EOF, and (after it) close. */
const EOF = 1;
const CLOSE = 2;

/** How a stream ends and reports errors: a socket (Node's net.Socket) or a pipe (a child's stdio). */
export type StreamKind = "socket" | "readPipe" | "writePipe";

/** What a stream tells its owner (the socket or process part of the driver). */
export interface StreamOwner {
  emit(event: HostEvent): void;
  emitLater(event: HostEvent): void;
  /** The stream emitted `closed`: forget its id. */
  forget(stream: DenoStream): void;
}

/** One byte stream resource, by id. */
export class DenoStream {
  /** The loop asked for no data (sockets start paused; pipes flow). */
  paused: boolean;
  /** Connected (sockets): errors now ride on `closed`. */
  established = false;
  /** `closed` was emitted (or the driver detached): nothing more is emitted. */
  closed = false;
  /** A TLS upgrade is under way: reads and writes wait for it. */
  upgrading = false;
  /** The host object behind it (`getExtraInfo("socket")`). */
  hostObject: unknown = null;
  /** The permission its operations need, for messages. */
  flag: DenoFlag | null = null;
  /** Turns a host error into data (TLS streams name TLS failures). */
  toWire: (err: unknown) => WireError = (err) => denoWire(err, this.flag);
  /**
   * Called once it is closed, after `closed` (a TLS tunnel releases its raw side): `graceful`
   * after a close that flushed, false after an abort or an error.
   */
  onClosed: ((graceful: boolean) => void) | null = null;

  private reading = false;
  /** A chunk (or EOF: null) read while paused, delivered on resume. */
  private held: Uint8Array | null | undefined = undefined;
  private readEnded = false;
  private writeEnded = false;
  private eofQueued = false;
  /** Items still to be written on the old `io` before a TLS upgrade takes over (-1: no upgrade). */
  private rawLeft = -1;
  private rawDone: (() => void) | null = null;
  private closing = false;
  private error: WireError | null = null;
  private queue: (Uint8Array | typeof EOF | typeof CLOSE | undefined)[] = [];
  private head = 0;
  private pumping = false;

  constructor(
    private readonly owner: StreamOwner,
    readonly id: number,
    readonly kind: StreamKind,
    public io: ByteIO | null,
  ) {
    this.paused = kind === "socket";
  }

  /** Start reading now (a pipe at spawn; a socket only once the loop resumes it). */
  start(): void {
    if (!this.paused && this.kind !== "writePipe") this.kick();
  }

  /** A stream command from the loop. Never emits synchronously. */
  command(command: Command): void {
    switch (command.op) {
      case "write":
        return this.write(command.bytes);
      case "writeEof":
        if (this.kind === "readPipe" || this.eofQueued) return;
        this.eofQueued = true;
        return this.enqueue(EOF);
      case "pauseReading":
        this.paused = true;
        return;
      case "resumeReading":
        if (!this.paused) return;
        this.paused = false;
        queueMicrotask(() => this.kick());
        return;
      case "close":
        if (this.kind === "readPipe" || this.io === null) return this.abort();
        if (this.closing) return;
        this.closing = true;
        return this.enqueue(CLOSE);
      case "abort":
        return this.abort();
      default:
        return;
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  /** Deliver what was held while paused, then read on (unless paused, ended or upgrading). */
  kick(): void {
    if (this.closed || this.paused || this.upgrading) return;
    if (this.held !== undefined) {
      const chunk = this.held;
      this.held = undefined;
      this.deliver(chunk);
    }
    if (!this.reading && !this.readEnded && !this.closed && !this.paused && this.io !== null) void this.readLoop(this.io);
  }

  private async readLoop(io: ByteIO): Promise<void> {
    this.reading = true;
    try {
      while (!this.paused && !this.closed && !this.readEnded && !this.upgrading && this.io === io) {
        let chunk: Uint8Array | null;
        try {
          chunk = await io.read();
        } catch (err) {
          if (!this.closed && this.io === io) this.fail(err);
          return;
        }
        if (this.closed) return;
        if (this.io !== io || this.upgrading) {
          this.onStaleRead?.(chunk);
          return;
        }
        if (this.paused) {
          this.held = chunk;
          return;
        }
        this.deliver(chunk);
      }
    } finally {
      this.reading = false;
    }
  }

  /** Bytes that were read from the old `io` after a TLS upgrade began: the tunnel's. */
  onStaleRead: ((chunk: Uint8Array | null) => void) | null = null;

  /** Whether a read is in flight (a TLS upgrade waits for it). */
  get readInFlight(): boolean {
    return this.reading;
  }

  private deliver(chunk: Uint8Array | null): void {
    if (chunk !== null) {
      if (chunk.length === 0) return; // asyncio never hands a protocol empty data
      this.owner.emit({ kind: "data", id: this.id, bytes: chunk });
      return;
    }
    this.readEnded = true;
    this.owner.emit({ kind: "eof", id: this.id });
    if (this.kind === "readPipe") this.finish(null);
    else this.maybeDone();
  }

  // ---- writing ------------------------------------------------------------------------------

  private write(bytes: Uint8Array): void {
    if (this.closed || this.closing || this.eofQueued) {
      if (this.kind === "writePipe" && !this.closed) {
        this.owner.emitLater({ kind: "error", id: this.id, error: { name: "BrokenPipeError", code: "EPIPE", message: "write to a closed pipe" } });
      }
      return; // a socket: `closed` is on its way
    }
    this.enqueue(bytes);
  }

  private enqueue(item: Uint8Array | typeof EOF | typeof CLOSE): void {
    if (this.closed) return;
    this.queue.push(item);
    if (!this.pumping) void this.pump();
  }

  /** Write the queue in order, one item at a time; `flushed` after each write. */
  private async pump(): Promise<void> {
    this.pumping = true;
    await undefined; // never emit from inside `send`
    try {
      while (this.head < this.queue.length && !this.closed) {
        if (this.rawLeft === 0) return; // a TLS upgrade takes over from here: it restarts the pump
        if (this.rawLeft > 0) this.rawLeft--;
        const item = this.queue[this.head];
        this.queue[this.head++] = undefined;
        const io = this.io;
        if (io === null) return;
        if (item === EOF) {
          if (this.writeEnded) continue;
          try {
            await io.closeWrite();
          } catch (err) {
            if (!this.closed && !isClosedResource(err)) this.fail(err);
            return;
          }
          this.writeEnded = true;
          if (this.kind === "writePipe") this.finish(null);
          else this.maybeDone();
          continue;
        }
        if (item === CLOSE) {
          // graceful: everything queued is written; send EOF, then let it go
          if (!this.writeEnded && this.kind !== "readPipe") {
            try {
              await io.closeWrite();
            } catch {
              // the peer is gone already: closing anyway
            }
          }
          this.finish(null, true);
          return;
        }
        if (item === undefined) continue;
        try {
          await io.write(item);
        } catch (err) {
          if (!this.closed) this.fail(err);
          return;
        }
        if (this.closed) return;
        this.owner.emit({ kind: "flushed", id: this.id, n: item.length });
      }
    } finally {
      this.pumping = false;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      if (this.rawLeft <= 0 && this.rawDone !== null) {
        const done = this.rawDone;
        this.rawDone = null;
        done();
      }
    }
  }

  // ---- TLS upgrade (io/deno-tls.ts) ---------------------------------------------------------

  /**
   * A TLS upgrade begins: no more `data` (a read in flight hands its bytes to `onStaleRead`),
   * and the writes queued so far still go to the current `io`. Resolves once they are written;
   * returns what was read while paused (raw bytes for the tunnel), or undefined.
   */
  beginUpgrade(): { rawWritten: Promise<void>; held: Uint8Array | null | undefined } {
    this.upgrading = true;
    const held = this.held;
    this.held = undefined;
    this.rawLeft = this.queue.length - this.head;
    const rawWritten = this.pumping || this.rawLeft > 0
      ? new Promise<void>((resolve) => (this.rawDone = resolve))
      : Promise.resolve();
    if (!this.pumping && this.rawLeft > 0) void this.pump();
    return { rawWritten, held };
  }

  /** The upgrade is done: `io` is the TLS connection now; reading and writing go on there. */
  endUpgrade(io: ByteIO): void {
    this.io = io;
    this.upgrading = false;
    this.rawLeft = -1;
    this.onStaleRead = null;
    if (!this.pumping && this.head < this.queue.length) void this.pump();
    this.kick();
  }

  /** The upgrade failed: an `error` event, then the connection goes (`closed` with no error). */
  failUpgrade(error: WireError): void {
    if (this.closed) return;
    this.owner.emit({ kind: "error", id: this.id, error });
    this.finish(null);
  }

  // ---- ending -------------------------------------------------------------------------------

  /** A socket ends by itself once both sides sent EOF (Node's allowHalfOpen sockets do). */
  private maybeDone(): void {
    if (this.kind === "socket" && this.readEnded && this.writeEnded) this.finish(null, true);
  }

  /** An error from the host: a socket reports it on `closed`, a pipe as `error` then `closed`. */
  fail(err: unknown): void {
    if (this.closed) return;
    const wire = this.toWire(err);
    if (this.upgrading) return this.failUpgrade(wire);
    if (this.kind === "socket") {
      if (this.error === null) this.error = wire;
      this.finish(this.error);
      return;
    }
    this.owner.emit({ kind: "error", id: this.id, error: wire });
    this.finish(null);
  }

  /** Close at once, dropping queued writes; `closed` follows from a microtask. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.owner.emitLater({ kind: "closed", id: this.id, error: null });
    this.afterClose(false);
  }

  private finish(error: WireError | null, graceful = false): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.owner.emit({ kind: "closed", id: this.id, error: this.kind === "socket" ? error : null });
    this.afterClose(graceful);
  }

  private release(): void {
    this.queue.length = 0;
    this.head = 0;
    this.held = undefined;
    this.io?.close();
  }

  private afterClose(graceful: boolean): void {
    this.owner.forget(this);
    const cb = this.onClosed;
    this.onClosed = null;
    cb?.(graceful);
  }

  /** The loop closed: release silently. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    const cb = this.onClosed;
    this.onClosed = null;
    cb?.(false);
  }
}
