// The Deno driver: the generic clock/timers/promises driver plus Deno's own APIs — sockets
// (io/deno-net.ts: Deno.connect/listen, connectTls/listenTls/startTls, Unix sockets), datagrams
// (io/deno-udp.ts: Deno.listenDatagram, behind --unstable-net), and processes
// (io/deno-proc.ts: Deno.Command, Deno.addSignalListener, Web Workers). It does not use
// Deno's Node compatibility layer, and it imports no host module: everything is reached through the
// `Deno` global, so the same bundle still loads in a browser, which never picks this driver.
//
// Deno's permissions: an operation the program was not allowed (`NotCapable`) ends as an
// `error`/`closed` event whose error has the code EACCES — the loop raises PermissionError —
// and a message that names the flag to add (`--allow-net`, `--allow-run`, `--allow-read`…).

import type { Command, Feature, HostEvent } from "./driver.js";
import { TimersDriver } from "./timers.js";
import { denoNamespace } from "./deno-host.js";
import type { DenoHost, DenoNamespace } from "./deno-host.js";
import { DenoNet } from "./deno-net.js";
import { DenoProc } from "./deno-proc.js";
import { DenoUdp } from "./deno-udp.js";
import { WebSockets } from "./web.js";

export { denoNamespace };

/** Ops on a byte stream, by id: whoever owns the id (a socket, a pipe) acts. */
const STREAM_OPS = new Set<Command["op"]>(["write", "writeEof", "pauseReading", "resumeReading", "close", "abort"]);

/**
 * The driver for Deno.
 *
 * @example
 * // chosen by io/choose.ts on Deno; run with the permissions the program needs:
 * //   deno run --allow-net=127.0.0.1 --allow-run main.mjs
 * await run(function* () { const [r, w] = yield* openConnection("127.0.0.1", 8080); });
 */
export class DenoDriver extends TimersDriver {
  private readonly _shared: DenoHost;
  private readonly _net: DenoNet;
  private readonly _proc: DenoProc;
  private readonly _udp: DenoUdp;
  private readonly _ws: WebSockets; // openWebSocket, over the global WebSocket (io/web.ts)
  private readonly _later: HostEvent[] = [];
  private _laterQueued = false;

  constructor(deno: DenoNamespace | null = denoNamespace()) {
    super("deno");
    if (deno === null) throw new Error("the Deno driver needs the Deno global (Deno.connect, Deno.Command)");
    this._shared = {
      emit: (event) => this.emit(event),
      emitLater: (event) => this._emitLater(event),
      deno,
      host: this.host,
      streams: new Map(),
    };
    this._net = new DenoNet(this._shared);
    this._proc = new DenoProc(this._shared);
    this._udp = new DenoUdp(this._shared);
    this._ws = new WebSockets({ emit: (event) => this.emit(event), host: this.host });
  }

  private _emitLater(event: HostEvent): void {
    this._later.push(event);
    if (this._laterQueued) return;
    this._laterQueued = true;
    queueMicrotask(() => {
      this._laterQueued = false;
      const events = this._later.splice(0);
      for (const e of events) this.emit(e);
    });
  }

  override send(command: Command): void {
    if (this._ws.handles(command)) return this._ws.send(command);
    if (STREAM_OPS.has(command.op)) {
      const stream = this._shared.streams.get((command as { id: number }).id);
      if (stream !== undefined) return stream.command(command);
    }
    if (this._udp.handles(command)) this._udp.send(command);
    else if (this._net.handles(command)) this._net.send(command);
    else if (this._proc.handles(command)) this._proc.send(command);
    else if (STREAM_OPS.has(command.op)) return; // an id that closed already: as on Node, ignored
    else super.send(command);
  }

  override supports(feature: Feature): boolean {
    return this._net.supports(feature) || this._proc.supports(feature) || this._udp.supports(feature) || this._ws.supports(feature);
  }

  /** Why `feature` is missing here, when a flag would add it (`--unstable-net` for UDP). */
  unsupportedHint(feature: Feature): string | null {
    return this._udp.unsupportedHint(feature);
  }

  override hostObject(id: number): unknown {
    return this._shared.streams.get(id)?.hostObject ?? this._udp.hostObject(id) ?? this._net.hostObject(id) ?? this._proc.hostObject(id) ?? this._ws.hostObject(id);
  }

  override detach(): void {
    for (const stream of this._shared.streams.values()) stream.destroy();
    this._shared.streams.clear();
    this._ws.detach();
    this._net.detach();
    this._udp.detach();
    this._proc.detach();
    super.detach();
  }
}
