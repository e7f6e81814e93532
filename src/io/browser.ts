// The browser driver (a page or a Web Worker): the timers driver — whose yields there go
// through one MessageChannel, never setTimeout, so a busy loop is not paced by timer clamping —
// plus WebSocket streams and module Web Workers for executors (io/web.ts). `wrap(fetch(…))`
// needs nothing more than the timers driver's `settle`.
//
// A browser has no raw TCP or Unix sockets, no listening sockets, no UDP, no processes and no
// signals: `supports` says so, and the loop-side APIs raise NotImplementedError naming the
// feature and "browser" at the call.

import type { Command, Feature } from "./driver.js";
import { TimersDriver } from "./timers.js";
import { WebSockets, WebWorkers, type WebHost } from "./web.js";

export class BrowserDriver extends TimersDriver {
  private readonly _ws: WebSockets;
  private readonly _workers: WebWorkers;

  constructor(host = "browser") {
    super(host);
    const shared: WebHost = { emit: (event) => this.emit(event), host: this.host };
    this._ws = new WebSockets(shared);
    this._workers = new WebWorkers(shared);
  }

  override send(command: Command): void {
    // WebSockets first: they take the stream ops of their own ids, the pool an `abort` of a call
    if (this._ws.handles(command)) this._ws.send(command);
    else if (this._workers.handles(command)) this._workers.send(command);
    else super.send(command);
  }

  override supports(feature: Feature): boolean {
    return this._ws.supports(feature) || this._workers.supports(feature);
  }

  /** A page or a worker never exits by itself while it waits: nothing to hold open, no timer. */
  override keepAlive(_on: boolean): void {}

  override hostObject(id: number): unknown {
    return this._ws.hostObject(id);
  }

  override detach(): void {
    this._ws.detach();
    this._workers.detach();
    super.detach();
  }
}
