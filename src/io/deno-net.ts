// Deno sockets for the driver: TCP (Deno.connect, Deno.listen), TLS (Deno.connectTls,
// Deno.listenTls, Deno.startTls) and Unix sockets (transport "unix"). The streams themselves
// are io/deno-stream.ts; TLS settings, errors and the upgrade tunnel are io/deno-tls.ts.
//
// The events are the Node driver's (io/node-net.ts), in the same situations: `connected` (after
// the TLS handshake) or one `error`; `listening` or `error`; `accepted` (after the handshake)
// with the new id from ACCEPTED_ID_BASE up; `tlsUpgraded` or `error` then `closed`. Connected
// sockets start paused until the loop sends `resumeReading`.

import { NotImplementedError } from "../errors.js";
import { ACCEPTED_ID_BASE } from "./driver.js";
import type { Address, Command, Feature, HostEvent, TlsOptions } from "./driver.js";
import { denoWire, isClosedResource, isPermissionRefusal } from "./deno-host.js";
import type { DenoAddr, DenoConn, DenoHost, DenoListener } from "./deno-host.js";
import { ConnIO, DenoStream } from "./deno-stream.js";
import type { StreamOwner } from "./deno-stream.js";
import { TlsTunnel, clientTls, denoClientOptions, peerCert, serverTls, tlsWire } from "./deno-tls.js";
import type { ClientTls, ServerTls } from "./deno-tls.js";

const CREATE_OPS = new Set<Command["op"]>(["connect", "connectUnix", "listen", "listenUnix", "startTls", "stopListening"]);

/** A server's listener, by id. */
interface Listening {
  id: number;
  listener: DenoListener;
  /** TLS over TCP is Deno.listenTls; over a Unix socket, a tunnel per connection. */
  tls: ServerTls | null;
  path: string | null;
  closed: boolean;
}

function addrOf(a: DenoAddr): Address {
  return a.transport === "unix" || a.transport === "unixpacket" ? a.path ?? "" : [a.hostname ?? "", a.port ?? 0];
}

function closeQuietly(conn: DenoConn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}

/** TCP_NODELAY, as asyncio sets it on every TCP socket (a TLS connection has no setNoDelay on Deno). */
function noDelay(conn: DenoConn): void {
  try {
    conn.setNoDelay?.(true);
  } catch {
    // closed already: the read loop finds out
  }
}

/** An IPv6 literal as Deno wants it in `hostname` (no brackets needed: Deno takes both). */
function hostnameFor(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

export class DenoNet implements StreamOwner {
  private readonly servers = new Map<number, Listening>();
  private nextAccepted = ACCEPTED_ID_BASE;

  constructor(private readonly host: DenoHost) {}

  emit(event: HostEvent): void {
    this.host.emit(event);
  }

  emitLater(event: HostEvent): void {
    this.host.emitLater(event);
  }

  forget(stream: DenoStream): void {
    if (this.host.streams.get(stream.id) === stream) this.host.streams.delete(stream.id);
  }

  handles(command: Command): boolean {
    if (CREATE_OPS.has(command.op)) return true;
    // close/abort of a server
    return (command.op === "close" || command.op === "abort") && this.servers.has(command.id);
  }

  send(command: Command): void {
    switch (command.op) {
      case "connect":
        if (command.localAddr != null) {
          throw new NotImplementedError("localAddr is not available on deno (Deno.connect cannot bind the local end of a connection)");
        }
        return this.connect(command.id, command.host, command.port, command.tls ?? null);
      case "connectUnix":
        return this.connectUnix(command.id, command.path, command.tls ?? null);
      case "listen":
        return this.listen(command.id, command.host, command.port, command.backlog, command.tls ?? null);
      case "listenUnix":
        return this.listenUnix(command.id, command.path, command.tls ?? null);
      case "startTls":
        return this.startTls(command.id, command.serverSide, command.tls);
      case "stopListening":
      case "close":
      case "abort":
        return this.stopListening(command.id);
      default:
        throw new NotImplementedError(`'${command.op}' is not a socket operation`);
    }
  }

  supports(feature: Feature): boolean {
    return feature === "tcp" || feature === "tls" || feature === "unix" || feature === "tcpServer";
  }

  hostObject(id: number): unknown {
    return this.servers.get(id)?.listener ?? null;
  }

  detach(): void {
    for (const entry of this.servers.values()) this.closeListener(entry);
    this.servers.clear();
  }

  // ---- clients ------------------------------------------------------------------------------

  /** A socket stream whose connection is under way: an `abort` meanwhile ends it. */
  private pending(id: number): DenoStream {
    const stream = new DenoStream(this, id, "socket", null);
    stream.flag = "net";
    this.host.streams.set(id, stream);
    return stream;
  }

  private connect(id: number, host: string, port: number, tls: TlsOptions | null): void {
    const c = tls === null ? null : clientTls(tls, host); // throws NotImplementedError at once
    const stream = this.pending(id);
    const hostname = hostnameFor(host);
    void (async () => {
      await undefined; // never emit from inside `send`
      let conn: DenoConn | null = null;
      try {
        if (c === null) conn = await this.host.deno.connect({ hostname, port });
        else if (c.name === hostname) conn = await this.host.deno.connectTls({ ...denoClientOptions(c), hostname, port, ...this.clientCert(c) });
        else {
          // the certificate names another host than the one dialled: connect, then TLS (a fresh
          // connection has no read in flight, so Deno.startTls can take it)
          if (c.cert !== undefined) throw new NotImplementedError("a client certificate with serverHostname other than the host is not available on deno");
          const plain = await this.host.deno.connect({ hostname, port });
          if (stream.closed) {
            plain.close();
            return;
          }
          try {
            conn = await this.host.deno.startTls(plain, denoClientOptions(c));
          } catch (err) {
            closeQuietly(plain);
            throw err;
          }
        }
        if (c !== null && !stream.closed) await conn.handshake!();
      } catch (err) {
        if (conn !== null) closeQuietly(conn); // a failed handshake leaves the socket open
        this.connectFailed(stream, err, c);
        return;
      }
      this.connected(stream, conn, conn, c !== null, null);
    })();
  }

  private clientCert(c: ClientTls): Record<string, unknown> {
    return c.cert !== undefined ? { cert: c.cert, key: c.key } : {};
  }

  private connectUnix(id: number, path: string, tls: TlsOptions | null): void {
    const c = tls === null ? null : clientTls(tls, null);
    if (c !== null && c.cert !== undefined) throw new NotImplementedError("a client certificate over a Unix socket is not available on deno");
    const stream = this.pending(id);
    stream.flag = "read";
    void (async () => {
      await undefined; // never emit from inside `send`
      let raw: DenoConn;
      try {
        raw = await this.host.deno.connect({ transport: "unix", path });
      } catch (err) {
        this.connectFailed(stream, err, null);
        return;
      }
      if (c === null) return this.connected(stream, raw, raw, false, path);
      if (stream.closed) return raw.close();
      // TLS over a Unix socket: Deno.startTls takes TCP only, so through the tunnel
      const tunnel = new TlsTunnel(this.host.deno, { io: new ConnIO(raw), rawWritten: Promise.resolve(), early: [], stale: null }, (err) => stream.fail(err));
      stream.onClosed = (graceful) => tunnel.close(graceful);
      let secure: DenoConn;
      try {
        secure = await tunnel.openClient(c);
      } catch (err) {
        tunnel.close(false);
        this.connectFailed(stream, err, c);
        return;
      }
      this.connected(stream, secure, raw, true, path);
    })();
  }

  private connectFailed(stream: DenoStream, err: unknown, c: ClientTls | null): void {
    if (stream.closed) return; // aborted meanwhile: `closed` was emitted
    stream.closed = true;
    this.forget(stream);
    const error = c !== null ? tlsWire(err, c.noVerify) : denoWire(err, stream.flag);
    this.host.emit({ kind: "error", id: stream.id, error });
  }

  /** Connected (and handshaken): the stream gets its connection, paused until the loop resumes it. */
  private connected(stream: DenoStream, conn: DenoConn, raw: DenoConn, tls: boolean, unix: string | null): void {
    if (stream.closed) {
      try {
        conn.close();
      } catch {
        // gone already
      }
      return;
    }
    stream.io = new ConnIO(conn);
    stream.hostObject = conn;
    stream.established = true;
    if (unix === null) noDelay(conn);
    if (tls) stream.toWire = (err) => tlsWire(err);
    const event: HostEvent = unix === null
      ? { kind: "connected", id: stream.id, local: addrOf(raw.localAddr), remote: addrOf(raw.remoteAddr) }
      // a Unix client's own name is '' and its peer's the path, as asyncio reports them
      : { kind: "connected", id: stream.id, local: "", remote: unix };
    if (tls) {
      event.peercert = peerCert(this.host.deno, conn);
      event.cipher = null;
    }
    this.host.emit(event);
  }

  // ---- servers ------------------------------------------------------------------------------

  private listen(id: number, host: string | null, port: number, backlog: number, tls: TlsOptions | null): void {
    const s = tls === null ? null : serverTls(tls);
    // asyncio's host=None is every interface: one dual-stack listener on "::" (as Node does),
    // or 0.0.0.0 where the machine has no IPv6
    const every = host === null || host === "";
    const options: Record<string, unknown> = { hostname: every ? "::" : hostnameFor(host), port, tcpBacklog: backlog };
    if (s !== null) {
      options.cert = s.cert;
      options.key = s.key;
      if (s.alpnProtocols !== undefined) options.alpnProtocols = s.alpnProtocols;
    }
    const make = () => (s === null ? this.host.deno.listen(options) : this.host.deno.listenTls(options));
    let listener: DenoListener;
    try {
      try {
        listener = make();
      } catch (err) {
        if (!every || (err instanceof Error && isPermissionRefusal(err))) throw err;
        options.hostname = "0.0.0.0";
        listener = make();
      }
    } catch (err) {
      this.host.emitLater({ kind: "error", id, error: s !== null ? tlsWire(err) : denoWire(err, "net") });
      return;
    }
    this.serve({ id, listener, tls: s, path: null, closed: false });
  }

  private listenUnix(id: number, path: string, tls: TlsOptions | null): void {
    const s = tls === null ? null : serverTls(tls);
    let listener: DenoListener;
    try {
      this.removeStaleSocket(path);
      listener = this.host.deno.listen({ transport: "unix", path });
    } catch (err) {
      this.host.emitLater({ kind: "error", id, error: denoWire(err, "write") });
      return;
    }
    this.serve({ id, listener, tls: s, path, closed: false });
  }

  /** asyncio's create_unix_server removes a stale socket file at the path (never another file). */
  private removeStaleSocket(path: string): void {
    if (path.startsWith("\0")) return; // Linux abstract namespace: no file
    let isSocket = false;
    try {
      isSocket = this.host.deno.lstatSync(path).isSocket === true;
    } catch (err) {
      if (err instanceof Error && err.name === "NotFound") return;
      throw err; // a refused permission: the listen fails with it
    }
    if (isSocket) this.host.deno.removeSync(path);
  }

  private serve(entry: Listening): void {
    this.servers.set(entry.id, entry);
    const addresses: Address[] = [entry.path ?? addrOf(entry.listener.addr)];
    this.host.emitLater({ kind: "listening", id: entry.id, addresses });
    void this.acceptLoop(entry);
  }

  private async acceptLoop(entry: Listening): Promise<void> {
    for (;;) {
      let conn: DenoConn;
      try {
        conn = await entry.listener.accept();
      } catch (err) {
        if (entry.closed || isClosedResource(err)) return;
        // an accept error (too many open files…): asyncio logs it and goes on; so does Node
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (entry.closed) return;
        continue;
      }
      if (entry.closed) {
        conn.close();
        return;
      }
      if (entry.tls === null) this.accepted(entry, conn, conn, null);
      else void this.acceptTls(entry, conn, entry.tls);
    }
  }

  /** A TLS connection is accepted once its handshake is done; a failed one is dropped (as Node's tlsClientError). */
  private async acceptTls(entry: Listening, conn: DenoConn, s: ServerTls): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let tunnel: TlsTunnel | null = null;
    const timeout = s.handshakeTimeoutMs === null ? null : new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("TLS handshake timed out")), s.handshakeTimeoutMs!);
    });
    let secure: DenoConn;
    try {
      let handshake: Promise<unknown>;
      if (entry.path === null) {
        secure = conn;
        handshake = conn.handshake!();
      } else {
        tunnel = new TlsTunnel(this.host.deno, { io: new ConnIO(conn), rawWritten: Promise.resolve(), early: [], stale: null }, () => tunnel?.close(false));
        handshake = tunnel.openServer(s).then((c) => (secure = c));
      }
      await (timeout === null ? handshake : Promise.race([handshake, timeout]));
    } catch {
      if (tunnel !== null) tunnel.close(false);
      try {
        conn.close();
      } catch {
        // closed already
      }
      return;
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
    if (entry.closed) {
      tunnel?.close(false);
      secure!.close();
      return;
    }
    const stream = this.accepted(entry, secure!, conn, peerCert(this.host.deno, secure!));
    if (tunnel !== null) {
      const t = tunnel;
      stream.onClosed = (graceful) => t.close(graceful);
    }
  }

  private accepted(entry: Listening, conn: DenoConn, raw: DenoConn, peercert: Record<string, unknown> | null): DenoStream {
    const child = this.nextAccepted++;
    if (entry.path === null) noDelay(conn);
    const stream = new DenoStream(this, child, "socket", new ConnIO(conn));
    stream.flag = "net";
    stream.hostObject = conn;
    stream.established = true;
    if (entry.tls !== null) stream.toWire = (err) => tlsWire(err);
    this.host.streams.set(child, stream);
    const local = entry.path === null ? addrOf(raw.localAddr) : entry.path;
    const remote = entry.path === null ? addrOf(raw.remoteAddr) : "";
    const event: HostEvent = { kind: "accepted", id: entry.id, child, local, remote };
    if (entry.tls !== null) {
      event.peercert = peercert;
      event.cipher = null;
    }
    this.host.emit(event);
    return stream;
  }

  private stopListening(id: number): void {
    const entry = this.servers.get(id);
    if (entry === undefined) return;
    this.servers.delete(id);
    this.closeListener(entry);
    this.host.emitLater({ kind: "closed", id, error: null });
  }

  private closeListener(entry: Listening): void {
    if (entry.closed) return;
    entry.closed = true;
    try {
      entry.listener.close();
    } catch {
      // closed already
    }
    // asyncio 3.13 removes a Unix server's socket file when it closes (Node does too)
    if (entry.path !== null && !entry.path.startsWith("\0")) {
      try {
        this.host.deno.removeSync(entry.path);
      } catch {
        // gone, or not ours to remove
      }
    }
  }

  // ---- TLS upgrade (StreamWriter.startTls, loop.startTls) ----------------------------------

  private startTls(id: number, serverSide: boolean, tls: TlsOptions): void {
    const stream = this.host.streams.get(id);
    if (stream === undefined || stream.closed || stream.kind !== "socket" || stream.io === null) return;
    let c: ClientTls | null = null;
    let s: ServerTls | null = null;
    try {
      if (serverSide) s = serverTls(tls);
      else {
        c = clientTls(tls, null);
        if (c.cert !== undefined) throw new NotImplementedError("a client certificate in startTls is not available on deno (Deno.startTls takes none)");
      }
    } catch (err) {
      // bad TLS options: the upgrade fails and the connection goes (as on Node)
      stream.upgrading = true;
      const error = denoWire(err);
      queueMicrotask(() => stream.failUpgrade(error));
      return;
    }
    const raw = stream.io;
    const { rawWritten, held } = stream.beginUpgrade();
    let stale: Promise<Uint8Array | null> | null = null;
    if (stream.readInFlight) stale = new Promise((resolve) => (stream.onStaleRead = resolve));
    const tunnel = new TlsTunnel(this.host.deno, { io: raw, rawWritten, early: held === undefined ? [] : [held], stale }, (err) => stream.fail(err));
    stream.onClosed = (graceful) => tunnel.close(graceful);
    void (async () => {
      await undefined; // never emit from inside `send`
      let secure: DenoConn;
      try {
        secure = await (s !== null ? tunnel.openServer(s) : tunnel.openClient(c!));
      } catch (err) {
        tunnel.close(false);
        stream.failUpgrade(tlsWire(err, c?.noVerify ?? false));
        return;
      }
      if (stream.closed) return;
      stream.hostObject = secure;
      stream.toWire = (err) => tlsWire(err);
      const peercert = peerCert(this.host.deno, secure);
      stream.endUpgrade(new ConnIO(secure));
      this.host.emit({ kind: "tlsUpgraded", id, peercert, cipher: null });
    })();
  }
}
