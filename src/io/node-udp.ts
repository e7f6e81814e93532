// Node UDP sockets for the driver (node:dgram): `bindDatagram`, `sendto`, and `close`/`abort`
// of the sockets made here. Host callbacks become events through `host.emit`; nothing here
// calls into the loop.
//
// The life of an id: `bindDatagram` creates, binds and (with a remote address) connects a
// socket, then emits `connected` (or `error`); `message`s become `datagram` events and socket
// errors (an ICMP "port unreachable" on a connected socket) `error` events, which leave the
// socket open as in asyncio. The loop ends every id with `close` (after the sends in flight)
// or `abort` (at once); `closed` follows, and the id is forgotten.

import type { Socket, RemoteInfo } from "node:dgram";
import type { Command, Feature, WireError } from "./driver.js";
import type { NodeHost } from "./node.js";

type Dgram = typeof import("node:dgram");
type Dns = typeof import("node:dns");

/** An error as data, to cross the driver. */
function toWire(err: unknown): WireError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, code: typeof code === "string" ? code : undefined, message: err.message, stack: err.stack };
  }
  return { name: "Error", message: String(err) };
}

/** `net.isIP` without loading node:net: 4, 6 or 0 for a name. */
function literalFamily(host: string): 0 | 4 | 6 {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return 4;
  if (host.includes(":")) return 6;
  return 0;
}

/** One socket, from `bindDatagram` until `closed` was emitted. */
class UdpEntry {
  socket: Socket | null = null;
  /** close/abort arrived: no more events but `closed`. */
  ending = false;
  /** `close` waits for this many sends to finish. */
  sending = 0;
  closeWhenSent = false;
  /** The bind failed and was reported (a failed connect may report through its callback and 'error'). */
  failed = false;
  /** socket.close() was called (a second call throws). */
  socketClosed = false;
  closedEmitted = false;
  /** The one send callback of this socket (not a closure per send). */
  readonly onSent: (err: Error | null) => void;

  constructor(
    private readonly udp: NodeUdp,
    readonly id: number,
  ) {
    this.onSent = (err) => {
      this.sending--;
      if (err && !this.ending) this.udp.host.emit({ kind: "error", id: this.id, error: toWire(err) });
      if (this.closeWhenSent && this.sending === 0) this.udp.destroy(this);
    };
  }
}

export class NodeUdp {
  private readonly entries = new Map<number, UdpEntry>();
  private _dgram: Dgram | null = null;

  constructor(readonly host: NodeHost) {}

  private get dgram(): Dgram {
    return (this._dgram ??= this.host.load<Dgram>("node:dgram"));
  }

  /** Whether `command` is ours: the datagram ops, and close/abort of a socket made here. */
  handles(command: Command): boolean {
    switch (command.op) {
      case "bindDatagram":
      case "sendto":
        return true;
      case "close":
      case "abort":
        return this.entries.has(command.id);
      default:
        return false;
    }
  }

  send(command: Command): void {
    switch (command.op) {
      case "bindDatagram":
        this.bind(command);
        return;
      case "sendto": {
        const e = this.entries.get(command.id);
        if (e === undefined || e.ending || e.socket === null) return; // ended: dropped, as the loop does
        e.sending++;
        try {
          if (command.addr) e.socket.send(command.bytes, command.addr[1], command.addr[0], e.onSent);
          else e.socket.send(command.bytes, e.onSent);
        } catch (err) {
          e.sending--;
          // never emit from inside send: the loop is in the middle of a callback
          queueMicrotask(() => {
            if (!e.ending) this.host.emit({ kind: "error", id: e.id, error: toWire(err) });
          });
        }
        return;
      }
      case "close":
      case "abort": {
        const e = this.entries.get(command.id);
        if (e === undefined) return;
        e.ending = true;
        if (command.op === "close" && e.sending > 0) e.closeWhenSent = true;
        else this.destroy(e);
        return;
      }
      default:
        throw new Error(`NodeUdp cannot handle '${command.op}'`);
    }
  }

  private bind(command: Command & { op: "bindDatagram" }): void {
    const e = new UdpEntry(this, command.id);
    this.entries.set(command.id, e);
    const local = command.localAddr ?? null;
    const remote = command.remoteAddr ?? null;
    let family: 0 | 4 | 6 = command.family ?? 0;
    for (const addr of [local, remote]) if (family === 0 && addr !== null) family = literalFamily(addr[0]);
    if (family !== 0) {
      this.open(e, family, command);
      return;
    }
    // Names only: the socket's IP version is that of the first address the name resolves to.
    const name = (local !== null && local[0] !== "" ? local : remote)![0];
    this.host.load<Dns>("node:dns").lookup(name, (err, _address, fam) => {
      if (e.ending) return this.destroy(e);
      if (err) return this.failBind(e, err);
      this.open(e, fam === 6 ? 6 : 4, command);
    });
  }

  private open(e: UdpEntry, family: 4 | 6, command: Command & { op: "bindDatagram" }): void {
    const { id } = e;
    let socket: Socket;
    try {
      socket = this.dgram.createSocket({ type: family === 6 ? "udp6" : "udp4", reuseAddr: command.reuseAddress === true });
    } catch (err) {
      this.failBind(e, err);
      return;
    }
    e.socket = socket;
    let bound = false;
    const fail = (err: Error): void => {
      if (bound) {
        if (!e.ending) this.host.emit({ kind: "error", id, error: toWire(err) });
      } else this.failBind(e, err);
    };
    socket.on("error", fail);
    socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
      if (e.ending) return;
      this.host.emit({ kind: "datagram", id, bytes: new Uint8Array(msg.buffer, msg.byteOffset, msg.length), addr: [rinfo.address, rinfo.port] });
    });
    socket.once("close", () => {
      this.entries.delete(id);
      if (!e.closedEmitted) {
        e.closedEmitted = true;
        this.host.emit({ kind: "closed", id, error: null });
      }
    });
    const ready = (): void => {
      if (e.ending) return;
      bound = true;
      try {
        if (command.allowBroadcast) socket.setBroadcast(true);
        const a = socket.address();
        let remote: [string, number] | null = null;
        if (command.remoteAddr) {
          const r = socket.remoteAddress();
          remote = [r.address, r.port];
        }
        this.host.emit({ kind: "connected", id, local: [a.address, a.port], remote });
      } catch (err) {
        bound = false;
        this.failBind(e, err);
      }
    };
    const connect = (): void => {
      const [host, port] = command.remoteAddr!;
      socket.connect(port, host, (err?: Error) => (err ? fail(err) : ready()));
    };
    try {
      const local = command.localAddr;
      if (local) {
        // "" is every address, as Python's ('', port)
        socket.bind({ port: local[1], address: local[0] === "" ? undefined : local[0] }, () => {
          if (e.ending) return;
          if (command.remoteAddr) connect();
          else ready();
        });
      } else if (command.remoteAddr) connect();
      else socket.bind({ port: 0 }, ready);
    } catch (err) {
      this.failBind(e, err);
    }
  }

  /** The bind failed: report it; the socket goes, the id stays until the loop's close/abort. */
  private failBind(e: UdpEntry, err: unknown): void {
    if (e.ending || e.failed) return;
    e.failed = true;
    const error = toWire(err);
    const socket = e.socket;
    e.socket = null;
    if (socket !== null) {
      socket.removeAllListeners();
      try {
        socket.close();
      } catch {
        // not running yet: nothing to close
      }
    }
    this.host.emit({ kind: "error", id: e.id, error });
  }

  /** @internal Close the socket now; `closed` follows (at once when there is none). */
  destroy(e: UdpEntry): void {
    e.ending = true;
    e.closeWhenSent = false;
    const socket = e.socket;
    if (socket !== null) {
      if (e.socketClosed) return; // close() already called: its 'close' listener emits `closed`
      e.socketClosed = true;
      try {
        socket.close();
        return;
      } catch {
        // not running (closed by Node): fall through
      }
    }
    this.entries.delete(e.id);
    if (!e.closedEmitted) {
      e.closedEmitted = true;
      queueMicrotask(() => this.host.emit({ kind: "closed", id: e.id, error: null }));
    }
  }

  supports(feature: Feature): boolean {
    return feature === "udp";
  }

  hostObject(id: number): unknown {
    return this.entries.get(id)?.socket ?? null;
  }

  /** The loop closed: close what is still open, silently. */
  detach(): void {
    for (const e of this.entries.values()) {
      e.ending = true;
      e.closedEmitted = true;
      const socket = e.socket;
      if (socket === null) continue;
      socket.removeAllListeners();
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    this.entries.clear();
  }
}
