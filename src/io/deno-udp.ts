// Deno UDP sockets for the driver (Deno.listenDatagram, which Deno has only with --unstable-net):
// `bindDatagram`, `sendto`, and `close`/`abort` of the sockets made here, with the Node driver's
// events (io/node-udp.ts): `connected` (local, remote) or `error`; `datagram`s; send errors as
// `error` events that leave the socket open; `closed` after close/abort.
//
// Deno's datagram sockets cannot connect: an endpoint with a remote address is a bound socket
// that sends there by default and drops datagrams from anywhere else, as a connected socket
// does in the kernel.

import type { Command, Feature, WireError } from "./driver.js";
import { denoWire, isClosedResource } from "./deno-host.js";
import type { DenoDatagramConn, DenoHost } from "./deno-host.js";

/** One socket, from `bindDatagram` until `closed` was emitted. */
interface UdpEntry {
  id: number;
  conn: DenoDatagramConn | null;
  /** The address a "connected" endpoint talks to (resolved), or null. */
  remote: [string, number] | null;
  ending: boolean;
  sending: number;
  closeWhenSent: boolean;
  closedEmitted: boolean;
}

function literalFamily(host: string): 0 | 4 | 6 {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return 4;
  if (host.includes(":")) return 6;
  return 0;
}

export class DenoUdp {
  private readonly entries = new Map<number, UdpEntry>();

  constructor(private readonly host: DenoHost) {}

  private get available(): boolean {
    return typeof this.host.deno.listenDatagram === "function";
  }

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

  supports(feature: Feature): boolean {
    return feature === "udp" && this.available;
  }

  /** UDP needs a flag on Deno: say which. */
  unsupportedHint(feature: Feature): string | null {
    return feature === "udp" && !this.available ? "Deno.listenDatagram needs the --unstable-net flag (deno run --unstable-net …)" : null;
  }

  hostObject(id: number): unknown {
    return this.entries.get(id)?.conn ?? null;
  }

  send(command: Command): void {
    switch (command.op) {
      case "bindDatagram":
        return this.bind(command);
      case "sendto": {
        const e = this.entries.get(command.id);
        if (e === undefined || e.ending || e.conn === null) return; // ended: dropped, as the loop does
        const addr = command.addr ?? e.remote;
        if (addr === null) return; // the loop checks that an unconnected endpoint names one
        void this.sendOne(e, e.conn, command.bytes, addr);
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
        throw new Error(`DenoUdp cannot handle '${command.op}'`);
    }
  }

  private async sendOne(e: UdpEntry, conn: DenoDatagramConn, bytes: Uint8Array, addr: [string, number]): Promise<void> {
    e.sending++;
    try {
      await conn.send(bytes, { transport: "udp", hostname: addr[0], port: addr[1] });
    } catch (err) {
      if (!e.ending) this.host.emit({ kind: "error", id: e.id, error: denoWire(err, "net") });
    } finally {
      e.sending--;
      if (e.closeWhenSent && e.sending === 0) this.destroy(e);
    }
  }

  private bind(command: Command & { op: "bindDatagram" }): void {
    const e: UdpEntry = { id: command.id, conn: null, remote: null, ending: false, sending: 0, closeWhenSent: false, closedEmitted: false };
    this.entries.set(command.id, e);
    if (!this.available) {
      this.failBind(e, { name: "NotImplementedError", message: `UDP datagrams are not available on deno without --unstable-net: ${this.unsupportedHint("udp")}` });
      return;
    }
    if (command.allowBroadcast) {
      this.failBind(e, { name: "NotImplementedError", message: "allowBroadcast is not available on deno (Deno.listenDatagram cannot set SO_BROADCAST)" });
      return;
    }
    void this.open(e, command);
  }

  private async open(e: UdpEntry, command: Command & { op: "bindDatagram" }): Promise<void> {
    await undefined; // never emit from inside `send`
    const remote = command.remoteAddr ?? null;
    let family: 0 | 4 | 6 = command.family ?? 0;
    for (const addr of [command.localAddr ?? null, remote]) if (family === 0 && addr !== null) family = literalFamily(addr[0]);
    try {
      if (remote !== null) e.remote = [await this.resolve(remote[0], family), remote[1]];
      if (family === 0 && e.remote !== null) family = literalFamily(e.remote[0]);
    } catch (err) {
      this.failBind(e, denoWire(err, "net"));
      return;
    }
    if (e.ending) return this.destroy(e);
    const local = command.localAddr ?? null;
    // no local address: every interface, as an unconnected socket binds — but a loopback peer
    // is reached from the loopback address (what the kernel picks for a connected socket, and
    // all that --allow-net=127.0.0.1 allows)
    const loopback = e.remote !== null && (e.remote[0].startsWith("127.") || e.remote[0] === "::1");
    const hostname = local !== null && local[0] !== "" ? local[0] : loopback ? e.remote![0] === "::1" ? "::1" : "127.0.0.1" : family === 6 ? "::" : "0.0.0.0";
    let conn: DenoDatagramConn;
    try {
      conn = this.host.deno.listenDatagram!({ transport: "udp", hostname, port: local?.[1] ?? 0, reuseAddress: command.reuseAddress === true });
    } catch (err) {
      this.failBind(e, denoWire(err, "net"));
      return;
    }
    e.conn = conn;
    const a = conn.addr;
    this.host.emit({ kind: "connected", id: e.id, local: [a.hostname ?? hostname, a.port ?? 0], remote: e.remote });
    void this.receiveLoop(e, conn);
  }

  /** A name as an address literal of `family` ("localhost" without asking DNS; others through Deno.resolveDns). */
  private async resolve(host: string, family: 0 | 4 | 6): Promise<string> {
    if (literalFamily(host) !== 0) return host;
    if (host === "localhost") return family === 6 ? "::1" : "127.0.0.1";
    const resolveDns = (this.host.deno as unknown as { resolveDns?: (name: string, type: string) => Promise<string[]> }).resolveDns;
    if (typeof resolveDns !== "function") return host;
    const found = await resolveDns(host, family === 6 ? "AAAA" : "A");
    if (found.length === 0) throw Object.assign(new Error(`${host}: no ${family === 6 ? "IPv6" : "IPv4"} address`), { code: "ENOTFOUND" });
    return found[0];
  }

  private async receiveLoop(e: UdpEntry, conn: DenoDatagramConn): Promise<void> {
    for (;;) {
      let got: [Uint8Array, { hostname?: string; port?: number }];
      try {
        got = await conn.receive();
      } catch (err) {
        if (e.ending || isClosedResource(err)) return;
        this.host.emit({ kind: "error", id: e.id, error: denoWire(err, "net") });
        continue;
      }
      if (e.ending) return;
      const [bytes, from] = got;
      const addr: [string, number] = [from.hostname ?? "", from.port ?? 0];
      // a "connected" endpoint hears only its peer, as the kernel filters for a connected socket
      if (e.remote !== null && (addr[0] !== e.remote[0] || addr[1] !== e.remote[1])) continue;
      this.host.emit({ kind: "datagram", id: e.id, bytes, addr });
    }
  }

  /** The bind failed: report it; the id stays until the loop's close/abort. */
  private failBind(e: UdpEntry, error: WireError): void {
    if (e.ending) return;
    this.host.emitLater({ kind: "error", id: e.id, error });
  }

  private destroy(e: UdpEntry): void {
    e.ending = true;
    e.closeWhenSent = false;
    if (e.conn !== null) {
      try {
        e.conn.close();
      } catch {
        // closed already
      }
      e.conn = null;
    }
    this.entries.delete(e.id);
    if (!e.closedEmitted) {
      e.closedEmitted = true;
      this.host.emitLater({ kind: "closed", id: e.id, error: null });
    }
  }

  /** The loop closed: close what is still open, silently. */
  detach(): void {
    for (const e of this.entries.values()) {
      e.ending = true;
      e.closedEmitted = true;
      try {
        e.conn?.close();
      } catch {
        // closed already
      }
    }
    this.entries.clear();
  }
}
