// The Node driver (Bun runs it too): the generic clock/timers/promises driver plus sockets
// (io/node-net.ts: TCP, TLS, Unix, UDP) and processes (io/node-proc.ts: subprocesses,
// signals, worker executors). Node's modules are reached through `process.getBuiltinModule`
// (Node ≥ 20.16, Bun, Deno), so this file imports nothing from `node:` and the same bundle
// still loads in a browser, which never picks this driver.

import type { Command, Feature, HostEvent } from "./driver.js";
import { TimersDriver } from "./timers.js";
import { NodeNet } from "./node-net.js";
import { NodeProc } from "./node-proc.js";
import { NodeUdp } from "./node-udp.js";
import { WebSockets } from "./web.js";

type GetBuiltin = (name: string) => unknown;

/** `process.getBuiltinModule`, or null where the host has none. */
export function builtinLoader(): GetBuiltin | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process;
  return typeof proc?.getBuiltinModule === "function" ? proc.getBuiltinModule.bind(proc) : null;
}

/** What the host parts of this driver share: the one way events enter, and Node's modules. */
export interface NodeHost {
  /** Queue an event for the loop (and wake it). */
  emit(event: HostEvent): void;
  /** A Node builtin module by name (`node:net`). */
  load<T>(name: string): T;
  /** The host's name for messages (`node` or `bun`). */
  readonly host: string;
}

export class NodeDriver extends TimersDriver {
  private readonly _net: NodeNet;
  private readonly _proc: NodeProc;
  private readonly _udp: NodeUdp;
  private readonly _ws: WebSockets; // openWebSocket where the host has a global WebSocket (Node ≥ 22, Bun)

  constructor(host?: string) {
    super(host);
    const getBuiltin = builtinLoader();
    if (getBuiltin === null) throw new Error("the Node driver needs process.getBuiltinModule (Node 20.16 or newer)");
    const shared: NodeHost = {
      emit: (event) => this.emit(event),
      load: <T>(name: string) => getBuiltin(name) as T,
      host: this.host,
    };
    this._net = new NodeNet(shared);
    this._proc = new NodeProc(shared);
    this._udp = new NodeUdp(shared);
    this._ws = new WebSockets(shared);
  }

  override send(command: Command): void {
    // UDP first: it takes close/abort of the sockets it made, the rest go to net
    if (this._ws.handles(command)) this._ws.send(command);
    else if (this._udp.handles(command)) this._udp.send(command);
    else if (this._net.handles(command)) this._net.send(command);
    else if (this._proc.handles(command)) this._proc.send(command);
    else if (command.op === "close" || command.op === "abort") {
      // a resource the host already forgot (closed, then run() ended before its closed event
      // was delivered): there is nothing left to close
    } else super.send(command);
  }

  override supports(feature: Feature): boolean {
    return this._net.supports(feature) || this._proc.supports(feature) || this._udp.supports(feature) || this._ws.supports(feature);
  }

  override hostObject(id: number): unknown {
    return this._udp.hostObject(id) ?? this._net.hostObject(id) ?? this._proc.hostObject(id) ?? this._ws.hostObject(id);
  }

  override detach(): void {
    this._ws.detach();
    this._net.detach();
    this._udp.detach();
    this._proc.detach();
    super.detach();
  }
}
