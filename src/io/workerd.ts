// The Cloudflare workerd driver: the generic clock/timers/promises driver plus outbound TCP and
// TLS through `connect()` from `cloudflare:sockets`. workerd has no listening sockets, no
// processes, signals, UDP, Unix sockets or worker pools: those commands throw
// NotImplementedError (the loop side checks `supports()` first, so the user sees it at the call).
//
// Where `connect` comes from: `new WorkerdDriver({ connect })` takes it from the user (a worker
// that imports `cloudflare:sockets` itself); otherwise the driver imports `cloudflare:sockets`
// on the first connect, with a specifier held in a variable so that bundlers (rollup, esbuild,
// wrangler) leave the import alone and the same bundle still loads in Node and browsers.
//
// workerd binds every I/O object to the request that made it: a socket (and a timer) made while
// serving one request cannot be used from another. So it is one loop per request (`run()` inside
// the fetch handler, see `runForRequest`), and this file keeps no socket, promise or reader in
// module state — only the `connect` function once it is loaded.
//
// Conventions shared with io/node-net.ts, which the loop side (streams/transports.ts,
// streams/sockets.ts) relies on:
// - A connection starts paused: nothing is read until `resumeReading`. A read that was already
//   under way when `pauseReading` came is held and delivered on resume (workerd cannot take back
//   a pending read), so no `data` event arrives while the loop has reading paused.
// - `connected` comes once `socket.opened` resolved (for TLS: after the handshake); a failed
//   connect is one `error` event, then `closed`.
// - After that, an error rides on the `closed` event, always the connection's last event.
// - Each write's promise becomes a `flushed` event with the byte count (one pair of callbacks per
//   connection pops the sizes in order: no closure per write).
// - The peer's EOF is an `eof` event; the socket stays open for writing (`allowHalfOpen`) until
//   the loop closes it, or its own EOF was sent too (then `closed`, as Node's 'close').
//
// What workerd does not tell: its connect errors do not say why ("proxy request failed, cannot
// connect to the specified address" for a refused port, an unknown name, an address the worker's
// network service does not allow, and a certificate that did not verify alike); they are reported
// as ConnectionRefusedError (ECONNREFUSED) with workerd's words. A connection that breaks later
// ("Network connection lost.") is ECONNRESET. `sockname` is null (workerd gives no local
// address) and `peername` is the host and port as dialled (workerd does not resolve it for us).

import { NotImplementedError } from "../errors.js";
import type { Address, Command, Feature, HostEvent, TlsOptions, WireError } from "./driver.js";
import { TimersDriver, describeCommand } from "./timers.js";

// ---- the part of `cloudflare:sockets` used here (structural types) --------------------------------

/** What `socket.opened` resolves with. */
export interface WorkerdSocketInfo {
  remoteAddress?: string | null;
  localAddress?: string | null;
}

/** A socket from `connect()` of `cloudflare:sockets`. */
export interface WorkerdSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened: Promise<WorkerdSocketInfo>;
  readonly closed: Promise<void>;
  close(): Promise<void>;
  startTls(options?: Record<string, unknown>): WorkerdSocket;
}

/** `connect` from `cloudflare:sockets`. */
export type WorkerdConnect = (
  address: { hostname: string; port: number } | string,
  options?: { secureTransport?: "off" | "on" | "starttls"; allowHalfOpen?: boolean },
) => WorkerdSocket;

/** `new WorkerdDriver(options)`. */
export interface WorkerdDriverOptions {
  /**
   * `connect` from `cloudflare:sockets`. Default: the driver imports it on the first connection
   * (pass it when your bundler or test runner cannot leave that import to workerd).
   */
  connect?: WorkerdConnect;
}

const ignore = (): void => undefined;

/** Held in a variable so that bundlers leave `import()` of it to workerd. */
const SOCKETS_MODULE = "cloudflare:sockets";

/** The `connect` function once loaded (a function is safe to share between requests; a promise is not). */
let loadedConnect: WorkerdConnect | null = null;

function importConnect(): Promise<WorkerdConnect> {
  const specifier = SOCKETS_MODULE;
  return (import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<{ connect?: unknown }>).then((mod) => {
    if (typeof mod.connect !== "function") throw new TypeError(`${SOCKETS_MODULE} has no connect()`);
    loadedConnect = mod.connect as WorkerdConnect;
    return loadedConnect;
  });
}

/** workerd's own errors carry no errno: name the ones the loop maps to OSError classes. */
function toWire(err: unknown, code: string): WireError {
  if (err instanceof Error) {
    const wire: WireError = { name: err.name, message: err.message, code };
    if (err.stack !== undefined) wire.stack = err.stack;
    return wire;
  }
  return { name: "Error", message: String(err), code };
}

/** "127.0.0.1:8080", "[::1]:8080", "example.com:443" → [host, port]; null when there is none. */
function parseAddress(text: string | null | undefined): [string, number] | null {
  if (typeof text !== "string" || text === "") return null;
  const colon = text.lastIndexOf(":");
  if (colon <= 0) return null;
  let host = text.slice(0, colon);
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port)) return null;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return [host, port];
}

/**
 * The TLS settings workerd can honour, or a NotImplementedError naming what it cannot. workerd
 * verifies every certificate against the trust store of the worker's network service (the
 * config's `tlsOptions`), always checks the host name it dialled, and has no client
 * certificates, ALPN or version limits per connection. `ca` is accepted (so one program runs on
 * Node and workerd) and left to that trust store: it can only make verification stricter.
 */
function checkTls(tls: TlsOptions, host: string, where: string): void {
  const options = tls.options ?? {};
  const refuse = (what: string) => {
    throw new NotImplementedError(`${what} is not available on workerd (${where}): ${TLS_HINT}`);
  };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || value === null) continue;
    if (key === "ca") continue;
    if (key === "rejectUnauthorized") {
      if (value === false) refuse("turning certificate verification off (verifyMode 'none', rejectUnauthorized: false)");
      continue;
    }
    if (key === "checkHostname") {
      if (value === false) refuse("turning the host name check off (checkHostname: false)");
      continue;
    }
    if (key === "cert" || key === "key" || key === "pfx" || key === "passphrase") refuse("a client certificate");
    else if (key === "ALPNProtocols") refuse("ALPN (alpnProtocols)");
    else if (key === "minVersion" || key === "maxVersion") refuse("limiting TLS versions (minimumVersion, maximumVersion)");
    else refuse(`the TLS option '${key}'`);
  }
  const name = tls.serverHostname;
  if (name === "") refuse("skipping the host name check (serverHostname: '')");
  if (name != null && name !== host) {
    refuse(`verifying the certificate against another name than the host dialled (serverHostname '${name}' for '${host}')`);
  }
}

const TLS_HINT =
  "workerd verifies every server certificate against the host dialled and the trust store of the worker's " +
  "network service (in the workerd config: network = (allow = [...], tlsOptions = (trustedCertificates = [...])))";

// ---- one connection -----------------------------------------------------------------------------------

class Conn {
  socket: WorkerdSocket | null = null;
  reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  /** The loop asked for no data (every connection starts paused). */
  paused = true;
  /** A `reader.read()` is under way. */
  reading = false;
  /** A read that completed while paused: delivered on resume. */
  held: ReadableStreamReadResult<Uint8Array> | null = null;
  /** The peer's EOF was read. */
  eof = false;
  /** Connected (and handshaken): errors now ride on `closed`. */
  established = false;
  /** A TLS upgrade is under way: nothing is read until it is done. */
  upgrading = false;
  /** Our EOF was asked for (`writeEof`, or a graceful close). */
  writeEnded = false;
  /** Our EOF went out. */
  writeDone = false;
  /** `close` was asked for: end once the writes are flushed. */
  closing = false;
  closed = false;
  /** Sizes of the writes not yet flushed, in order; `head` is the next one. */
  private sizes: number[] = [];
  private head = 0;

  constructor(
    private readonly net: WorkerdNet,
    readonly id: number,
    /** The host dialled: workerd verifies certificates (also after an upgrade) against it. */
    readonly host: string,
  ) {}

  // ---- reading ----

  pump(): void {
    if (this.reading || this.paused || this.upgrading || this.eof || this.closed || this.reader === null) return;
    this.reading = true;
    this.reader.read().then(this.onRead, this.onReadError);
  }

  private readonly onRead = (result: ReadableStreamReadResult<Uint8Array>): void => {
    this.reading = false;
    if (this.closed) return;
    if (this.paused || this.upgrading) {
      this.held = result;
      return;
    }
    this.deliver(result);
    this.pump();
  };

  private readonly onReadError = (err: unknown): void => {
    this.reading = false;
    if (this.closed || this.upgrading) return; // the upgrade cancelled this read on purpose
    this.fail(toWire(err, "ECONNRESET"));
  };

  private deliver(result: ReadableStreamReadResult<Uint8Array>): void {
    if (result.done) {
      this.eof = true;
      this.net.emit({ kind: "eof", id: this.id });
      this.maybeEnd();
      return;
    }
    const bytes = result.value;
    if (bytes !== undefined && bytes.byteLength > 0) this.net.emit({ kind: "data", id: this.id, bytes });
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    if (this.upgrading || this.closed) return;
    const held = this.held;
    if (held !== null) {
      this.held = null;
      // inside `send`: the event may not be emitted (and the loop woken) from here
      queueMicrotask(() => {
        if (this.closed) return;
        this.deliver(held);
        this.pump();
      });
      return;
    }
    this.pump();
  }

  // ---- writing ----

  private readonly onWritten = (): void => {
    const n = this.popSize();
    if (!this.closed && n !== undefined) this.net.emit({ kind: "flushed", id: this.id, n });
  };

  private readonly onWriteError = (err: unknown): void => {
    this.popSize();
    if (this.closed) return;
    this.fail(toWire(err, "ECONNRESET"));
  };

  private popSize(): number | undefined {
    const n = this.sizes[this.head];
    this.sizes[this.head++] = 0;
    if (this.head === this.sizes.length) {
      this.sizes.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.sizes.length) {
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    return n;
  }

  write(bytes: Uint8Array): void {
    if (this.closed || this.writeEnded || this.writer === null) return; // `closed` is on its way
    this.sizes.push(bytes.length);
    if (this.upgrading) {
      // the handshake is under way: these go out over TLS once it is done
      (this.queued ??= []).push(bytes);
      return;
    }
    this.writer.write(bytes).then(this.onWritten, this.onWriteError);
  }

  /** Writes the loop made during a TLS upgrade, sent once it is done. */
  private queued: Uint8Array[] | null = null;

  private flushQueued(): void {
    const queued = this.queued;
    this.queued = null;
    if (queued === null || this.writer === null) return;
    for (const bytes of queued) this.writer.write(bytes).then(this.onWritten, this.onWriteError);
  }

  private readonly onWriteEnded = (): void => {
    this.writeDone = true;
    if (this.closing) this.end(null);
    else this.maybeEnd();
  };

  /** Send our EOF once the writes before it are flushed (WritableStream.close waits for them). */
  writeEof(): void {
    if (this.closed || this.writeEnded || this.writer === null) return;
    this.writeEnded = true;
    this.writer.close().then(this.onWriteEnded, this.onWriteError);
  }

  // ---- ending ----

  /** Graceful close: flush, send EOF, then close the socket (asyncio closes the fd once flushed). */
  close(): void {
    if (this.closed) return;
    // not connected yet, or mid-handshake: nothing to flush that could still arrive intact
    if (!this.established || this.upgrading || this.writer === null) return this.abort();
    this.closing = true;
    if (this.writeDone) {
      queueMicrotask(() => this.end(null));
      return;
    }
    if (!this.writeEnded) this.writeEof();
  }

  /** Close at once, dropping unflushed writes. */
  abort(): void {
    if (this.closed) return;
    // inside `send`: the `closed` event goes out from a microtask
    queueMicrotask(() => this.end(null));
  }

  /** Both directions are done (our EOF went out, the peer's came in): the connection is over. */
  private maybeEnd(): void {
    if (this.eof && this.writeDone && !this.closed) this.end(null);
  }

  /** Something failed: before `connected` (or during an upgrade) an `error` event, else on `closed`. */
  fail(wire: WireError): void {
    if (this.closed) return;
    if (!this.established || this.upgrading) {
      this.net.emit({ kind: "error", id: this.id, error: wire });
      this.end(null);
      return;
    }
    this.end(wire);
  }

  /** The last act: release the socket, emit `closed`. */
  end(error: WireError | null): void {
    if (this.closed) return;
    this.closed = true;
    this.held = null;
    this.queued = null;
    const socket = this.socket;
    if (socket !== null) {
      // a pending read or write settles now (ignored: `closed` is set); a close of a socket
      // that failed may reject too
      socket.close().catch(ignore);
    }
    this.net.forget(this.id);
    this.net.emit({ kind: "closed", id: this.id, error });
  }

  /** Take the socket's streams (a new connection, or the socket a TLS upgrade returned). */
  attach(socket: WorkerdSocket): void {
    this.socket = socket;
    this.reader = socket.readable.getReader();
    this.writer = socket.writable.getWriter();
    // these reject when the connection breaks, which the reads and writes report already
    this.reader.closed.catch(ignore);
    this.writer.closed.catch(ignore);
    socket.closed.catch(ignore);
  }

  /**
   * STARTTLS. workerd's `startTls()` waits for both streams to be unlocked, and a reader with a
   * pending read cannot be released: that read is cancelled (plaintext the peer sent after the
   * loop asked for the upgrade is dropped; a STARTTLS peer sends none before the handshake).
   */
  startTls(): void {
    const socket = this.socket;
    const reader = this.reader;
    const writer = this.writer;
    if (socket === null || reader === null || writer === null || this.closed) return;
    this.upgrading = true;
    const cancelled = this.reading ? reader.cancel().catch(ignore) : Promise.resolve();
    cancelled
      .then(() => {
        if (this.closed) return;
        this.reading = false;
        // a read that completed while paused (or just before the cancel) is plaintext the loop has not seen
        const held = this.held;
        this.held = null;
        if (held !== null && !held.done && held.value !== undefined && held.value.byteLength > 0) {
          this.net.emit({ kind: "data", id: this.id, bytes: held.value });
        }
        reader.releaseLock();
        writer.releaseLock();
        const secure = socket.startTls();
        this.attach(secure);
        return secure.opened.then(() => {
          if (this.closed) return;
          this.upgrading = false;
          this.net.emit({ kind: "tlsUpgraded", id: this.id, peercert: null, cipher: null });
          this.flushQueued();
          this.pump();
        });
      })
      .catch((err: unknown) => this.fail(toWire(err, "ECONNRESET")));
  }
}

// ---- the socket part of the driver --------------------------------------------------------------------

/** How long (ms) a closed id stays claimed, so commands racing its `closed` event are ignored. */
const TOMBSTONE_MS = 30_000;

class WorkerdNet {
  private readonly conns = new Map<number, Conn>();
  private readonly tombstones = new Map<number, number>();

  constructor(
    private readonly driver: WorkerdDriver,
    private connectFn: WorkerdConnect | null,
  ) {}

  emit(event: HostEvent): void {
    this.driver._emit(event);
  }

  forget(id: number): void {
    this.conns.delete(id);
    const now = Date.now();
    this.tombstones.set(id, now);
    if (this.tombstones.size > 64) {
      for (const [old, at] of this.tombstones) {
        if (now - at < TOMBSTONE_MS) break;
        this.tombstones.delete(old);
      }
    }
  }

  hostObject(id: number): unknown {
    return this.conns.get(id)?.socket ?? null;
  }

  detach(): void {
    for (const conn of this.conns.values()) {
      conn.closed = true;
      conn.socket?.close().catch(ignore);
    }
    this.conns.clear();
    this.tombstones.clear();
  }

  /** Whether this is a command for a connection this driver made (or made recently). */
  owns(id: number): boolean {
    return this.conns.has(id) || this.tombstones.has(id);
  }

  connect(id: number, host: string, port: number, localAddr: [string, number] | null | undefined, tls: TlsOptions | null | undefined): void {
    if (localAddr != null) {
      throw new NotImplementedError("binding a local address (localAddr) is not available on workerd: connect() chooses it");
    }
    if (tls != null) checkTls(tls, host, "openConnection/createConnection");
    const conn = new Conn(this, id, host);
    this.conns.set(id, conn);
    const connect = this.connectFn ?? loadedConnect;
    if (connect !== null) {
      this.open(conn, connect, host, port, tls != null);
      return;
    }
    importConnect().then(
      (fn) => {
        if (conn.closed) return;
        this.open(conn, fn, host, port, tls != null);
      },
      (err: unknown) => {
        const why = err instanceof Error ? err.message : String(err);
        conn.fail({ name: "NotImplementedError", message: `TCP connections need ${SOCKETS_MODULE} (workerd): importing it failed: ${why}` });
      },
    );
  }

  private open(conn: Conn, connect: WorkerdConnect, host: string, port: number, tls: boolean): void {
    let socket: WorkerdSocket;
    try {
      // "starttls" keeps a plain connection upgradable (StreamWriter.startTls)
      socket = connect({ hostname: host, port }, { secureTransport: tls ? "on" : "starttls", allowHalfOpen: true });
    } catch (err) {
      queueMicrotask(() => conn.fail(toWire(err, "ECONNREFUSED")));
      return;
    }
    conn.attach(socket);
    const peer = `${host}:${port}`;
    socket.opened.then(
      (info) => {
        if (conn.closed) return;
        conn.established = true;
        const remote: Address = parseAddress(info?.remoteAddress) ?? [host, port];
        const local: Address | null = parseAddress(info?.localAddress);
        this.emit({ kind: "connected", id: conn.id, local, remote, ...(tls ? { peercert: null, cipher: null } : {}) });
        conn.pump();
      },
      (err: unknown) => {
        const wire = toWire(err, "ECONNREFUSED");
        wire.message = `workerd could not connect to ${peer}${tls ? " with TLS" : ""}: ${wire.message} (workerd does not say why: ` +
          `the port refused, the name did not resolve, the worker's network service does not allow the address${tls ? ", or the certificate did not verify" : ""})`;
        conn.fail(wire);
      },
    );
  }

  send(command: Command): void {
    const conn = "id" in command ? this.conns.get(command.id) : undefined;
    switch (command.op) {
      case "connect":
        return this.connect(command.id, command.host, command.port, command.localAddr, command.tls);
      case "write":
        conn?.write(command.bytes);
        return;
      case "writeEof":
        conn?.writeEof();
        return;
      case "pauseReading":
        conn?.pause();
        return;
      case "resumeReading":
        conn?.resume();
        return;
      case "close":
        conn?.close();
        return;
      case "abort":
        conn?.abort();
        return;
      case "startTls": {
        if (conn === undefined) return;
        let problem: string | null = null;
        if (command.serverSide) problem = "the server side of a TLS upgrade is not available on workerd (it has no listening sockets)";
        else {
          try {
            checkTls(command.tls, conn.host, "startTls");
          } catch (err) {
            problem = (err as Error).message;
          }
        }
        if (problem !== null) {
          const message = problem;
          queueMicrotask(() => conn.fail({ name: "NotImplementedError", message }));
          return;
        }
        conn.startTls();
        return;
      }
      default:
        throw new NotImplementedError(`${describeCommand(command)} is not available on workerd`);
    }
  }
}

const NET_OPS = new Set<Command["op"]>(["write", "writeEof", "pauseReading", "resumeReading", "startTls", "close", "abort"]);

/**
 * The driver for Cloudflare workerd (and Cloudflare Workers): clock, timers and promises, plus
 * outbound TCP and TLS connections through `connect()` of `cloudflare:sockets`. No listening
 * sockets, subprocesses, signals, UDP, Unix sockets or worker executors (NotImplementedError at
 * the call). Chosen by default when `navigator.userAgent` is `"Cloudflare-Workers"`; make one
 * yourself to hand it `connect` (then nothing is imported dynamically).
 *
 * Loops must not outlive a request: workerd ties sockets and timers to the request that made
 * them. Run one loop per request (`runForRequest(request, main)` or `run(main)` in `fetch`).
 *
 * @example
 * import { connect } from "cloudflare:sockets";
 * import { run, openConnection, WorkerdDriver } from "wasyncio/manual";
 * export default {
 *   async fetch() {
 *     const body = await run(function* () {
 *       const [reader, writer] = yield* openConnection("example.com", 80);
 *       // …
 *     }, { driver: new WorkerdDriver({ connect }) });
 *     return new Response(body);
 *   },
 * };
 */
export class WorkerdDriver extends TimersDriver {
  private readonly _net: WorkerdNet;

  constructor(options: WorkerdDriverOptions = {}) {
    super("workerd");
    if (options === null || typeof options !== "object") {
      throw new TypeError(`new WorkerdDriver(options): options must be an object, got ${options === null ? "null" : typeof options}`);
    }
    const connect = options.connect;
    if (connect !== undefined && typeof connect !== "function") {
      throw new TypeError(`new WorkerdDriver(options): connect must be the connect function of cloudflare:sockets, got ${connect === null ? "null" : typeof connect}`);
    }
    this._net = new WorkerdNet(this, connect ?? null);
  }

  /** @internal Host callbacks of the socket part queue their events here. */
  _emit(event: HostEvent): void {
    this.emit(event);
  }

  override send(command: Command): void {
    if (command.op === "settle") return super.send(command);
    if (command.op === "connect" || (NET_OPS.has(command.op) && this._net.owns((command as { id: number }).id))) {
      return this._net.send(command);
    }
    super.send(command); // throws NotImplementedError naming the feature and workerd
  }

  override supports(feature: Feature): boolean {
    return feature === "tcp" || feature === "tls";
  }

  override hostObject(id: number): unknown {
    return this._net.hostObject(id);
  }

  override detach(): void {
    this._net.detach();
    super.detach();
  }
}
