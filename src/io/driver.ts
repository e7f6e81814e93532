// The driver: the one door between an event loop and its host.
//
//   loop ──send(command)──▶ driver ──▶ host (sockets, processes, timers, promises…)
//   loop ◀──poll() events── driver ◀── host callbacks
//
// The loop never touches the host itself: it reads the clock and entropy through the driver,
// asks it to arm a wake-up at the next deadline or to yield to the host, and sends every
// resource operation as a command (plain data). Every outcome comes back as an event (plain
// data), queued in arrival order and taken by the loop at one fixed point of an iteration, as
// asyncio's `_process_events` runs right after `select`. So "event E was processed in
// iteration N" is well defined: recording is a driver that wraps a driver and writes down each
// read and each polled batch; replay is a driver that returns them without a host; another
// host is another implementation of this interface.
//
// Resource ids are chosen by the loop (`loop._newResourceId()`), so they are the same on every
// run of the same program. The one exception is an accepted connection, which the host creates:
// its driver numbers it from ACCEPTED_ID_BASE upwards in arrival order, and the `accepted` event
// carries that id (a replay takes it from the trace).

/** An address: `[host, port]` for IP, the path for a Unix socket (as asyncio's `peername`). */
export type Address = [string, number] | string;

/** An error as data: becomes the exported `OSError` subclass for `code` on the loop side. */
export interface WireError {
  /** The host's class name (`Error`, `TypeError`, a worker's own class…). */
  name: string;
  /** The errno name (`ECONNREFUSED`, `ENOENT`, …) or a host code (`ERR_TLS_CERT_ALTNAME_INVALID`). */
  code?: string;
  message: string;
  stack?: string;
}

/** Where a child process's stream goes: asyncio's PIPE / STDOUT / DEVNULL / inherit. */
export type StdioMode = "pipe" | "stdout" | "devnull" | "inherit";

/** TLS settings as the loop hands them to a driver (host objects allowed: a Node SecureContext…). */
export interface TlsOptions {
  /** Host-specific options (Node: `tls.connect`/`tls.createServer` options). */
  options?: Record<string, unknown>;
  serverHostname?: string | null;
  /** Abort the handshake after this many seconds. */
  handshakeTimeout?: number;
}

/** Commands: what the loop asks of its host. Each names the resource it acts on. */
export type Command =
  // host promises (`wrap`): the outcome is a `settled` event
  | { op: "settle"; id: number; promise: PromiseLike<unknown> }
  // streams (TCP, TLS, Unix sockets, process pipes): `connected` or `error`, then data events
  | { op: "connect"; id: number; host: string; port: number; localAddr?: [string, number] | null; tls?: TlsOptions | null }
  | { op: "connectUnix"; id: number; path: string; tls?: TlsOptions | null }
  | { op: "listen"; id: number; host: string | null; port: number; backlog: number; reuseAddress?: boolean; tls?: TlsOptions | null }
  | { op: "listenUnix"; id: number; path: string; backlog: number; tls?: TlsOptions | null }
  | { op: "write"; id: number; bytes: Uint8Array }
  | { op: "writeEof"; id: number }
  | { op: "pauseReading"; id: number }
  | { op: "resumeReading"; id: number }
  | { op: "startTls"; id: number; serverSide: boolean; tls: TlsOptions }
  /** Stop accepting (a server) — existing connections stay. */
  | { op: "stopListening"; id: number }
  /** Close gracefully: flush what was written, then end. A `closed` event follows. */
  | { op: "close"; id: number }
  /** Close at once, dropping unflushed writes. A `closed` event follows. */
  | { op: "abort"; id: number }
  // datagrams: `connected` (local, remote) or `error`, then `datagram` and `error` events; the loop
  // ends every bindDatagram with `close`/`abort`, even a failed one (the host keeps the id until then)
  | { op: "bindDatagram"; id: number; localAddr?: [string, number] | null; remoteAddr?: [string, number] | null; reuseAddress?: boolean; family?: 4 | 6; allowBroadcast?: boolean }
  | { op: "sendto"; id: number; bytes: Uint8Array; addr?: [string, number] | null }
  // subprocesses: the pipes are stream resources with their own ids (or null when not piped)
  | {
      op: "spawn";
      id: number;
      file: string;
      args: string[];
      shell: boolean;
      cwd?: string | null;
      env?: Record<string, string> | null;
      stdin: StdioMode;
      stdout: StdioMode;
      stderr: StdioMode;
      pipes: { stdin: number | null; stdout: number | null; stderr: number | null };
    }
  | { op: "kill"; id: number; signal: string | number }
  // signals: `signal` events carry the handler's id
  /** `ifUnhandled`: install only if the host has no listener of its own for it (run()'s SIGINT). */
  | { op: "addSignal"; id: number; name: string; ifUnhandled?: boolean }
  | { op: "removeSignal"; id: number }
  // executors: a pool of workers; `call` ends with a `result` event
  /** `maxWorkers: null`: the host's default (asyncio's min(32, cpus + 4)). */
  | { op: "createExecutor"; id: number; maxWorkers: number | null }
  | { op: "call"; id: number; executor: number; module: string; name: string; args: unknown[] }
  | { op: "shutdownExecutor"; id: number; wait: boolean }
  // WebSockets: a stream resource (`connected` or `error`, then `data`/`eof`/`flushed`/`closed`);
  // each `write` is one binary message, and each message received is one `data` event
  | { op: "connectWebSocket"; id: number; url: string; protocols: string[] };

/** Events: what the host tells the loop, always as data and always through `poll()`. */
export type HostEvent =
  | { kind: "settled"; id: number; ok: boolean; value: unknown }
  | { kind: "connected"; id: number; local: Address | null; remote: Address | null; peercert?: unknown; cipher?: unknown }
  | { kind: "listening"; id: number; addresses: Address[] }
  | { kind: "accepted"; id: number; child: number; local: Address | null; remote: Address | null; peercert?: unknown; cipher?: unknown }
  | { kind: "data"; id: number; bytes: Uint8Array }
  | { kind: "eof"; id: number }
  /** `n` bytes written earlier have left the host's buffer (write-buffer accounting). */
  | { kind: "flushed"; id: number; n: number }
  | { kind: "tlsUpgraded"; id: number; peercert?: unknown; cipher?: unknown }
  | { kind: "error"; id: number; error: WireError }
  /** The resource is gone: after `close`/`abort`, or by itself (peer closed, socket destroyed). */
  | { kind: "closed"; id: number; error: WireError | null }
  | { kind: "datagram"; id: number; bytes: Uint8Array; addr: [string, number] }
  | { kind: "spawned"; id: number; pid: number }
  | { kind: "exit"; id: number; code: number | null; signal: string | null }
  | { kind: "signal"; id: number; name: string }
  | { kind: "result"; id: number; ok: boolean; value: unknown; error?: WireError };

/** Why a driver wakes its loop. */
export type WakeReason = "event" | "timer" | "yield";

/** Capabilities a host may lack; using one it lacks raises `NotImplementedError` at the call. */
export type Feature = "tcp" | "tls" | "unix" | "tcpServer" | "udp" | "subprocess" | "signals" | "workers" | "websocket";

/** Ids the host gives to accepted connections start here; the loop's own ids stay below. */
export const ACCEPTED_ID_BASE = 2 ** 30;

/**
 * One host, seen from the loop. Implementations: `io/timers.ts` (any JS host: clock, timers,
 * promises), `io/node.ts` (plus sockets, processes, signals and workers).
 */
export interface Driver {
  /** The host's name, for messages: `node`, `bun`, `deno`, `browser`, `workerd`. */
  readonly host: string;

  /**
   * Bind the driver to one loop. Call `wake` from host callbacks: `"event"` after queuing
   * events (the loop then yields and polls them), `"timer"` when the armed wake-up fires,
   * `"yield"` when a `yieldToHost()` is over. Never call it from inside `send` or `poll`.
   */
  attach(wake: (reason: WakeReason) => void): void;
  /** The loop is closed: release host timers and listeners. Open resources were closed before. */
  detach(): void;

  /** Monotonic time in seconds. */
  now(): number;
  /** 32 random bits, to seed a loop whose user gave no seed. */
  entropy(): number;

  /** Call `wake` once, `delay` seconds from now (replacing any armed wake-up). */
  arm(delay: number): void;
  /** Cancel the armed wake-up, if any. */
  disarm(): void;
  /** Let the host run its own work (I/O callbacks, rendering), then call `wake`. */
  yieldToHost(): void;
  /**
   * The loop waits, idle, for host events (`on`), or stopped waiting (`off`): a host that exits
   * when nothing holds it open (Node) must stay up while a program waits on, say, a signal.
   */
  keepAlive?(on: boolean): void;

  /** Send a command. It never returns an outcome: that arrives as an event. */
  send(command: Command): void;
  /**
   * The events that arrived since the last call, in arrival order, or `null` when none did.
   * The loop calls it at the start of an iteration after a `wake("event")` (every iteration if
   * `pollsEveryIteration`), with that iteration's number; the returned array is the loop's.
   */
  poll(iteration: number): HostEvent[] | null;

  /** Replay drivers: poll at the start of every iteration, not only after a wake. */
  readonly pollsEveryIteration?: boolean;
  /**
   * Recording and replay drivers: called after each iteration's tick with the iteration's number,
   * the scheduler core's state checksum (the loop turns checksums on when this exists) and how
   * many handles are ready in the batch.
   */
  observe?(iteration: number, checksum: number, ready?: number): void;
  /**
   * Recording and replay drivers: runSync drives the loop through this, calling `drive(sync)`
   * (the loop's `_drive`). A replay of a trace recorded under run() answers the loop's host waits
   * here, synchronously, from its trace; a recording notes that runSync drove the loop.
   */
  runSync?(drive: (sync: boolean) => void): void;

  /** Whether this host has `feature`. */
  supports(feature: Feature): boolean;
  /**
   * Optional: how to get `feature` where the host has it behind a setting (Deno's UDP needs
   * `--unstable-net`), for the NotImplementedError message; null otherwise.
   */
  unsupportedHint?(feature: Feature): string | null;
  /** The host's own object behind a resource (`getExtraInfo('socket')`), or `null`. Not data. */
  hostObject(id: number): unknown;
}

/** What the loop keeps for each open resource: where its events go and how to close it. */
export interface Resource {
  /** Handle one event for this resource (called in an iteration, never re-entrantly). */
  onEvent(event: HostEvent): void;
  /** Close at loop shutdown (run() ends with it still open). */
  closeForShutdown(): void;
  /** For debug reports: `<TCP transport 127.0.0.1:80>`. */
  toString(): string;
}
