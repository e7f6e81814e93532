// What the parts of the Deno driver share (io/deno.ts is the driver): the small part of Deno's
// API they use, as structural types (no Deno types in src/), Deno's errors as data, and the
// host interface through which events enter.

import type { HostEvent, WireError } from "./driver.js";
import type { DenoStream } from "./deno-stream.js";

// ---- the part of Deno's API used here (structural types: no Deno types in src/) ---------------------

/** A network address as Deno reports it. */
export interface DenoAddr {
  transport: string;
  hostname?: string;
  port?: number;
  path?: string | null;
}

/** `Deno.Conn` (TCP, TLS and Unix connections). */
export interface DenoConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  readonly localAddr: DenoAddr;
  readonly remoteAddr: DenoAddr;
  setNoDelay?(noDelay?: boolean): void;
  handshake?(): Promise<{ alpnProtocol: string | null }>;
}

/** `Deno.Listener`. */
export interface DenoListener {
  accept(): Promise<DenoConn>;
  close(): void;
  readonly addr: DenoAddr;
}

/** `Deno.DatagramConn` (unstable). */
export interface DenoDatagramConn {
  receive(p?: Uint8Array): Promise<[Uint8Array, DenoAddr]>;
  send(p: Uint8Array, addr: DenoAddr): Promise<number>;
  close(): void;
  readonly addr: DenoAddr;
}

/** `Deno.ChildProcess`. */
export interface DenoChild {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<{ success: boolean; code: number; signal: string | null }>;
  kill(signal?: string): void;
}

/** The `Deno` namespace, as far as this driver uses it. */
export interface DenoNamespace {
  connect(options: Record<string, unknown>): Promise<DenoConn>;
  listen(options: Record<string, unknown>): DenoListener;
  connectTls(options: Record<string, unknown>): Promise<DenoConn>;
  listenTls(options: Record<string, unknown>): DenoListener;
  startTls(conn: DenoConn, options: Record<string, unknown>): Promise<DenoConn>;
  listenDatagram?(options: Record<string, unknown>): DenoDatagramConn;
  Command: new (file: string, options: Record<string, unknown>) => { spawn(): DenoChild };
  addSignalListener(signal: string, handler: () => void): void;
  removeSignalListener(signal: string, handler: () => void): void;
  lstatSync(path: string): { isSocket: boolean | null };
  removeSync(path: string): void;
  readonly stdout: { write(p: Uint8Array): Promise<number> };
  readonly build: { os: string };
  readonly errors: Record<string, new (...args: never[]) => Error>;
  readonly internal?: symbol;
  [key: symbol]: unknown;
}

/** The `Deno` global, or null on another host. */
export function denoNamespace(): DenoNamespace | null {
  const deno = (globalThis as { Deno?: DenoNamespace }).Deno;
  return deno !== undefined && typeof deno.connect === "function" && typeof deno.Command === "function" ? deno : null;
}

// ---- errors as data ------------------------------------------------------------------------------

/** Deno's error classes that carry no errno code, by the code they stand for. */
const CODE_BY_CLASS: Record<string, string> = {
  NotFound: "ENOENT",
  PermissionDenied: "EACCES",
  NotCapable: "EACCES",
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNABORTED",
  NotConnected: "ENOTCONN",
  AddrInUse: "EADDRINUSE",
  AddrNotAvailable: "EADDRNOTAVAIL",
  BrokenPipe: "EPIPE",
  AlreadyExists: "EEXIST",
  TimedOut: "ETIMEDOUT",
  WouldBlock: "EAGAIN",
  IsADirectory: "EISDIR",
  NotADirectory: "ENOTDIR",
};

/** The permission each kind of operation needs, for messages (`--allow-${flag}`). */
export type DenoFlag = "net" | "run" | "read" | "write" | "env";

/**
 * A Deno error as data. A refused permission (`NotCapable`, or Deno 1's `PermissionDenied`
 * "Requires … access") gets the code EACCES, so the loop raises PermissionError, and a
 * message that names the flag the program must be run with.
 */
export function denoWire(err: unknown, flag: DenoFlag | null = null): WireError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err) };
  const wire: WireError = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") wire.code = code;
  else if (CODE_BY_CLASS[err.name] !== undefined) wire.code = CODE_BY_CLASS[err.name];
  if (err.stack !== undefined) wire.stack = err.stack;
  if (isPermissionRefusal(err)) {
    wire.code = "EACCES";
    const named = /--allow-[a-z-]+/.exec(err.message);
    const needed = named !== null ? named[0] : flag !== null ? `--allow-${flag}` : null;
    if (named === null && needed !== null) wire.message = `${err.message} (run deno with ${needed})`;
  }
  return wire;
}

/** Deno's permission system said no (not an EACCES from the OS). */
export function isPermissionRefusal(err: Error): boolean {
  return err.name === "NotCapable" || (err.name === "PermissionDenied" && /Requires .* access/.test(err.message));
}

/** A resource that is closed already (`BadResource`, `Interrupted` after close): not worth an event. */
export function isClosedResource(err: unknown): boolean {
  return err instanceof Error && (err.name === "BadResource" || err.name === "Interrupted");
}

// ---- what the parts share ------------------------------------------------------------------------

/** What the host parts of this driver share: the one way events enter, and Deno itself. */
export interface DenoHost {
  /** Queue an event for the loop (and wake it). From host callbacks only. */
  emit(event: HostEvent): void;
  /** The same, from inside `send`: the event is queued from a microtask. */
  emitLater(event: HostEvent): void;
  readonly deno: DenoNamespace;
  /** `deno`, for messages. */
  readonly host: string;
  /** Every open byte stream (sockets and process pipes), by id: the stream ops go there. */
  readonly streams: Map<number, DenoStream>;
}

