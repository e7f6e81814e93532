// Node sockets for the driver: TCP and TLS (node:net, node:tls) and Unix sockets. UDP lives in
// io/node-udp.ts: NodeDriver (io/node.ts) offers every command to it first, so the datagram ops
// never reach this file (if they do, they throw NotImplementedError below).
// Host callbacks become events through `host.emit`; nothing here calls into the loop.
//
// Conventions the loop side (streams/transports.ts) relies on:
// - Every stream socket starts paused: a connected or accepted socket reads nothing until the
//   loop sends `resumeReading` (after the protocol's `connectionMade`, as asyncio adds the reader
//   only then), so no byte can reach the loop before its transport exists.
// - `connected` / `accepted` come after the TLS handshake for TLS sockets; a failed connect or
//   handshake is one `error` event (the socket is destroyed; a `closed` event may follow).
// - After that, a socket error is not an event of its own: it rides on the `closed` event, which
//   is always the last event of a connection.
// - Each write's callback becomes a `flushed` event with the byte count (one callback per
//   connection pops the sizes in order: no closure per write).
// - A stream id op for an id this file never owned returns false from `handles`, so process
//   pipes fall through to NodeProc; ids it owned stay claimed for a while after they close
//   (tombstones), so a command racing the `closed` event is ignored, never an error.

import { NotImplementedError } from "../errors.js";
import { ACCEPTED_ID_BASE } from "./driver.js";
import type { Address, Command, Feature, HostEvent, TlsOptions, WireError } from "./driver.js";
import type { NodeHost } from "./node.js";

// ---- the small part of Node's API used here (structural types: no @types/node in src/) ------------

type Listener = (...args: any[]) => void;

interface Emitter {
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
}

interface NodeSocket extends Emitter {
  write(data: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  end(cb?: () => void): unknown;
  destroy(err?: Error): unknown;
  pause(): unknown;
  resume(): unknown;
  setNoDelay(noDelay?: boolean): unknown;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  getPeerCertificate?(detailed?: boolean): Record<string, unknown> | null;
  getCipher?(): Record<string, unknown> | null;
}

interface NodeServer extends Emitter {
  listen(options: Record<string, unknown>): unknown;
  close(cb?: (err?: Error) => void): unknown;
  address(): { address: string; port: number; family: string } | string | null;
}

interface NetModule {
  connect(options: Record<string, unknown>): NodeSocket;
  createServer(options: Record<string, unknown>): NodeServer;
}

interface TlsModule {
  connect(options: Record<string, unknown>): NodeSocket;
  createServer(options: Record<string, unknown>): NodeServer;
  createSecureContext(options: Record<string, unknown>): unknown;
  TLSSocket: new (socket: NodeSocket, options: Record<string, unknown>) => NodeSocket;
}

interface FsModule {
  statSync(path: string, options?: { throwIfNoEntry?: boolean }): { isSocket(): boolean } | undefined;
  unlinkSync(path: string): void;
}

// ---- helpers ----------------------------------------------------------------------------------------

const CREATE_OPS = new Set<Command["op"]>(["connect", "connectUnix", "listen", "listenUnix"]);
const ID_OPS = new Set<Command["op"]>([
  "write", "writeEof", "pauseReading", "resumeReading", "startTls", "stopListening", "close", "abort",
]);
/** Datagram ops: NodeDriver gives them to NodeUdp (io/node-udp.ts) before asking this file. */
const DATAGRAM_OPS = new Set<Command["op"]>(["bindDatagram", "sendto"]);

/** How long (ms) a closed id stays claimed, so commands racing its `closed` event are ignored. */
const TOMBSTONE_MS = 30_000;

/** An error as data (the loop turns it into the exported OSError subclass for its code). */
export function toWire(err: unknown): WireError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const wire: WireError = { name: err.name, message: err.message };
    if (typeof code === "string") wire.code = code;
    if (err.stack !== undefined) wire.stack = err.stack;
    return wire;
  }
  return { name: "Error", message: String(err) };
}

/** Node's own Buffer is a Uint8Array whose `slice` is a view: hand the loop a plain Uint8Array. */
function plainBytes(chunk: Uint8Array): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** A peer certificate as plain data (no Buffers, no cycles), or null when there is none. */
function certData(socket: NodeSocket): Record<string, unknown> | null {
  const cert = socket.getPeerCertificate?.(false);
  if (cert == null || Object.keys(cert).length === 0) return null;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cert)) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[key] = value;
    else if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) out[key] = { ...(value as object) };
  }
  return out;
}

function cipherData(socket: NodeSocket): Record<string, unknown> | null {
  const cipher = socket.getCipher?.();
  return cipher == null ? null : { ...cipher };
}

/** Node's TLS options from the loop's: `checkHostname: false` is the one flag Node spells as a function. */
function nodeTlsOptions(tls: TlsOptions): Record<string, unknown> {
  const options: Record<string, unknown> = { ...(tls.options ?? {}) };
  if (options.checkHostname === false) options.checkServerIdentity = () => undefined;
  delete options.checkHostname;
  return options;
}

/** SNI must be a host name, never an IP address (Node warns and ignores it). */
function isIp(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(":");
}

// ---- one connection -----------------------------------------------------------------------------------

class Conn {
  socket: NodeSocket;
  /** The loop asked for no data (every socket starts paused). */
  paused = true;
  /** Connected (and handshaken): errors now ride on `closed`. */
  established = false;
  /** A TLS upgrade is under way: no data is read until it is done. */
  upgrading = false;
  closed = false;
  error: WireError | null = null;
  readonly unix: string | null;
  /** Sizes of the writes not yet flushed, in order; `head` is the next one. */
  private sizes: number[] = [];
  private head = 0;

  constructor(
    private readonly net: NodeNet,
    readonly id: number,
    socket: NodeSocket,
    unix: string | null,
  ) {
    this.socket = socket;
    this.unix = unix;
  }

  readonly onWritten = (err?: Error | null): void => {
    const n = this.sizes[this.head];
    this.sizes[this.head++] = 0;
    if (this.head === this.sizes.length) {
      this.sizes.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.sizes.length) {
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    if (err == null && !this.closed && n !== undefined) this.net.emit({ kind: "flushed", id: this.id, n });
  };

  readonly onData = (chunk: Uint8Array): void => {
    this.net.emit({ kind: "data", id: this.id, bytes: plainBytes(chunk) });
  };

  readonly onEnd = (): void => {
    this.net.emit({ kind: "eof", id: this.id });
  };

  readonly onError = (err: Error): void => {
    const wire = toWire(err);
    if (this.established && !this.upgrading) {
      if (this.error === null) this.error = wire;
      return; // reported by `closed`
    }
    if (this.closed) return;
    // a connect, handshake or upgrade that failed: one `error` event, then the socket goes
    this.error = wire;
    this.net.emit({ kind: "error", id: this.id, error: wire });
    this.socket.destroy();
  };

  readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    this.net.forget(this.id);
    this.net.emit({ kind: "closed", id: this.id, error: this.established && !this.upgrading ? this.error : null });
  };

  /** Start delivering: listeners on, paused until the loop resumes it. */
  listen(socket: NodeSocket): void {
    socket.pause();
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    if (!this.paused) socket.resume();
  }

  unlisten(socket: NodeSocket): void {
    socket.removeListener("data", this.onData);
    socket.removeListener("end", this.onEnd);
    socket.removeListener("error", this.onError);
    socket.removeListener("close", this.onClose);
  }

  write(bytes: Uint8Array): void {
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded || this.closed) return; // `closed` is on its way
    this.sizes.push(bytes.length);
    socket.write(bytes, this.onWritten);
  }

  /** Graceful close: flush, send FIN, then let the socket go (asyncio closes the fd once flushed). */
  close(): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (socket.writableFinished) {
      socket.destroy();
      return;
    }
    socket.once("finish", () => socket.destroy());
    if (!socket.writableEnded) socket.end();
  }

  local(): Address | null {
    if (this.unix !== null) return this.unix;
    const s = this.socket;
    return s.localAddress === undefined ? null : [s.localAddress, s.localPort ?? 0];
  }

  remote(): Address | null {
    if (this.unix !== null) return this.unix;
    const s = this.socket;
    return s.remoteAddress === undefined ? null : [s.remoteAddress, s.remotePort ?? 0];
  }
}

interface Listening {
  id: number;
  server: NodeServer;
  tls: boolean;
  /** The Unix socket path, or null for TCP. */
  path: string | null;
  listening: boolean;
}

// ---- the socket part of the Node driver ------------------------------------------------------------

export class NodeNet {
  private readonly conns = new Map<number, Conn>();
  private readonly servers = new Map<number, Listening>();
  /** Ids that closed recently, with when (ms): commands for them are ignored. */
  private readonly tombstones = new Map<number, number>();
  private nextAccepted = ACCEPTED_ID_BASE;
  private netModule: NetModule | null = null;
  private tlsModule: TlsModule | null = null;

  constructor(private readonly host: NodeHost) {}

  /** @internal Queue an event for the loop. */
  emit(event: HostEvent): void {
    this.host.emit(event);
  }

  /** Emit from inside `send` (the driver may not wake the loop from there). */
  private emitLater(event: HostEvent): void {
    queueMicrotask(() => this.host.emit(event));
  }

  private get net(): NetModule {
    return (this.netModule ??= this.host.load<NetModule>("node:net"));
  }

  private get tls(): TlsModule {
    return (this.tlsModule ??= this.host.load<TlsModule>("node:tls"));
  }

  handles(command: Command): boolean {
    if (CREATE_OPS.has(command.op) || DATAGRAM_OPS.has(command.op)) return true;
    if (!ID_OPS.has(command.op)) return false;
    const id = (command as { id: number }).id;
    return this.conns.has(id) || this.servers.has(id) || this.tombstones.has(id);
  }

  send(command: Command): void {
    switch (command.op) {
      case "connect":
        return this.connect(command.id, command.host, command.port, command.localAddr ?? null, command.tls ?? null);
      case "connectUnix":
        return this.connectUnix(command.id, command.path, command.tls ?? null);
      case "listen":
        return this.listen(command.id, { host: command.host ?? undefined, port: command.port, backlog: command.backlog }, null, command.tls ?? null);
      case "listenUnix":
        return this.listen(command.id, { path: command.path, backlog: command.backlog }, command.path, command.tls ?? null);
      case "write":
        this.conns.get(command.id)?.write(command.bytes);
        return;
      case "writeEof": {
        const conn = this.conns.get(command.id);
        if (conn !== undefined && !conn.socket.destroyed && !conn.socket.writableEnded) conn.socket.end();
        return;
      }
      case "pauseReading": {
        const conn = this.conns.get(command.id);
        if (conn === undefined) return;
        conn.paused = true;
        if (!conn.upgrading) conn.socket.pause();
        return;
      }
      case "resumeReading": {
        const conn = this.conns.get(command.id);
        if (conn === undefined) return;
        conn.paused = false;
        if (!conn.upgrading) conn.socket.resume();
        return;
      }
      case "startTls":
        return this.startTls(command.id, command.serverSide, command.tls);
      case "stopListening":
        return this.stopListening(command.id);
      case "close": {
        if (this.servers.has(command.id)) return this.stopListening(command.id);
        this.conns.get(command.id)?.close();
        return;
      }
      case "abort": {
        if (this.servers.has(command.id)) return this.stopListening(command.id);
        this.conns.get(command.id)?.socket.destroy();
        return;
      }
      case "bindDatagram":
      case "sendto":
        // UDP is io/node-udp.ts's: NodeDriver routes these there first.
        throw new NotImplementedError(`UDP datagrams ('${command.op}') are not handled by the socket part of the ${this.host.host} driver`);
      default:
        throw new NotImplementedError(`'${command.op}' is not a socket operation`);
    }
  }

  supports(feature: Feature): boolean {
    return feature === "tcp" || feature === "tls" || feature === "unix" || feature === "tcpServer";
  }

  hostObject(id: number): unknown {
    return this.conns.get(id)?.socket ?? this.servers.get(id)?.server ?? null;
  }

  /** The loop closed: destroy what is still open. */
  detach(): void {
    for (const conn of this.conns.values()) {
      conn.closed = true;
      conn.socket.destroy();
    }
    this.conns.clear();
    for (const entry of this.servers.values()) entry.server.close();
    this.servers.clear();
    this.tombstones.clear();
  }

  /** @internal A connection or server is gone: keep its id claimed for a while. */
  forget(id: number): void {
    this.conns.delete(id);
    this.servers.delete(id);
    const now = Date.now();
    this.tombstones.set(id, now);
    if (this.tombstones.size > 64) {
      // oldest first (insertion order): drop the expired ones
      for (const [old, at] of this.tombstones) {
        if (now - at < TOMBSTONE_MS) break;
        this.tombstones.delete(old);
      }
    }
  }

  // ---- clients ------------------------------------------------------------------------------------

  private connect(id: number, host: string, port: number, localAddr: [string, number] | null, tls: TlsOptions | null): void {
    const options: Record<string, unknown> = { host, port, allowHalfOpen: true, noDelay: true };
    if (localAddr !== null) {
      options.localAddress = localAddr[0];
      if (localAddr[1] !== 0) options.localPort = localAddr[1];
    }
    if (tls === null) {
      this.startClient(id, this.net.connect(options), "connect", null);
      return;
    }
    Object.assign(options, nodeTlsOptions(tls));
    const name = tls.serverHostname ?? host;
    if (name !== "" && !isIp(name)) options.servername = name;
    if (tls.serverHostname != null && tls.serverHostname !== "" && tls.serverHostname !== host) {
      // verify the certificate against the name asked for, not the address dialled
      const check = options.checkServerIdentity;
      if (check === undefined) options.checkServerIdentity = (_h: string, cert: unknown) => this.checkIdentity(tls.serverHostname!, cert);
    }
    this.startClient(id, this.tls.connect(options), "secureConnect", null);
  }

  private checkIdentity(name: string, cert: unknown): Error | undefined {
    const tls = this.tls as unknown as { checkServerIdentity(name: string, cert: unknown): Error | undefined };
    return tls.checkServerIdentity(name, cert);
  }

  private connectUnix(id: number, path: string, tls: TlsOptions | null): void {
    const options: Record<string, unknown> = { path, allowHalfOpen: true };
    if (tls === null) {
      this.startClient(id, this.net.connect(options), "connect", path);
      return;
    }
    Object.assign(options, nodeTlsOptions(tls));
    const name = tls.serverHostname;
    if (name != null && name !== "" && !isIp(name)) options.servername = name;
    if (name != null && name !== "") options.checkServerIdentity = (_h: string, cert: unknown) => this.checkIdentity(name, cert);
    this.startClient(id, this.tls.connect(options), "secureConnect", path);
  }

  private startClient(id: number, socket: NodeSocket, ready: string, unix: string | null): void {
    const conn = new Conn(this, id, socket, unix === null ? null : unix);
    this.conns.set(id, conn);
    socket.on("error", conn.onError);
    socket.on("close", conn.onClose);
    socket.once(ready, () => {
      if (conn.closed) return;
      conn.established = true;
      if (unix === null) socket.setNoDelay(true);
      conn.listen(socket);
      const tlsInfo = ready === "secureConnect" ? { peercert: certData(socket), cipher: cipherData(socket) } : {};
      // a Unix client's own name is '' and its peer's the path, as asyncio reports them
      const local = unix === null ? conn.local() : "";
      this.emit({ kind: "connected", id, local, remote: conn.remote(), ...tlsInfo });
    });
  }

  // ---- servers ------------------------------------------------------------------------------------

  private listen(id: number, where: Record<string, unknown>, path: string | null, tls: TlsOptions | null): void {
    const options = { allowHalfOpen: true, ...(tls === null ? {} : nodeTlsOptions(tls)) };
    const server = tls === null ? this.net.createServer(options) : this.tls.createServer(options);
    const entry: Listening = { id, server, tls: tls !== null, path, listening: false };
    this.servers.set(id, entry);
    server.on(tls === null ? "connection" : "secureConnection", (socket: NodeSocket) => this.accepted(entry, socket));
    // asyncio logs a failed server-side handshake only in debug mode: the client gets the error
    if (tls !== null) server.on("tlsClientError", () => undefined);
    server.on("error", (err: Error) => {
      if (entry.listening) return; // an accept error: Node retries, nothing to report
      this.servers.delete(id);
      this.forget(id);
      this.emit({ kind: "error", id, error: toWire(err) });
      server.close();
    });
    server.once("listening", () => {
      entry.listening = true;
      const addr = server.address();
      const addresses: Address[] = addr === null ? [] : typeof addr === "string" ? [addr] : [[addr.address, addr.port]];
      this.emit({ kind: "listening", id, addresses });
    });
    if (path !== null) this.removeStaleSocket(path);
    try {
      server.listen(where);
    } catch (err) {
      // a bad option Node rejects synchronously (it would be an `error` event otherwise)
      this.servers.delete(id);
      this.forget(id);
      this.emitLater({ kind: "error", id, error: toWire(err) });
    }
  }

  /** asyncio's create_unix_server removes a stale socket file at the path (never another file). */
  private removeStaleSocket(path: string): void {
    if (path.startsWith("\0")) return; // Linux abstract namespace: no file
    try {
      const fs = this.host.load<FsModule>("node:fs");
      const st = fs.statSync(path, { throwIfNoEntry: false });
      if (st !== undefined && st.isSocket()) fs.unlinkSync(path);
    } catch {
      // listen reports what is wrong with the path
    }
  }

  private accepted(entry: Listening, socket: NodeSocket): void {
    if (!this.servers.has(entry.id)) {
      socket.destroy();
      return;
    }
    const child = this.nextAccepted++;
    const conn = new Conn(this, child, socket, entry.path);
    conn.established = true;
    this.conns.set(child, conn);
    socket.on("error", conn.onError);
    socket.on("close", conn.onClose);
    if (entry.path === null) socket.setNoDelay(true);
    conn.listen(socket);
    const local = entry.path === null ? conn.local() : entry.path;
    const remote = entry.path === null ? conn.remote() : "";
    const event: HostEvent = { kind: "accepted", id: entry.id, child, local, remote };
    if (entry.tls) {
      event.peercert = certData(socket);
      event.cipher = cipherData(socket);
    }
    this.emit(event);
  }

  private stopListening(id: number): void {
    const entry = this.servers.get(id);
    if (entry === undefined) return;
    this.forget(id);
    // Node's close() stops accepting at once; its callback waits for the connections, which
    // are the loop's to end. A Unix server's path is removed by Node (asyncio 3.13 does too).
    entry.server.close();
    this.emitLater({ kind: "closed", id, error: null });
  }

  // ---- TLS upgrade (StreamWriter.startTls, loop.startTls) ------------------------------------------

  private startTls(id: number, serverSide: boolean, tls: TlsOptions): void {
    const conn = this.conns.get(id);
    if (conn === undefined || conn.closed) return;
    const raw = conn.socket;
    if (raw.destroyed) return; // its `closed` event is on the way
    conn.unlisten(raw);
    conn.upgrading = true;
    const options = nodeTlsOptions(tls);
    let secure: NodeSocket;
    let ready: string;
    try {
      if (serverSide) {
        const { cert, key, ca, passphrase, pfx, ...rest } = options;
        const secureContext = this.tls.createSecureContext({ cert, key, ca, passphrase, pfx, ...rest });
        secure = new this.tls.TLSSocket(raw, { ...rest, isServer: true, secureContext });
        ready = "secure";
      } else {
        const name = tls.serverHostname;
        const connectOptions: Record<string, unknown> = { ...options, socket: raw };
        if (name != null && name !== "" && !isIp(name)) connectOptions.servername = name;
        if (name != null && name !== "" && connectOptions.checkServerIdentity === undefined) {
          connectOptions.checkServerIdentity = (_h: string, cert: unknown) => this.checkIdentity(name, cert);
        }
        secure = this.tls.connect(connectOptions);
        ready = "secureConnect";
      }
    } catch (err) {
      // bad TLS options (a malformed key…): the upgrade fails, the connection is dropped
      conn.upgrading = false;
      this.emitLater({ kind: "error", id, error: toWire(err) });
      raw.destroy();
      raw.on("close", conn.onClose);
      return;
    }
    conn.socket = secure;
    secure.on("error", conn.onError);
    secure.on("close", conn.onClose);
    secure.once(ready, () => {
      if (conn.closed) return;
      conn.upgrading = false;
      conn.listen(secure);
      this.emit({ kind: "tlsUpgraded", id, peercert: certData(secure), cipher: cipherData(secure) });
    });
  }
}
