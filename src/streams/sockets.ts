// Connecting: asyncio's `loop.create_connection`, `loop.create_unix_connection` and
// `loop.start_tls` (CPython 3.13 base_events.py, unix_events.py), over the driver's `connect`,
// `connectUnix` and `startTls` commands. The socket is the host's; the loop keeps a
// StreamTransport for it (transports.ts). Also the argument checks that servers share.

import { EventLoop } from "../loop/event-loop.js";
import { trackCoroutine } from "../loop/debug.js";
import { _getRunningLoop } from "../loop/running.js";
import { Future } from "../tasks/futures.js";
import type { Coro } from "../tasks/tasks.js";
import { CancelledError, ConnectionError, NotImplementedError, RuntimeError, TimeoutError, ValueError, checkSeconds, describe } from "../errors.js";
import type { Address, Feature, HostEvent, Resource, TlsOptions } from "../io/driver.js";
import { StreamTransport, checkProtocol, type Protocol, type Transport } from "./transports.js";
import { SslContext, toSslContext, tlsErrorFromWire, type SslOption } from "./ssl.js";

/** asyncio's default TLS handshake timeout, in seconds. */
export const SSL_HANDSHAKE_TIMEOUT = 60.0;

/** `createConnection`'s options (asyncio's keyword arguments, camelCased). */
export interface ConnectionOptions {
  /** TLS: `true` (verify against the host's CAs), an `SslContext`, or its options. */
  ssl?: SslOption;
  /** The name to verify the server's certificate against (and send as SNI); default: `host`. `""` skips the check. */
  serverHostname?: string | null;
  /** Bind the socket to this `[host, port]` before connecting. */
  localAddr?: [string, number] | null;
  /** Seconds the TLS handshake may take (default 60). */
  sslHandshakeTimeout?: number | null;
}

/** `createUnixConnection`'s options. */
export interface UnixConnectionOptions {
  ssl?: SslOption;
  /** Required with `ssl`: a Unix socket has no host name to check. */
  serverHostname?: string | null;
  sslHandshakeTimeout?: number | null;
}

/** `startTls`'s options. */
export interface StartTlsOptions {
  /** Upgrade the server's end (default false: the client's). */
  serverSide?: boolean;
  /** The name to verify the server's certificate against (clients). */
  serverHostname?: string | null;
  /** Seconds the handshake may take (default 60). */
  sslHandshakeTimeout?: number | null;
}

declare module "../loop/event-loop.js" {
  interface EventLoop {
    /**
     * Open a TCP (or TLS) connection to `host`:`port`; the protocol made by `protocolFactory`
     * gets its events. Returns `[transport, protocol]` once `connectionMade` has run.
     * A refused connection raises `ConnectionRefusedError`; a failed TLS handshake `SSLError`
     * (`SSLCertVerificationError` for a certificate that does not verify).
     *
     * @example
     * const [transport, proto] = yield* loop.createConnection(() => new MyProtocol(), "127.0.0.1", 8888);
     */
    createConnection<P extends Protocol>(protocolFactory: () => P, host: string, port: number, options?: ConnectionOptions): Coro<[Transport, P]>;
    /**
     * `createConnection` to a Unix socket at `path`.
     *
     * @example
     * const [transport, proto] = yield* loop.createUnixConnection(() => new MyProtocol(), "/tmp/app.sock");
     */
    createUnixConnection<P extends Protocol>(protocolFactory: () => P, path: string, options?: UnixConnectionOptions): Coro<[Transport, P]>;
    /**
     * Upgrade an open connection to TLS (asyncio's `loop.start_tls`): returns the transport to
     * use from now on, once the handshake is done; `protocol` gets the decrypted data.
     *
     * @example
     * const tlsTransport = yield* loop.startTls(transport, protocol, createSslContext({ ca }), { serverHostname: "localhost" });
     */
    startTls(transport: Transport, protocol: Protocol, sslContext: SslContext | true | Record<string, unknown>, options?: StartTlsOptions): Coro<Transport>;
  }
}

// ---- argument checks, shared with server.ts and streams.ts -------------------------------------

/** @internal */
export function checkPort(port: unknown, where: string): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    const err = `${where}: port must be an integer 0-65535, got ${describe(port)}`;
    throw typeof port === "number" ? new ValueError(err) : new TypeError(err);
  }
  return port;
}

/** @internal */
export function checkHost(host: unknown, where: string): string {
  if (typeof host !== "string") throw new TypeError(`${where}: host must be a string, got ${describe(host)}`);
  if (host === "") throw new ValueError(`${where}: host must not be empty`);
  return host;
}

/** @internal */
export function checkPath(path: unknown, where: string): string {
  if (typeof path !== "string") throw new TypeError(`${where}: path must be a string, got ${describe(path)}`);
  if (path === "") throw new ValueError(`${where}: path must not be empty`);
  return path;
}

/** @internal */
export function checkFactory(factory: unknown, where: string): () => unknown {
  if (typeof factory !== "function") {
    throw new TypeError(`${where}: protocolFactory must be a function returning a protocol, got ${describe(factory)}`);
  }
  return factory as () => unknown;
}

/** @internal */
export function checkOptions<T extends object>(options: unknown, where: string, known: readonly string[]): Partial<T> {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${where}: unknown option '${key}' (known: ${known.join(", ")})`);
  }
  return options as Partial<T>;
}

/** @internal */
export function checkAddr(addr: unknown, where: string, name: string): [string, number] | null {
  if (addr === undefined || addr === null) return null;
  if (!Array.isArray(addr) || addr.length !== 2 || typeof addr[0] !== "string") {
    throw new TypeError(`${where}: ${name} must be a [host, port] array, got ${describe(addr)}`);
  }
  checkPort(addr[1], `${where}: ${name}`);
  return [addr[0], addr[1]];
}

/** @internal A NotImplementedError at the call when the running loop's host lacks `feature`. */
export function checkFeature(loop: EventLoop | null, feature: Feature, what: string): void {
  if (loop !== null && !loop._host.supports(feature)) {
    throw new NotImplementedError(`${what} are not available on ${loop._host.host}`);
  }
}

/** @internal The running loop, for a coroutine that starts running (asyncio's get_running_loop). */
export function runningLoop(where: string): EventLoop {
  const loop = _getRunningLoop();
  if (loop === null) throw new RuntimeError(`${where}: no running event loop`);
  return loop;
}

/** @internal TLS settings for the driver. */
export function tlsFor(ctx: SslContext | null, serverSide: boolean, serverHostname: string | null): TlsOptions | null {
  if (ctx === null) return null;
  return { options: ctx._hostOptions(serverSide), serverHostname };
}

function addrText(addr: Address | null): string {
  if (addr === null) return "?";
  return typeof addr === "string" ? addr : `${addr[0]}:${addr[1]}`;
}

// ---- connecting -----------------------------------------------------------------------------------

/** What a connect needs once the host says it is connected. */
interface ConnectSpec {
  factory: () => unknown;
  where: string;
  peer: string;
  ssl: SslContext | null;
  unix: boolean;
}

/** The loop's resource while a connect is under way; the transport takes the id over. */
class Connecting implements Resource {
  constructor(
    private readonly loop: EventLoop,
    private readonly id: number,
    private readonly spec: ConnectSpec,
    readonly fut: Future<[Transport, Protocol]>,
  ) {}

  onEvent(event: HostEvent): void {
    const { loop, id, fut, spec } = this;
    switch (event.kind) {
      case "connected": {
        loop._closeResource(id);
        const extra: Record<string, unknown> = { peername: event.remote, sockname: event.local };
        if (spec.ssl !== null) {
          extra.sslcontext = spec.ssl;
          extra.peercert = event.peercert ?? null;
          extra.cipher = event.cipher ?? null;
        }
        const transport = new StreamTransport(loop, id, {
          extra,
          kind: `${spec.ssl !== null ? "TLS" : spec.unix ? "Unix" : "TCP"} transport`,
          canWriteEof: spec.ssl === null,
          tls: spec.ssl !== null,
        });
        if (fut.done()) {
          transport.abort(); // cancelled meanwhile
          return;
        }
        let protocol: Protocol;
        try {
          protocol = checkProtocol(spec.factory(), spec.where);
        } catch (exc) {
          transport.abort();
          fut.setException(exc);
          return;
        }
        transport._start(protocol);
        fut.setResult([transport, protocol]);
        return;
      }
      case "error": {
        loop._closeResource(id);
        const err = spec.ssl !== null ? tlsErrorFromWire(event.error, spec.peer) : connectError(event.error, spec.peer);
        if (!fut.done()) fut.setException(err);
        return;
      }
      case "closed":
        loop._closeResource(id);
        if (!fut.done()) fut.setException(new ConnectionError(`the connection to ${spec.peer} closed before it was made`));
        return;
      default:
        return;
    }
  }

  closeForShutdown(): void {
    this.loop._closeResource(this.id);
    this.loop._send({ op: "abort", id: this.id });
    if (!this.fut.done()) this.fut.cancel();
  }

  toString(): string {
    return `<connecting to ${this.spec.peer}>`;
  }
}

function connectError(wire: { name: string; code?: string; message: string; stack?: string }, peer: string): Error {
  // asyncio: "[Errno 111] Connect call failed ('127.0.0.1', 1)"; Node says "connect ECONNREFUSED 127.0.0.1:1"
  const message = wire.message.includes(peer) ? wire.message : `${wire.message} (connecting to ${peer})`;
  return tlsErrorFromWire({ ...wire, message }, peer);
}

/** Abort the handshake after `seconds` (asyncio's ssl_handshake_timeout). */
function handshakeTimer(loop: EventLoop, seconds: number, fut: Future<unknown>, onTimeout: () => void) {
  return loop.callLater(seconds, () => {
    if (fut.done()) return;
    onTimeout();
    fut.setException(new TimeoutError(`SSL handshake is taking longer than ${seconds} seconds: aborting the connection`));
  });
}

function* connectCoro(loop: EventLoop, spec: ConnectSpec, command: (id: number) => Parameters<EventLoop["_send"]>[0], timeout: number): Coro<[Transport, Protocol]> {
  const id = loop._newResourceId();
  const fut = loop.createFuture<[Transport, Protocol]>();
  const connecting = new Connecting(loop, id, spec, fut);
  loop._openResource(id, connecting);
  try {
    loop._send(command(id));
  } catch (exc) {
    loop._closeResource(id);
    throw exc;
  }
  const timer = spec.ssl !== null ? handshakeTimer(loop, timeout, fut, () => {
    loop._closeResource(id);
    loop._send({ op: "abort", id });
  }) : null;
  try {
    return yield* fut;
  } catch (exc) {
    if (exc instanceof CancelledError) {
      if (fut.done() && !fut.cancelled() && fut.exception() === null) {
        fut.result()[0].close(); // connected, but the caller is gone (asyncio closes it too)
      } else if (loop._hasResource(id)) {
        loop._closeResource(id);
        loop._send({ op: "abort", id });
      }
    }
    throw exc;
  } finally {
    timer?.cancel();
  }
}

/** @internal `loop.createConnection`, put on the prototype by streams/install.ts. */
export function loopCreateConnection<P extends Protocol>(
  this: EventLoop,
  protocolFactory: () => P,
  host: string,
  port: number,
  options?: ConnectionOptions,
): Coro<[Transport, P]> {
  const where = "createConnection(protocolFactory, host, port)";
  const factory = checkFactory(protocolFactory, where);
  checkHost(host, where);
  checkPort(port, where);
  const o = checkOptions<ConnectionOptions>(options, where, ["ssl", "serverHostname", "localAddr", "sslHandshakeTimeout"]);
  return connectTcp(this, factory, host, port, o, where) as Coro<[Transport, P]>;
}

/** @internal createConnection after its arguments were checked (openConnection shares it). */
export function connectTcp(loop: EventLoop | null, factory: () => unknown, host: string, port: number, o: Partial<ConnectionOptions>, where: string, track: string | null = "createConnection"): Coro<[Transport, Protocol]> {
  const ssl = toSslContext(o.ssl, where, false);
  const serverHostname = checkServerHostname(o.serverHostname, ssl, where);
  const localAddr = checkAddr(o.localAddr, where, "localAddr");
  const timeout = checkTimeout(o.sslHandshakeTimeout, ssl, where);
  checkFeature(loop, ssl !== null ? "tls" : "tcp", ssl !== null ? "TLS connections" : "TCP connections");
  const peer = `${host}:${port}`;
  const spec: ConnectSpec = { factory, where, peer: serverHostname ? `${peer} (server hostname '${serverHostname}')` : peer, ssl, unix: false };
  const coro = (function* () {
    const running = loop ?? runningLoop(where);
    checkFeature(running, ssl !== null ? "tls" : "tcp", ssl !== null ? "TLS connections" : "TCP connections");
    return yield* connectCoro(running, spec, (id) => ({ op: "connect", id, host, port, localAddr, tls: tlsFor(ssl, false, serverHostname) }), timeout);
  })();
  return track === null ? coro : trackCoroutine(coro, track);
}

/** @internal `loop.createUnixConnection`, put on the prototype by streams/install.ts. */
export function loopCreateUnixConnection<P extends Protocol>(
  this: EventLoop,
  protocolFactory: () => P,
  path: string,
  options?: UnixConnectionOptions,
): Coro<[Transport, P]> {
  const where = "createUnixConnection(protocolFactory, path)";
  const factory = checkFactory(protocolFactory, where);
  checkPath(path, where);
  const o = checkOptions<UnixConnectionOptions>(options, where, ["ssl", "serverHostname", "sslHandshakeTimeout"]);
  return connectUnix(this, factory, path, o, where) as Coro<[Transport, P]>;
}

/** @internal createUnixConnection after its arguments were checked. */
export function connectUnix(loop: EventLoop | null, factory: () => unknown, path: string, o: Partial<UnixConnectionOptions>, where: string, track: string | null = "createUnixConnection"): Coro<[Transport, Protocol]> {
  const ssl = toSslContext(o.ssl, where, false);
  const serverHostname = checkServerHostname(o.serverHostname, ssl, where);
  if (ssl !== null && serverHostname === null) {
    throw new ValueError(`${where}: you must set serverHostname when using ssl without a host`);
  }
  const timeout = checkTimeout(o.sslHandshakeTimeout, ssl, where);
  checkFeature(loop, "unix", "Unix sockets");
  const spec: ConnectSpec = { factory, where, peer: path, ssl, unix: true };
  const coro = (function* () {
    const running = loop ?? runningLoop(where);
    checkFeature(running, "unix", "Unix sockets");
    return yield* connectCoro(running, spec, (id) => ({ op: "connectUnix", id, path, tls: tlsFor(ssl, false, serverHostname) }), timeout);
  })();
  return track === null ? coro : trackCoroutine(coro, track);
}

/** @internal */
export function checkServerHostname(value: unknown, ssl: SslContext | null, where: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new TypeError(`${where}: serverHostname must be a string, got ${describe(value)}`);
  if (ssl === null) throw new ValueError(`${where}: serverHostname is only meaningful with ssl`);
  return value;
}

/** @internal */
export function checkTimeout(value: unknown, ssl: SslContext | null, where: string): number {
  if (value === undefined || value === null) return SSL_HANDSHAKE_TIMEOUT;
  const t = checkSeconds(value, where, "sslHandshakeTimeout");
  if (ssl === null) throw new ValueError(`${where}: sslHandshakeTimeout is only meaningful with ssl`);
  if (!(t > 0)) throw new ValueError(`${where}: sslHandshakeTimeout should be a positive number, got ${t}`);
  return t;
}

// ---- upgrading --------------------------------------------------------------------------------------

/** @internal `loop.startTls`, put on the prototype by streams/install.ts. */
export function loopStartTls(
  this: EventLoop,
  transport: Transport,
  protocol: Protocol,
  sslContext: SslContext | true | Record<string, unknown>,
  options?: StartTlsOptions,
): Coro<Transport> {
  const where = "startTls(transport, protocol, sslContext)";
  if (!(transport instanceof StreamTransport)) {
    throw new TypeError(`${where}: transport ${describe(transport)} is not supported by startTls()`);
  }
  checkProtocol(protocol, where);
  const o = checkOptions<StartTlsOptions>(options, where, ["serverSide", "serverHostname", "sslHandshakeTimeout"]);
  const serverSide = o.serverSide ?? false;
  if (typeof serverSide !== "boolean") throw new TypeError(`${where}: serverSide must be a boolean, got ${describe(serverSide)}`);
  if (sslContext === null || sslContext === undefined || (sslContext as unknown) === false) {
    throw new TypeError(`${where}: sslContext is required (an SslContext, its options, or true)`);
  }
  const ctx = toSslContext(sslContext as SslOption, where, serverSide)!;
  const serverHostname = checkServerHostname(o.serverHostname, ctx, where);
  const timeout = checkTimeout(o.sslHandshakeTimeout, ctx, where);
  checkFeature(this, "tls", "TLS connections");
  return trackCoroutine(startTlsCoro(this, transport, protocol, ctx, serverSide, serverHostname, timeout), "startTls");
}

function* startTlsCoro(
  loop: EventLoop,
  transport: StreamTransport,
  protocol: Protocol,
  ctx: SslContext,
  serverSide: boolean,
  serverHostname: string | null,
  timeout: number,
): Coro<Transport> {
  const waiter = loop.createFuture<void>();
  transport._tlsError = (wire) => tlsErrorFromWire(wire, addrText(transport.getExtraInfo("peername") as Address | null));
  transport.setProtocol(protocol);
  transport._startTls(waiter, ctx._hostOptions(serverSide), serverSide, serverHostname, ctx);
  const timer = handshakeTimer(loop, timeout, waiter, () => transport.abort());
  try {
    yield* waiter;
  } catch (exc) {
    transport.abort(); // asyncio closes the transport when the upgrade fails or is cancelled
    throw exc;
  } finally {
    timer.cancel();
  }
  return transport;
}
