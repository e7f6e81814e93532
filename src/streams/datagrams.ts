// UDP endpoints: asyncio's `loop.create_datagram_endpoint`, its datagram transport and
// protocol (CPython 3.13 base_events.py and selector_events.py `_SelectorDatagramTransport`).
//
// The socket lives in the driver (`bindDatagram`, `sendto`, `close`, `abort` commands); what it
// receives comes back as `datagram` and `error` events, delivered in a loop iteration, so every
// protocol callback runs in the loop (and a recording holds every datagram). Every
// `bindDatagram` is ended by the loop's own `close` or `abort`, even after a failed bind: the
// driver keeps the id until then, so a cancelled bind never sends a command for an unknown id.

import { EventLoop } from "../loop/event-loop.js";
import { trackCoroutine } from "../loop/debug.js";
import { Future } from "../tasks/futures.js";
import type { Coro } from "../tasks/tasks.js";
import { NotImplementedError, RuntimeError, ValueError, describe, errorFromWire } from "../errors.js";
import type { Address, Command, HostEvent, Resource, WireError } from "../io/driver.js";

/**
 * The callbacks of a UDP endpoint (asyncio's `DatagramProtocol`). Subclass it and override
 * what you need; each default does nothing. Every method is called in the loop.
 *
 * @example
 * class Echo extends DatagramProtocol {
 *   transport!: DatagramTransport;
 *   override connectionMade(t: DatagramTransport) { this.transport = t; }
 *   override datagramReceived(data: Uint8Array, addr: [string, number]) { this.transport.sendto(data, addr); }
 * }
 */
export class DatagramProtocol {
  /** The endpoint is bound (and connected, with `remoteAddr`): runs before `createDatagramEndpoint` returns. */
  connectionMade(_transport: DatagramTransport): void {}
  /** A datagram arrived from `addr` (`[host, port]`). */
  datagramReceived(_data: Uint8Array, _addr: [string, number]): void {}
  /**
   * A send or receive failed (an `OSError`: e.g. `ConnectionRefusedError` on a connected
   * endpoint whose peer has no socket). The endpoint stays open.
   */
  errorReceived(_exc: Error): void {}
  /** The endpoint is closed: `exc` is `null` after `close()` or `abort()`. Called exactly once. */
  connectionLost(_exc: Error | null): void {}
  /** Part of asyncio's protocol; never called here, since Node reports no UDP send backlog. */
  pauseWriting(): void {}
  /** Part of asyncio's protocol; never called here (see `pauseWriting`). */
  resumeWriting(): void {}
}

/** What `createDatagramEndpoint` needs of a protocol: any of `DatagramProtocol`'s methods. */
export type DatagramProtocolLike = Partial<DatagramProtocol>;

/** `createDatagramEndpoint`'s options (asyncio's keyword arguments, camelCased). */
export interface DatagramEndpointOptions {
  /** Bind to this `[host, port]` (port 0: the host picks one; host `""`: every address). */
  localAddr?: [string, number] | null;
  /**
   * Connect to this `[host, port]`: `sendto(data)` goes there and only its datagrams arrive.
   * With `allowBroadcast` the socket is not connected: `remoteAddr` is only the default
   * destination of `sendto`.
   */
  remoteAddr?: [string, number] | null;
  /**
   * Set `SO_REUSEADDR` before binding, so several endpoints may bind the same address (for
   * multicast receivers). CPython 3.11 removed this option because on Linux it lets any other
   * process bind the same UDP port too; leave it off unless you need it.
   */
  reuseAddress?: boolean;
  /** 4 or 6; needed when neither address is given. 0 or absent: taken from the addresses. */
  family?: 0 | 4 | 6 | null;
  /** Set `SO_BROADCAST`: datagrams may go to broadcast addresses. */
  allowBroadcast?: boolean;
}

type UdpAddr = [string, number];

// ---- argument checks (at the call) -------------------------------------------------------------

function checkPort(value: unknown, where: string, arg: string, min: number): number {
  if (typeof value !== "number") throw new TypeError(`${where}: ${arg} port must be an integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > 65535) {
    throw new ValueError(`${where}: ${arg} port must be an integer ${min}-65535, got ${describe(value)}`);
  }
  return value;
}

/** A `[host, port]` pair; `minPort` 1 where Node refuses port 0 (connecting, sending). */
function checkAddr(value: unknown, where: string, arg: string, minPort: number, emptyHostOk: boolean): UdpAddr {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new TypeError(`${where}: ${arg} must be a [host, port] pair, got ${showAddr(value)}`);
  }
  const [host, port] = value as unknown[];
  if (typeof host !== "string") throw new TypeError(`${where}: ${arg} host must be a string, got ${describe(host)}`);
  if (host === "" && !emptyHostOk) throw new ValueError(`${where}: ${arg} host must not be empty`);
  return [host, checkPort(port, where, arg, minPort)];
}

/** The IP version of an address literal, 0 for a host name (resolved by the host). */
export function ipFamily(host: string): 0 | 4 | 6 {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return 4;
  if (host.includes(":")) return 6;
  return 0;
}

function sameAddr(a: UdpAddr, b: unknown): boolean {
  return Array.isArray(b) && b.length === 2 && b[0] === a[0] && b[1] === a[1];
}

/** An address argument for a message: `["127.0.0.1",53]` for a pair, else `describe`. */
function showAddr(value: unknown): string {
  if (Array.isArray(value) && value.length <= 4) {
    try {
      return JSON.stringify(value);
    } catch {
      // a cycle or a BigInt: fall through
    }
  }
  return describe(value);
}

/** A fresh copy, so a caller cannot change what the transport compares against. */
function copyAddr(addr: Address | null): Address | null {
  return addr === null || typeof addr === "string" ? addr : [addr[0], addr[1]];
}

function formatAddr(addr: Address | null): string {
  if (addr === null) return "unbound";
  if (typeof addr === "string") return addr;
  return addr[0].includes(":") ? `[${addr[0]}]:${addr[1]}` : `${addr[0]}:${addr[1]}`;
}

// ---- the transport -----------------------------------------------------------------------------

/** How far an endpoint got: binding (the create call waits), open, closing, closed. */
const enum State {
  Binding,
  Open,
  Closing,
  Closed,
}

/**
 * A UDP endpoint (asyncio's `DatagramTransport`), made by `loop.createDatagramEndpoint`.
 *
 * @example
 * const [transport, protocol] = yield* loop.createDatagramEndpoint(() => new Client(), { remoteAddr: ["127.0.0.1", 9999] });
 * transport.sendto(new TextEncoder().encode("ping"));
 * transport.close(); // protocol.connectionLost(null) follows
 */
export class DatagramTransport implements Resource {
  private _state = State.Binding;
  private _aborted = false;
  private _protocol: DatagramProtocolLike | null = null;
  private _local: Address | null = null;
  private _peer: Address | null = null;
  /** @internal Settled when the bind is over (the create call waits on it). */
  readonly _bound: Future<void>;

  /** @internal Made by `createDatagramEndpoint` only. */
  constructor(
    private readonly _loop: EventLoop,
    private readonly _id: number,
    private readonly _factory: () => DatagramProtocolLike,
    /** Where `sendto(data)` without an address goes (the remote address, as asyncio's `_address`). */
    private _address: UdpAddr | null,
  ) {
    this._bound = _loop.createFuture<void>();
  }

  /**
   * Send one datagram. On an endpoint made with `remoteAddr`, `addr` must be absent, `null` or
   * that address (`ValueError` otherwise, as asyncio); else it is required. `data` is copied,
   * so the caller may reuse its buffer. After `close()` or `abort()` the datagram is dropped.
   *
   * @example
   * transport.sendto(new Uint8Array([1, 2, 3]), ["127.0.0.1", 9999]);
   */
  sendto(data: Uint8Array | ArrayBufferView, addr?: [string, number] | null): void {
    if (!ArrayBuffer.isView(data)) {
      const what = typeof data === "string" ? "a string" : describe(data);
      throw new TypeError(`sendto(data): data must be a bytes-like object (a Uint8Array), not ${what}`);
    }
    let dest: UdpAddr | null;
    if (this._address !== null) {
      if (addr !== null && addr !== undefined && !sameAddr(this._address, addr)) {
        throw new ValueError(`Invalid address: must be null or ${JSON.stringify(this._address)}, got ${showAddr(addr)}`);
      }
      dest = this._peer !== null ? null : this._address; // connected: the socket knows where
    } else {
      if (addr === null || addr === undefined) {
        throw new TypeError("sendto(data, addr): addr is required on an endpoint made without remoteAddr");
      }
      dest = checkAddr(addr, "sendto(data, addr)", "addr", 1, false);
    }
    if (this._state !== State.Open) return; // closing: dropped, as asyncio drops writes after close
    // A copy: the host may send later (a queued send, a name to resolve), and a recording must
    // hold the bytes as they were at the call.
    const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this._loop._send({ op: "sendto", id: this._id, bytes, addr: dest });
  }

  /**
   * Close the endpoint: datagrams already handed to the host are still sent, no more are
   * received; then `connectionLost(null)`. Idempotent.
   *
   * @example
   * transport.close();
   */
  close(): void {
    if (this._state !== State.Open) return;
    this._state = State.Closing;
    this._loop._send({ op: "close", id: this._id });
  }

  /**
   * Close at once, dropping datagrams the host has not sent yet; then `connectionLost(null)`.
   *
   * @example
   * transport.abort();
   */
  abort(): void {
    // after close(), abort() still drops what the host has not sent yet
    if (this._aborted || (this._state !== State.Open && this._state !== State.Closing)) return;
    this._aborted = true;
    this._state = State.Closing;
    this._loop._send({ op: "abort", id: this._id });
  }

  /** Whether `close()` or `abort()` was called (or the endpoint is gone). */
  isClosing(): boolean {
    return this._state !== State.Open;
  }

  /**
   * Bytes waiting to be sent. Always 0: Node hands each datagram to the kernel at once and
   * reports no backlog the loop could read, so `pauseWriting` is never called.
   */
  getWriteBufferSize(): number {
    return 0;
  }

  /** The protocol this endpoint calls. */
  getProtocol(): DatagramProtocolLike | null {
    return this._protocol;
  }

  /** Switch to another protocol (asyncio's `set_protocol`). */
  setProtocol(protocol: DatagramProtocolLike): void {
    if (protocol === null || typeof protocol !== "object") {
      throw new TypeError(`setProtocol(protocol): protocol must be an object, got ${describe(protocol)}`);
    }
    this._protocol = protocol;
  }

  /**
   * `'sockname'` (`[host, port]` bound), `'peername'` (the connected peer, else `null`),
   * `'socket'` (the host's socket object: a Node `dgram.Socket`; `null` once closed);
   * anything else gives `defaultValue`.
   *
   * @example
   * const [host, port] = transport.getExtraInfo("sockname");
   */
  getExtraInfo(name: string, defaultValue: unknown = null): any {
    switch (name) {
      case "sockname":
        return copyAddr(this._local);
      case "peername":
        return copyAddr(this._peer);
      case "socket":
        return this._state === State.Closed ? null : this._loop._host.hostObject(this._id) ?? null;
      default:
        return defaultValue;
    }
  }

  /** The loop's, not for users: one host event for this endpoint (in a loop iteration). */
  onEvent(event: HostEvent): void {
    if (this._state === State.Binding) {
      this._onBindEvent(event);
      return;
    }
    switch (event.kind) {
      case "datagram":
        if (this._state === State.Open) this._protocol?.datagramReceived?.(event.bytes, event.addr);
        return;
      case "error":
        if (this._state !== State.Closed) this._protocol?.errorReceived?.(errorFromWire(event.error));
        return;
      case "closed":
        this._lost(event.error);
        return;
      default:
        return;
    }
  }

  private _onBindEvent(event: HostEvent): void {
    if (this._bound.done()) {
      // the create call was cancelled in this very iteration, before its task could run: its
      // bind is abandoned, and no protocol is made
      this._endOnHost();
      return;
    }
    if (event.kind === "connected") {
      this._local = event.local;
      this._peer = event.remote;
      if (event.remote !== null && typeof event.remote !== "string") this._address = event.remote; // as resolved
      let protocol: DatagramProtocolLike;
      try {
        protocol = this._factory();
        if (protocol === null || typeof protocol !== "object") {
          throw new TypeError(`createDatagramEndpoint(protocolFactory): the factory must return a protocol object, got ${describe(protocol)}`);
        }
      } catch (exc) {
        this._failBind(exc);
        return;
      }
      this._protocol = protocol;
      this._state = State.Open;
      try {
        protocol.connectionMade?.(this);
      } catch (exc) {
        // as asyncio, where connection_made is a callback of its own: reported, the endpoint stays
        this._loop.callExceptionHandler({ message: "Exception in callback connectionMade", exception: exc, transport: this, protocol });
      }
      this._bound.setResult(undefined);
    } else if (event.kind === "error" || event.kind === "closed") {
      const wire: WireError | null = event.error;
      this._failBind(wire !== null ? errorFromWire(wire) : new RuntimeError("the host closed the UDP socket while binding it"));
    }
  }

  /** The bind failed (or the factory threw): end the id on the host and fail the create call. */
  private _failBind(exc: unknown): void {
    this._endOnHost();
    this._bound.setException(exc);
  }

  /** @internal The create call was cancelled while binding. */
  _cancelBind(): void {
    if (this._state === State.Binding) this._endOnHost();
  }

  private _endOnHost(): void {
    this._state = State.Closed;
    this._loop._closeResource(this._id);
    this._loop._send({ op: "abort", id: this._id });
  }

  private _lost(error: WireError | null): void {
    if (this._state === State.Closed) return;
    this._state = State.Closed;
    this._loop._closeResource(this._id);
    const protocol = this._protocol;
    protocol?.connectionLost?.(error !== null ? errorFromWire(error) : null);
  }

  /**
   * The loop's, not for users: `run()` ends with the endpoint open: drop it on the host. No protocol callback
   * runs (the loop is done; asyncio leaves such a transport to its finalizer).
   */
  closeForShutdown(): void {
    if (this._state === State.Closed) return;
    this._state = State.Closed;
    this._loop._closeResource(this._id);
    if (!this._loop.isClosed()) this._loop._send({ op: "abort", id: this._id });
  }

  /** `<UDP transport 127.0.0.1:5353>` (with ` -> peer` when connected, ` closing`/` closed`). */
  toString(): string {
    const peer = this._peer !== null ? ` -> ${formatAddr(this._peer)}` : "";
    const state = this._state === State.Closing ? " closing" : this._state === State.Closed ? " closed" : "";
    return `<UDP transport ${formatAddr(this._local)}${peer}${state}>`;
  }
}

// ---- loop.createDatagramEndpoint ---------------------------------------------------------------

declare module "../loop/event-loop.js" {
  interface EventLoop {
    /**
     * Create a UDP endpoint (asyncio's `loop.create_datagram_endpoint`): bind to `localAddr`,
     * connect to `remoteAddr`, or both; with neither, give `family` (the socket is bound to
     * port 0 of every address at once). Returns `[transport, protocol]`; the protocol's
     * `connectionMade` has run by then. Bad arguments throw at the call (`TypeError` for a
     * wrong type, `ValueError` for a port outside 0–65535 — 1–65535 for `remoteAddr` —, for no
     * address and no family, or for addresses of different IP versions); a failed bind raises
     * the host's `OSError` (e.g. `EADDRINUSE`) from the coroutine.
     *
     * @example
     * const [transport, protocol] = yield* loop.createDatagramEndpoint(() => new EchoServer(), {
     *   localAddr: ["127.0.0.1", 0],
     * });
     * const [host, port] = transport.getExtraInfo("sockname");
     */
    createDatagramEndpoint<P extends DatagramProtocolLike>(
      protocolFactory: () => P,
      options?: DatagramEndpointOptions,
    ): Coro<[DatagramTransport, P]>;
  }
}

const WHERE = "createDatagramEndpoint()";

/** @internal `loop.createDatagramEndpoint`, put on the prototype by streams/install.ts. */
export function loopCreateDatagramEndpoint<P extends DatagramProtocolLike>(
  this: EventLoop,
  protocolFactory: () => P,
  options: DatagramEndpointOptions = {},
): Coro<[DatagramTransport, P]> {
  if (typeof protocolFactory !== "function") {
    throw new TypeError(`${WHERE}: protocolFactory must be a function returning a protocol, got ${describe(protocolFactory)}`);
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${WHERE}: options must be an object, got ${describe(options)}`);
  }
  const { localAddr, remoteAddr, reuseAddress, family, allowBroadcast } = options;
  const local = localAddr == null ? null : checkAddr(localAddr, WHERE, "localAddr", 0, true);
  const remote = remoteAddr == null ? null : checkAddr(remoteAddr, WHERE, "remoteAddr", 1, false);
  if (family != null && family !== 0 && family !== 4 && family !== 6) {
    throw new ValueError(`${WHERE}: family must be 4, 6 or 0, got ${describe(family)}`);
  }
  for (const [name, value] of [["reuseAddress", reuseAddress], ["allowBroadcast", allowBroadcast]] as const) {
    if (value != null && typeof value !== "boolean") throw new TypeError(`${WHERE}: ${name} must be a boolean, got ${describe(value)}`);
  }
  // The socket's IP version: asked for, else from the address literals (names: the host resolves).
  let fam: 0 | 4 | 6 = family || 0;
  for (const addr of [local, remote]) {
    if (addr === null || addr[0] === "") continue;
    const f = ipFamily(addr[0]);
    if (f === 0) continue;
    if (fam !== 0 && f !== fam) {
      throw new ValueError(`${WHERE}: can not get address information (localAddr, remoteAddr and family name different IP versions)`);
    }
    fam = f;
  }
  if (local === null && remote === null && fam === 0) {
    throw new ValueError(`${WHERE}: unexpected address family (give localAddr, remoteAddr or family)`);
  }
  if (this.isClosed()) throw new RuntimeError("Event loop is closed");
  if (!this._host.supports("udp")) {
    const hint = this._host.unsupportedHint?.("udp");
    throw new NotImplementedError(`UDP datagrams are not available on ${this._host.host}${hint ? `: ${hint}` : ""}`);
  }
  const command: Command = {
    op: "bindDatagram",
    id: -1,
    localAddr: local ?? (remote === null ? [fam === 6 ? "::" : "0.0.0.0", 0] : null),
    remoteAddr: allowBroadcast ? null : remote,
    reuseAddress: reuseAddress === true,
    family: fam === 0 ? undefined : fam,
    allowBroadcast: allowBroadcast === true,
  };
  return trackCoroutine(createEndpoint(this, protocolFactory, command, allowBroadcast ? remote : null), "createDatagramEndpoint");
}

function* createEndpoint<P extends DatagramProtocolLike>(
  loop: EventLoop,
  factory: () => P,
  command: Command & { op: "bindDatagram" },
  defaultDest: UdpAddr | null,
): Coro<[DatagramTransport, P]> {
  const id = loop._newResourceId();
  const transport = new DatagramTransport(loop, id, factory, defaultDest ?? command.remoteAddr ?? null);
  loop._openResource(id, transport);
  command.id = id;
  try {
    loop._send(command);
  } catch (exc) {
    loop._closeResource(id);
    throw exc;
  }
  try {
    yield* transport._bound;
  } catch (exc) {
    transport._cancelBind(); // cancelled while binding (a failed bind has ended itself)
    throw exc;
  }
  return [transport, transport.getProtocol() as P];
}
