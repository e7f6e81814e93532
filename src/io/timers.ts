// The driver every JS host can run: a real clock, host timers, macrotask yields and host
// promises (`wrap`). Node, Bun, Deno, browsers and workerd all have these; the drivers with
// sockets and processes extend this one (io/node.ts).
//
// Yields use the fastest macrotask the host has: setImmediate (Node, Bun), else one
// MessageChannel (browsers, Deno, workerd: no 4 ms clamping of nested timeouts), else setTimeout.

import { NotImplementedError } from "../errors.js";
import type { Command, Driver, Feature, HostEvent, WakeReason } from "./driver.js";

type Callback = () => void;

const g = globalThis as unknown as {
  setImmediate?: (cb: Callback) => unknown;
  setTimeout: (cb: Callback, ms: number) => unknown;
  clearTimeout: (t: unknown) => void;
  MessageChannel?: typeof MessageChannel;
  performance?: { now(): number };
};

/** Real monotonic time in seconds. */
export const realNow: () => number =
  typeof g.performance !== "undefined" && typeof g.performance.now === "function"
    ? () => g.performance!.now() / 1000
    : () => Date.now() / 1000;

function makeMacrotask(): (cb: Callback) => void {
  if (typeof g.setImmediate === "function") {
    const si = g.setImmediate;
    return (cb) => void si(cb);
  }
  if (typeof g.MessageChannel === "function") {
    // One channel, a FIFO of callbacks: a message per request, no timer clamping.
    const queue: Callback[] = [];
    const channel = new g.MessageChannel();
    channel.port1.onmessage = () => {
      const cb = queue.shift();
      if (cb) cb();
    };
    return (cb) => {
      queue.push(cb);
      channel.port2.postMessage(0);
    };
  }
  return (cb) => void g.setTimeout(cb, 0);
}

/** Run `cb` in a new host macrotask, as soon as the host allows. */
export const macrotask: (cb: Callback) => void = makeMacrotask();

/** Longest delay setTimeout accepts (2^31 - 1 ms); longer waits re-arm. */
const MAX_TIMEOUT_MS = 2147483647;

/**
 * Read an environment variable where the host has one. Deno without --allow-env throws, and in
 * a terminal it would stop to ask the user first: there, a variable not granted reads as unset.
 */
export function readEnv(name: string): string | undefined {
  try {
    const perms = (globalThis as { Deno?: { permissions?: { querySync?(d: { name: string; variable: string }): { state: string } } } }).Deno?.permissions;
    if (typeof perms?.querySync === "function" && perms.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
    const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
    return proc?.env?.[name];
  } catch {
    return undefined;
  }
}

/** Which host this is, for messages. */
export function hostName(): string {
  const gl = globalThis as Record<string, unknown>;
  if (typeof gl.Bun !== "undefined") return "bun";
  if (typeof gl.Deno !== "undefined") return "deno";
  if (typeof (gl.navigator as { userAgent?: string } | undefined)?.userAgent === "string" &&
      (gl.navigator as { userAgent: string }).userAgent.includes("Cloudflare-Workers")) return "workerd";
  const proc = gl.process as { versions?: { node?: string } } | undefined;
  if (proc?.versions?.node) return "node";
  if (typeof gl.window !== "undefined" || typeof gl.importScripts === "function") return "browser";
  return "this host";
}

/**
 * Clock, timers, yields and promises on any JS host. Subclasses add resources by overriding
 * `send` (calling `super.send` for what they do not handle) and `supports`.
 */
export class TimersDriver implements Driver {
  readonly host: string;
  private _wake: ((reason: WakeReason) => void) | null = null;
  private _timer: unknown = null;
  private _events: HostEvent[] = [];
  private readonly _onTimer = (): void => {
    this._timer = null;
    this._wake?.("timer");
  };
  private readonly _onYield = (): void => {
    this._wake?.("yield");
  };

  constructor(host: string = hostName()) {
    this.host = host;
  }

  attach(wake: (reason: WakeReason) => void): void {
    this._wake = wake;
  }

  detach(): void {
    this.disarm();
    this.keepAlive(false);
    this._wake = null;
    this._events = [];
  }

  now(): number {
    return realNow();
  }

  entropy(): number {
    return Math.floor(Math.random() * 2 ** 32) >>> 0;
  }

  arm(delay: number): void {
    this.disarm();
    const ms = Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil(delay * 1000)));
    this._timer = g.setTimeout(this._onTimer, ms);
  }

  disarm(): void {
    if (this._timer !== null) {
      g.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  yieldToHost(): void {
    macrotask(this._onYield);
  }

  private _keepAlive: unknown = null;
  keepAlive(on: boolean): void {
    if (on && this._keepAlive === null) {
      // a timer the host must wait for (Node exits when nothing is pending); it does nothing
      this._keepAlive = g.setTimeout(function keep() {}, MAX_TIMEOUT_MS);
    } else if (!on && this._keepAlive !== null) {
      g.clearTimeout(this._keepAlive);
      this._keepAlive = null;
    }
  }

  /** Queue an event from a host callback and wake the loop (subclasses' one way in). */
  protected emit(event: HostEvent): void {
    if (this._wake === null) return; // detached: the loop is closed, nobody will poll
    this._events.push(event);
    this._wake?.("event");
  }

  poll(_iteration?: number): HostEvent[] | null {
    const events = this._events;
    if (events.length === 0) return null;
    this._events = [];
    return events;
  }

  send(command: Command): void {
    if (command.op === "settle") {
      const { id, promise } = command;
      // `then` may throw (a hostile thenable): the caller (wrap) undoes its bookkeeping
      promise.then(
        (value) => this.emit({ kind: "settled", id, ok: true, value }),
        (reason) => this.emit({ kind: "settled", id, ok: false, value: reason }),
      );
      return;
    }
    throw new NotImplementedError(`${describeCommand(command)} is not available on ${this.host}`);
  }

  supports(_feature: Feature): boolean {
    return false;
  }

  hostObject(_id: number): unknown {
    return null;
  }
}

/** A command's feature, in words, for NotImplementedError messages. */
export function describeCommand(command: Command): string {
  switch (command.op) {
    case "connect":
      return "TCP connections";
    case "connectUnix":
    case "listenUnix":
      return "Unix sockets";
    case "listen":
      return "TCP servers";
    case "bindDatagram":
    case "sendto":
      return "UDP datagrams";
    case "spawn":
    case "kill":
      return "subprocesses";
    case "addSignal":
    case "removeSignal":
      return "signal handlers";
    case "createExecutor":
    case "call":
    case "shutdownExecutor":
      return "worker executors";
    default:
      return `the '${command.op}' operation`;
  }
}
