// Servers: asyncio's `loop.create_server`, `loop.create_unix_server` and `Server` (CPython 3.13
// base_events.py), over the driver's `listen`, `listenUnix` and `stopListening` commands.
//
// The host accepts connections and names each one (`accepted`, with the child's id); the
// server makes a StreamTransport for it at once (so none of its events is lost) and, while it
// is serving, a protocol from the factory. A server that is not serving yet (`startServing:
// false`) keeps the accepted connections unread until `startServing()` — the client sees its
// connect succeed, as it would with asyncio's listen backlog.

import { EventLoop } from "../loop/event-loop.js";
import { trackCoroutine } from "../loop/debug.js";
import type { Future } from "../tasks/futures.js";
import { sleep, type Coro } from "../tasks/tasks.js";
import { CancelledError, RuntimeError, ValueError, describe, errorFromWire } from "../errors.js";
import type { Address, HostEvent, Resource } from "../io/driver.js";
import { StreamTransport, checkProtocol, type Protocol } from "./transports.js";
import { toSslContext, type SslContext, type SslOption } from "./ssl.js";
import { checkFactory, checkFeature, checkOptions, checkPath, checkPort, checkTimeout, runningLoop, tlsFor } from "./sockets.js";

/** `createServer`'s options (asyncio's keyword arguments, camelCased). */
export interface ServerOptions {
  /** TLS: an `SslContext` with a certificate and key (or its options). */
  ssl?: SslOption;
  /** The listen backlog (default 100). */
  backlog?: number;
  /** `SO_REUSEADDR`: Node always sets it on Unix-like hosts, as asyncio does by default there. */
  reuseAddress?: boolean;
  /** Start accepting at once (default true); else call `startServing()` or `serveForever()`. */
  startServing?: boolean;
  /** Seconds a client's TLS handshake may take (the host's default otherwise). */
  sslHandshakeTimeout?: number | null;
}

/** `createUnixServer`'s options. */
export type UnixServerOptions = Omit<ServerOptions, "reuseAddress">;

declare module "../loop/event-loop.js" {
  interface EventLoop {
    /**
     * Listen on `host`:`port` (port 0: any free port; host `null`: every interface); each
     * connection gets a protocol from `protocolFactory`. Returns the `Server`, serving unless
     * `startServing: false`.
     *
     * @example
     * const server = yield* loop.createServer(() => new EchoProtocol(), "127.0.0.1", 0);
     * const [, port] = server.sockets[0].getsockname() as [string, number];
     */
    createServer(protocolFactory: () => Protocol, host: string | null | undefined, port: number | null | undefined, options?: ServerOptions): Coro<Server>;
    /**
     * `createServer` on a Unix socket at `path` (a stale socket file there is replaced; the
     * file is removed when the server closes).
     *
     * @example
     * const server = yield* loop.createUnixServer(() => new EchoProtocol(), "/tmp/app.sock");
     */
    createUnixServer(protocolFactory: () => Protocol, path: string, options?: UnixServerOptions): Coro<Server>;
  }
}

/**
 * One listening socket of a server (asyncio's `TransportSocket`, reduced to what it reports).
 *
 * @example
 * const [host, port] = server.sockets[0].getsockname() as [string, number];
 */
export class ServerSocket {
  /** @internal */
  constructor(private readonly _address: Address) {}

  /** The bound address: `[host, port]`, or the path of a Unix socket. */
  getsockname(): Address {
    return Array.isArray(this._address) ? [this._address[0], this._address[1]] : this._address;
  }

  /** 'AF_INET', 'AF_INET6' or 'AF_UNIX'. */
  get family(): "AF_INET" | "AF_INET6" | "AF_UNIX" {
    if (!Array.isArray(this._address)) return "AF_UNIX";
    return this._address[0].includes(":") ? "AF_INET6" : "AF_INET";
  }

  toString(): string {
    const a = this._address;
    return `<socket ${Array.isArray(a) ? `${a[0]}:${a[1]}` : a}>`;
  }
}

/**
 * A listening server (asyncio's `Server`): made by `createServer`, `startServer` and their
 * Unix twins.
 *
 * @example
 * const server = yield* startServer(handle, "127.0.0.1", 8888);
 * try { yield* server.serveForever(); } finally { server.close(); yield* server.waitClosed(); }
 */
export class Server implements Resource {
  /** @internal */ readonly _loop: EventLoop;
  /** @internal */ readonly _id: number;
  private readonly _factory: () => unknown;
  private readonly _ssl: SslContext | null;
  private readonly _unix: boolean;
  private _sockets: ServerSocket[] | null = [];
  private readonly _clients = new Set<StreamTransport>();
  /** Accepted while not serving: started by startServing, aborted by close. */
  private _held: StreamTransport[] = [];
  private _waiters: Future<void>[] | null = [];
  private _serving = false;
  private _servingForeverFut: Future<void> | null = null;
  private _listenerOpen = true;
  /** @internal Done when the host is listening (or failed to). */
  readonly _bound: Future<void>;
  private readonly _where: string;

  /** @internal */
  constructor(loop: EventLoop, id: number, factory: () => unknown, ssl: SslContext | null, unix: boolean, where: string) {
    this._loop = loop;
    this._id = id;
    this._factory = factory;
    this._ssl = ssl;
    this._unix = unix;
    this._where = where;
    this._bound = loop.createFuture<void>();
  }

  // ---- host events (Resource) --------------------------------------------------------------------

  /** The loop's, not for users: one host event for this resource (in a loop iteration). */
  onEvent(event: HostEvent): void {
    switch (event.kind) {
      case "listening":
        this._sockets = event.addresses.map((a) => new ServerSocket(a));
        if (!this._bound.done()) this._bound.setResult(undefined);
        return;
      case "error":
        // the bind failed: nothing is listening
        this._listenerOpen = false;
        this._sockets = null;
        this._loop._closeResource(this._id);
        if (!this._bound.done()) {
          const e = event.error;
          this._bound.setException(errorFromWire({ ...e, message: `error while attempting to bind on address ${this._where}: ${e.message}` }));
        }
        this._maybeWakeup();
        return;
      case "accepted":
        this._accept(event);
        return;
      case "closed":
        this._listenerOpen = false;
        this._loop._closeResource(this._id);
        this._maybeWakeup();
        return;
      default:
        return;
    }
  }

  private _accept(event: HostEvent & { kind: "accepted" }): void {
    if (this._sockets === null) {
      // accepted just before close(): drop it, as the kernel resets a closed listener's backlog
      this._loop._send({ op: "abort", id: event.child });
      return;
    }
    const extra: Record<string, unknown> = { peername: event.remote, sockname: event.local };
    if (this._ssl !== null) {
      extra.sslcontext = this._ssl;
      extra.peercert = event.peercert ?? null;
      extra.cipher = event.cipher ?? null;
    }
    const transport = new StreamTransport(this._loop, event.child, {
      extra,
      kind: `${this._ssl !== null ? "TLS" : this._unix ? "Unix" : "TCP"} transport`,
      canWriteEof: this._ssl === null,
      tls: this._ssl !== null,
      owner: this,
    });
    if (this._serving) this._startClient(transport);
    else this._held.push(transport);
  }

  private _startClient(transport: StreamTransport): void {
    let protocol: Protocol;
    try {
      protocol = checkProtocol(this._factory(), `${this}: protocolFactory`);
    } catch (exc) {
      this._loop.callExceptionHandler({ message: "Error on transport creation for incoming connection", exception: exc, transport });
      transport.abort();
      return;
    }
    transport._start(protocol);
  }

  /** @internal */
  _attach(transport: StreamTransport): void {
    this._clients.add(transport);
  }

  /** @internal */
  _detach(transport: StreamTransport): void {
    this._clients.delete(transport);
    this._maybeWakeup();
  }

  /** waitClosed's condition: closed, every connection ended, the listener gone from the host. */
  private _maybeWakeup(): void {
    if (this._sockets !== null || this._clients.size > 0 || this._listenerOpen) return;
    const waiters = this._waiters;
    this._waiters = null;
    if (waiters === null) return;
    for (const w of waiters) if (!w.done()) w.setResult(undefined);
  }

  /** The loop's, not for users: run() ends with this server open: stop listening now. */
  closeForShutdown(): void {
    this.close();
    if (this._listenerOpen) {
      this._listenerOpen = false;
      this._loop._closeResource(this._id);
      this._maybeWakeup();
    }
  }

  // ---- the public API ------------------------------------------------------------------------

  /** The loop the server runs on. */
  getLoop(): EventLoop {
    return this._loop;
  }

  /** Whether it accepts connections. */
  isServing(): boolean {
    return this._serving;
  }

  /** The listening sockets; empty once closed. */
  get sockets(): ServerSocket[] {
    return this._sockets === null ? [] : [...this._sockets];
  }

  /** @internal */
  _startServing(): void {
    if (this._serving || this._sockets === null) return;
    this._serving = true;
    const held = this._held;
    this._held = [];
    for (const t of held) this._startClient(t);
  }

  /**
   * Start accepting connections (a server made with `startServing: false`); harmless if it
   * already does.
   *
   * @example
   * const server = yield* loop.createServer(factory, "127.0.0.1", 0, { startServing: false });
   * yield* server.startServing();
   */
  startServing(): Coro<void> {
    return trackCoroutine(
      (function* (server: Server) {
        server._startServing();
        yield* sleep(0); // as asyncio: one iteration, so the listener is in place
      })(this),
      "Server.startServing",
    );
  }

  /**
   * Stop listening. Connections already made stay open (`closeClients()` / `abortClients()`
   * end them); `waitClosed()` returns once they have ended.
   *
   * @example
   * server.close(); yield* server.waitClosed();
   */
  close(): void {
    const sockets = this._sockets;
    if (sockets === null) return;
    this._sockets = null;
    if (this._listenerOpen) this._loop._send({ op: "stopListening", id: this._id });
    this._serving = false;
    const held = this._held;
    this._held = [];
    for (const t of held) t.abort();
    const fut = this._servingForeverFut;
    if (fut !== null && !fut.done()) {
      fut.cancel();
      this._servingForeverFut = null;
    }
    this._maybeWakeup();
  }

  /** Close every connection of this server (gracefully: buffered data is sent). */
  closeClients(): void {
    for (const t of Array.from(this._clients)) t.close();
  }

  /** Abort every connection of this server (buffered data is dropped). */
  abortClients(): void {
    for (const t of Array.from(this._clients)) t.abort();
  }

  /**
   * Wait until the server is closed and all its connections have ended (asyncio 3.12.1+):
   * called before `close()`, it waits for `close()` too.
   *
   * @example
   * server.close(); server.closeClients(); yield* server.waitClosed();
   */
  waitClosed(): Coro<void> {
    return trackCoroutine(
      (function* (server: Server) {
        if (server._waiters === null) return;
        const waiter = server._loop.createFuture<void>();
        server._waiters.push(waiter);
        yield* waiter;
      })(this),
      "Server.waitClosed",
    );
  }

  /**
   * Serve until cancelled: start serving if needed, then wait. Cancelling it (or `close()`)
   * closes the server and waits for it to be closed; the `CancelledError` goes on.
   *
   * @example
   * const serving = createTask(server.serveForever());
   * // later: serving.cancel();
   */
  serveForever(): Coro<never> {
    return trackCoroutine(
      (function* (server: Server): Coro<never> {
        if (server._servingForeverFut !== null) {
          throw new RuntimeError(`server ${server} is already being awaited on serveForever()`);
        }
        if (server._sockets === null) throw new RuntimeError(`server ${server} is closed`);
        server._startServing();
        const fut = server._loop.createFuture<void>();
        server._servingForeverFut = fut;
        try {
          yield* fut;
        } catch (exc) {
          if (exc instanceof CancelledError) {
            try {
              server.close();
              yield* server.waitClosed();
            } finally {
              // eslint-disable-next-line no-unsafe-finally
              throw exc;
            }
          }
          throw exc;
        } finally {
          if (server._servingForeverFut === fut) server._servingForeverFut = null;
        }
        throw new RuntimeError("serveForever() ended without being cancelled");
      })(this),
      "Server.serveForever",
    );
  }

  toString(): string {
    return `<Server sockets=[${this.sockets.map(String).join(", ")}]>`;
  }
}

// ---- createServer / createUnixServer ---------------------------------------------------------------

function checkBacklog(value: unknown, where: string): number {
  if (value === undefined || value === null) return 100;
  if (typeof value !== "number" || !Number.isInteger(value)) throw new TypeError(`${where}: backlog must be an integer, got ${describe(value)}`);
  if (value < 0) throw new ValueError(`${where}: backlog must be >= 0, got ${value}`);
  return value;
}

function checkBool(value: unknown, where: string, name: string, dflt: boolean): boolean {
  if (value === undefined || value === null) return dflt;
  if (typeof value !== "boolean") throw new TypeError(`${where}: ${name} must be a boolean, got ${describe(value)}`);
  return value;
}

function* serve(loop: EventLoop, server: Server, command: Parameters<EventLoop["_send"]>[0], start: boolean): Coro<Server> {
  loop._openResource(server._id, server);
  try {
    loop._send(command);
  } catch (exc) {
    loop._closeResource(server._id);
    throw exc;
  }
  try {
    yield* server._bound;
  } catch (exc) {
    if (exc instanceof CancelledError) server.closeForShutdown();
    throw exc;
  }
  if (start) {
    server._startServing();
    yield* sleep(0);
  }
  return server;
}

/** @internal createServer after its arguments were checked (startServer shares it). */
export function serveTcp(loop: EventLoop | null, factory: () => unknown, host: string | null, port: number, o: Partial<ServerOptions>, where: string, track = "createServer"): Coro<Server> {
  const ssl = toSslContext(o.ssl, where, true);
  const backlog = checkBacklog(o.backlog, where);
  const reuseAddress = checkBool(o.reuseAddress, where, "reuseAddress", true);
  const start = checkBool(o.startServing, where, "startServing", true);
  if (o.sslHandshakeTimeout != null) checkTimeout(o.sslHandshakeTimeout, ssl, where);
  checkFeature(loop, "tcpServer", "TCP servers");
  const addr = host === null ? `('', ${port})` : `('${host}', ${port})`;
  return trackCoroutine(
    (function* () {
      const running = loop ?? runningLoop(where);
      checkFeature(running, "tcpServer", "TCP servers");
      const id = running._newResourceId();
      const server = new Server(running, id, factory, ssl, false, addr);
      const tls = tlsFor(ssl, true, null);
      if (tls !== null && o.sslHandshakeTimeout != null) tls.options = { ...tls.options, handshakeTimeout: Math.ceil(o.sslHandshakeTimeout * 1000) };
      return yield* serve(running, server, { op: "listen", id, host, port, backlog, reuseAddress, tls }, start);
    })(),
    track,
  );
}

/** @internal createUnixServer after its arguments were checked. */
export function serveUnix(loop: EventLoop | null, factory: () => unknown, path: string, o: Partial<UnixServerOptions>, where: string, track = "createUnixServer"): Coro<Server> {
  const ssl = toSslContext(o.ssl, where, true);
  const backlog = checkBacklog(o.backlog, where);
  const start = checkBool(o.startServing, where, "startServing", true);
  if (o.sslHandshakeTimeout != null) checkTimeout(o.sslHandshakeTimeout, ssl, where);
  checkFeature(loop, "unix", "Unix sockets");
  return trackCoroutine(
    (function* () {
      const running = loop ?? runningLoop(where);
      checkFeature(running, "unix", "Unix sockets");
      const id = running._newResourceId();
      const server = new Server(running, id, factory, ssl, true, `'${path}'`);
      const tls = tlsFor(ssl, true, null);
      if (tls !== null && o.sslHandshakeTimeout != null) tls.options = { ...tls.options, handshakeTimeout: Math.ceil(o.sslHandshakeTimeout * 1000) };
      return yield* serve(running, server, { op: "listenUnix", id, path, backlog, tls }, start);
    })(),
    track,
  );
}

/** @internal host: a string, or null/undefined/"" for every interface. */
export function checkServerHost(host: unknown, where: string): string | null {
  if (host === undefined || host === null || host === "") return null;
  if (typeof host !== "string") throw new TypeError(`${where}: host must be a string or null, got ${describe(host)}`);
  return host;
}

/** @internal `loop.createServer`, put on the prototype by streams/install.ts. */
export function loopCreateServer(
  this: EventLoop,
  protocolFactory: () => Protocol,
  host: string | null | undefined,
  port: number | null | undefined,
  options?: ServerOptions,
): Coro<Server> {
  const where = "createServer(protocolFactory, host, port)";
  const factory = checkFactory(protocolFactory, where);
  const h = checkServerHost(host, where);
  const p = port === null || port === undefined ? 0 : checkPort(port, where);
  const o = checkOptions<ServerOptions>(options, where, ["ssl", "backlog", "reuseAddress", "startServing", "sslHandshakeTimeout"]);
  return serveTcp(this, factory, h, p, o, where);
}

/** @internal `loop.createUnixServer`, put on the prototype by streams/install.ts. */
export function loopCreateUnixServer(
  this: EventLoop,
  protocolFactory: () => Protocol,
  path: string,
  options?: UnixServerOptions,
): Coro<Server> {
  const where = "createUnixServer(protocolFactory, path)";
  const factory = checkFactory(protocolFactory, where);
  checkPath(path, where);
  const o = checkOptions<UnixServerOptions>(options, where, ["ssl", "backlog", "startServing", "sslHandshakeTimeout"]);
  return serveUnix(this, factory, path, o, where);
}
