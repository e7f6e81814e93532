// Subprocesses: asyncio's create_subprocess_exec / create_subprocess_shell and their Process
// (subprocess.py), over a subprocess transport (base_subprocess.py) whose pipes are stream
// transports (transports.ts) on the host's pipe resources. The protocol level
// (`loop.subprocessExec(protocolFactory, …)`, SubprocessProtocol) is here too: the streams are
// one protocol on top of it, as in asyncio.
//
// The host starts reading the child's pipes when it spawns it (a child that writes and exits at
// once loses nothing); the events wait in the pipe transports until the process protocol's
// `connectionMade` has run. `wait()` returns once the child has exited and its pipes are closed
// (3.12+), and `returncode` is minus the signal number for a child killed by a signal.

import { BrokenPipeError, ConnectionResetError, FileNotFoundError, NotImplementedError, OSError, ProcessLookupError, RuntimeError, ValueError, describe, errorFromWire } from "../errors.js";
import { EventLoop } from "../loop/event-loop.js";
import { getRunningLoop } from "../loop/running.js";
import { trackCoroutine } from "../loop/debug.js";
import type { Future } from "../tasks/futures.js";
import type { Coro } from "../tasks/tasks.js";
import { gather } from "../compose/gather.js";
import type { Command, HostEvent, Resource, StdioMode, WireError } from "../io/driver.js";
import { StreamTransport, type Protocol, type Transport } from "./transports.js";
import { DEFAULT_LIMIT, StreamReader, StreamReaderProtocol, StreamWriter } from "./streams.js";
import { signalName, signalNumber } from "./signals.js";

// ---- options ----------------------------------------------------------------------------------

/** A pipe to the child: its stream is `proc.stdin` / `proc.stdout` / `proc.stderr` (subprocess.PIPE). */
export const PIPE = -1;
/** stderr goes where stdout goes (subprocess.STDOUT). */
export const STDOUT = -2;
/** The null device (subprocess.DEVNULL). */
export const DEVNULL = -3;

/** What a standard stream of the child is: `PIPE`, `STDOUT` (stderr only), `DEVNULL`, or `null`/absent to inherit. */
export type StdioOption = typeof PIPE | typeof STDOUT | typeof DEVNULL | null | undefined;

/** The options of `createSubprocessExec` / `createSubprocessShell` (a trailing plain object). */
export interface SubprocessOptions {
  stdin?: StdioOption;
  stdout?: StdioOption;
  stderr?: StdioOption;
  /** The child's whole environment (default: this process's). */
  env?: Record<string, string> | null;
  /** The child's working directory. */
  cwd?: string | URL | null;
  /** The StreamReaders' buffer limit (default 64 KiB). */
  limit?: number;
}

const OPTION_KEYS = new Set(["stdin", "stdout", "stderr", "env", "cwd", "limit"]);
const TEXT_KEYS = new Set(["text", "encoding", "errors", "universalNewlines"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkStdio(value: unknown, name: "stdin" | "stdout" | "stderr", where: string, dflt: StdioMode): StdioMode {
  if (value === undefined || value === null) return dflt;
  if (value === PIPE) return "pipe";
  if (value === DEVNULL) return "devnull";
  if (value === STDOUT) {
    if (name === "stderr") return "stdout";
    throw new ValueError(`${where}: ${name}=STDOUT is only possible for stderr`);
  }
  throw new ValueError(`${where}: ${name} must be PIPE, DEVNULL${name === "stderr" ? ", STDOUT" : ""} or null (inherit), got ${describe(value)}`);
}

/** A command-line argument: a string without NUL (a URL or a number is turned into one). */
function checkArg(value: unknown, where: string, what: string): string {
  let s: string;
  if (typeof value === "string") s = value;
  else if (value instanceof URL) {
    if (value.protocol !== "file:") throw new ValueError(`${where}: ${what} must be a file: URL, got ${value.href}`);
    s = decodeURIComponent(value.pathname);
  } else throw new TypeError(`${where}: ${what} must be a string, got ${describe(value)}`);
  if (s.includes("\0")) throw new ValueError(`${where}: ${what} contains an embedded null byte`);
  return s;
}

interface Spec {
  file: string;
  args: string[];
  shell: boolean;
  cwd: string | null;
  env: Record<string, string> | null;
  stdin: StdioMode;
  stdout: StdioMode;
  stderr: StdioMode;
  limit: number;
}

function checkOptions(opts: Record<string, unknown>, where: string, dflt: StdioMode): Omit<Spec, "file" | "args" | "shell"> {
  for (const key of Object.keys(opts)) {
    if (TEXT_KEYS.has(key)) throw new ValueError(`${where}: ${key} is not supported: the streams carry bytes (decode them yourself)`);
    if (!OPTION_KEYS.has(key)) {
      throw new TypeError(`${where}: unknown option ${describe(key)} (expected stdin, stdout, stderr, env, cwd, limit)`);
    }
  }
  let env: Record<string, string> | null = null;
  if (opts.env !== undefined && opts.env !== null) {
    if (typeof opts.env !== "object") throw new TypeError(`${where}: env must be an object of strings, got ${describe(opts.env)}`);
    env = {};
    for (const [k, v] of Object.entries(opts.env as Record<string, unknown>)) {
      if (typeof v !== "string") throw new TypeError(`${where}: env[${JSON.stringify(k)}] must be a string, got ${describe(v)}`);
      if (k.includes("\0") || v.includes("\0") || k.includes("=") || k === "") {
        throw new ValueError(`${where}: env has an illegal name or value at ${JSON.stringify(k)}`);
      }
      env[k] = v;
    }
  }
  const cwd = opts.cwd === undefined || opts.cwd === null ? null : checkArg(opts.cwd, where, "cwd");
  let limit = DEFAULT_LIMIT;
  if (opts.limit !== undefined && opts.limit !== null) {
    if (typeof opts.limit !== "number" || Number.isNaN(opts.limit)) throw new TypeError(`${where}: limit must be a number of bytes, got ${describe(opts.limit)}`);
    if (opts.limit <= 0) throw new ValueError(`${where}: limit must be greater than 0, got ${opts.limit}`);
    limit = opts.limit;
  }
  return {
    cwd,
    env,
    limit,
    stdin: checkStdio(opts.stdin, "stdin", where, dflt),
    stdout: checkStdio(opts.stdout, "stdout", where, dflt),
    stderr: checkStdio(opts.stderr, "stderr", where, dflt),
  };
}

/** `program, ...args, opts?` → the spawn spec; everything checked here, at the call. */
function execSpec(where: string, program: unknown, rest: unknown[], dflt: StdioMode): Spec {
  let opts: Record<string, unknown> = {};
  if (rest.length > 0 && isPlainObject(rest[rest.length - 1])) opts = rest.pop() as Record<string, unknown>;
  const file = checkArg(program, where, "program");
  if (file === "") throw new ValueError(`${where}: program must not be empty`);
  const args = rest.map((a, i) => checkArg(a, where, `args[${i}]`));
  return { file, args, shell: false, ...checkOptions(opts, where, dflt) };
}

function shellSpec(where: string, cmd: unknown, opts: unknown, dflt: StdioMode): Spec {
  if (typeof cmd !== "string") throw new ValueError(`${where}: cmd must be a string, got ${describe(cmd)}`);
  if (cmd.includes("\0")) throw new ValueError(`${where}: cmd contains an embedded null byte`);
  if (opts !== undefined && opts !== null && !isPlainObject(opts)) {
    throw new TypeError(`${where}: options must be a plain object, got ${describe(opts)}`);
  }
  return { file: cmd, args: [], shell: true, ...checkOptions((opts ?? {}) as Record<string, unknown>, where, dflt) };
}

function checkSubprocesses(loop: EventLoop, where: string): void {
  if (!loop._host.supports("subprocess")) {
    throw new NotImplementedError(`${where}: subprocesses are not available on ${loop._host.host}`);
  }
}

// ---- the protocol level -------------------------------------------------------------------------

/**
 * What a subprocess transport calls (asyncio's `SubprocessProtocol`); every method is optional
 * and runs in the loop. `fd` is 0, 1 or 2.
 *
 * @example
 * class Collect implements SubprocessProtocol {
 *   out: Uint8Array[] = [];
 *   pipeDataReceived(fd: number, data: Uint8Array) { if (fd === 1) this.out.push(data); }
 * }
 */
export interface SubprocessProtocol {
  connectionMade?(transport: SubprocessTransport): void;
  pipeDataReceived?(fd: number, data: Uint8Array): void;
  pipeConnectionLost?(fd: number, exc: Error | null): void;
  processExited?(): void;
  /** The process exited and every pipe is closed. */
  connectionLost?(exc: Error | null): void;
  /** The stdin pipe's buffer passed its high-water mark. */
  pauseWriting?(): void;
  resumeWriting?(): void;
}

interface PipeEntry {
  fd: number;
  transport: StreamTransport;
  disconnected: boolean;
}

function spawnError(wire: WireError, spec: Spec): Error {
  const what = spec.shell ? "/bin/sh" : spec.file;
  const err = errorFromWire(wire);
  if (err instanceof FileNotFoundError && wire.code === "ENOENT") {
    const where = spec.cwd !== null ? ` (or the working directory ${JSON.stringify(spec.cwd)})` : "";
    err.message = `[Errno 2] No such file or directory: ${JSON.stringify(what)}${where} (${wire.message})`;
  } else if (err instanceof OSError) {
    err.message = `cannot start ${JSON.stringify(what)}: ${wire.message}`;
  }
  return err;
}

/**
 * A child process as asyncio's subprocess transport: `getPid()`, `getReturncode()`,
 * `getPipeTransport(fd)`, `sendSignal`/`terminate`/`kill`, `close()` (which kills a child
 * still running). Made by `loop.subprocessExec` / `loop.subprocessShell`.
 *
 * @example
 * const [transport, protocol] = yield* loop.subprocessExec(() => new Collect(), "ls", "-l");
 * console.log(transport.getPid());
 */
export class SubprocessTransport implements Resource {
  /** @internal */ readonly _loop: EventLoop;
  /** @internal */ readonly _id: number;
  private _protocol: SubprocessProtocol;
  private readonly _spec: Spec;
  private _pid: number | null = null;
  private _returncode: number | null = null;
  private _closed = false;
  private _finished = false;
  private _running = false;
  private readonly _pipes = new Map<number, PipeEntry>();
  private _exitWaiters: Future<number>[] | null = [];
  private _spawnWaiter: Future<void> | null;

  /** @internal Opens the resources and sends the spawn command; `waiter` settles on `spawned` or the error. */
  constructor(loop: EventLoop, protocol: SubprocessProtocol, spec: Spec, waiter: Future<void>) {
    this._loop = loop;
    this._protocol = protocol;
    this._spec = spec;
    this._spawnWaiter = waiter;
    this._id = loop._newResourceId();
    const pipeId = (fd: number, mode: StdioMode): number | null => {
      if (mode !== "pipe") return null;
      const id = loop._newResourceId();
      const transport = new StreamTransport(loop, id, { kind: fd === 0 ? "write pipe transport" : "read pipe transport", resumeOnStart: false, extra: { pipe: null } });
      this._pipes.set(fd, { fd, transport, disconnected: false });
      return id;
    };
    const pipes = { stdin: pipeId(0, spec.stdin), stdout: pipeId(1, spec.stdout), stderr: pipeId(2, spec.stderr) };
    loop._openResource(this._id, this);
    const command: Command = {
      op: "spawn", id: this._id, file: spec.file, args: spec.args, shell: spec.shell, cwd: spec.cwd, env: spec.env,
      stdin: spec.stdin, stdout: spec.stdout, stderr: spec.stderr, pipes,
    };
    try {
      loop._send(command);
    } catch (exc) {
      this._abandon(exc as Error);
      throw exc;
    }
  }

  /** The spawn failed (or never happened): close every resource, the host has none. */
  private _abandon(err: Error): void {
    this._closed = true;
    this._finished = true;
    this._loop._closeResource(this._id);
    for (const p of this._pipes.values()) {
      p.disconnected = true;
      try {
        p.transport.closeForShutdown();
      } catch {
        // the host never knew this pipe: nothing to abort
      }
    }
    const waiters = this._exitWaiters ?? [];
    this._exitWaiters = null;
    for (const w of waiters) if (!w.done()) w.setException(err);
  }

  // ---- events ---------------------------------------------------------------------------------

  /** The loop's Resource interface: a host event for this process (not for users). */
  onEvent(event: HostEvent): void {
    switch (event.kind) {
      case "spawned":
        return this._spawned(event.pid);
      case "error":
        return this._failedToStart(event.error);
      case "exit": {
        const num = event.signal !== null ? signalNumber(event.signal) : undefined;
        const code = event.code ?? (num !== undefined ? -num : -1);
        this._loop._closeResource(this._id);
        return this._processExited(code);
      }
      default:
        return;
    }
  }

  private _spawned(pid: number): void {
    this._pid = pid;
    this._running = true;
    // the process protocol first, then each pipe's (which replays what the pipe read so far)
    if (!this._closed) {
      try {
        this._protocol.connectionMade?.(this);
      } catch (exc) {
        this._loop.callExceptionHandler({ message: "Exception in callback connectionMade()", exception: exc, transport: this, protocol: this._protocol });
      }
    }
    for (const p of this._pipes.values()) p.transport._start(this._pipeProtocol(p));
    if (this._closed) {
      // closed (a cancelled creation) before the host said it started: kill it now
      this._closed = false;
      this.close();
    }
    const waiter = this._spawnWaiter;
    this._spawnWaiter = null;
    if (waiter !== null && !waiter.done()) waiter.setResult(undefined);
  }

  private _failedToStart(wire: WireError): void {
    const waiter = this._spawnWaiter;
    this._spawnWaiter = null;
    const err = spawnError(wire, this._spec);
    this._abandon(err);
    if (waiter !== null && !waiter.done()) waiter.setException(err);
  }

  /** The protocol a pipe's transport calls: it forwards to the process protocol with the fd. */
  private _pipeProtocol(p: PipeEntry): Protocol {
    const fd = p.fd;
    const self = this;
    return {
      dataReceived(data: Uint8Array) {
        self._protocol.pipeDataReceived?.(fd, data);
      },
      eofReceived() {
        return false; // a read pipe closes at EOF
      },
      connectionLost(exc: Error | null) {
        p.disconnected = true;
        try {
          self._protocol.pipeConnectionLost?.(fd, exc);
        } finally {
          self._tryFinish();
        }
      },
      pauseWriting() {
        self._protocol.pauseWriting?.();
      },
      resumeWriting() {
        self._protocol.resumeWriting?.();
      },
    };
  }

  private _processExited(returncode: number): void {
    this._running = false;
    this._returncode = returncode;
    try {
      this._protocol.processExited?.();
    } finally {
      this._tryFinish();
    }
  }

  private _tryFinish(): void {
    if (this._finished || this._returncode === null) return;
    for (const p of this._pipes.values()) if (!p.disconnected) return;
    this._finished = true;
    try {
      this._protocol.connectionLost?.(null);
    } catch (exc) {
      this._loop.callExceptionHandler({ message: "Exception in callback connectionLost()", exception: exc, transport: this, protocol: this._protocol });
    } finally {
      const waiters = this._exitWaiters ?? [];
      this._exitWaiters = null;
      for (const w of waiters) if (!w.done()) w.setResult(this._returncode);
    }
  }

  // ---- the transport --------------------------------------------------------------------------

  /** The child's process id (`null` before it started). */
  getPid(): number | null {
    return this._pid;
  }

  /** The exit code, minus the signal number if a signal ended it, or `null` while it runs. */
  getReturncode(): number | null {
    return this._returncode;
  }

  /** The transport of pipe `fd` (0 stdin, 1 stdout, 2 stderr), or `null` if it is not a pipe. */
  getPipeTransport(fd: number): Transport | null {
    return this._pipes.get(fd)?.transport ?? null;
  }

  private _checkProc(): void {
    if (this._returncode !== null || this._finished || this._pid === null) {
      throw new ProcessLookupError(`the process${this._pid !== null ? ` ${this._pid}` : ""} has exited (returncode ${this._returncode})`, { code: "ESRCH" });
    }
  }

  /** Send a signal (a name such as `'SIGHUP'` or its number). After exit: ProcessLookupError. */
  sendSignal(sig: string | number): void {
    const name = signalName(sig, "sendSignal(sig)");
    this._checkProc();
    this._loop._send({ op: "kill", id: this._id, signal: name });
  }

  /** SIGTERM. */
  terminate(): void {
    this.sendSignal("SIGTERM");
  }

  /** SIGKILL. */
  kill(): void {
    this.sendSignal("SIGKILL");
  }

  isClosing(): boolean {
    return this._closed;
  }

  /** Close the pipes, and kill the child if it still runs. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    for (const p of this._pipes.values()) p.transport.close();
    if (this._running && this._returncode === null && !this._loop.isClosed()) {
      if (this._loop.getDebug()) console.warn(`wasyncio: close running child process: kill ${this}`);
      this._loop._send({ op: "kill", id: this._id, signal: "SIGKILL" });
    }
  }

  /** The loop's Resource interface: run() ends with the child still open: kill it and let go. */
  closeForShutdown(): void {
    this.close();
    this._loop._closeResource(this._id);
    for (const p of this._pipes.values()) p.transport.closeForShutdown();
    const waiter = this._spawnWaiter;
    this._spawnWaiter = null;
    if (waiter !== null && !waiter.done()) waiter.cancel();
  }

  /** @internal Wait for the exit (and the pipes' end); returns the returncode. */
  *_wait(): Coro<number> {
    if (this._exitWaiters === null) return this._returncode!;
    const waiter = this._loop.createFuture<number>();
    this._exitWaiters.push(waiter);
    return yield* waiter;
  }

  /** `subprocess`: the host's process object (Node's ChildProcess); `dflt` for other names. */
  getExtraInfo(name: string, dflt: unknown = null): unknown {
    if (name === "subprocess") return this._loop._host.hostObject(this._id) ?? dflt;
    return dflt;
  }

  getProtocol(): SubprocessProtocol {
    return this._protocol;
  }

  setProtocol(protocol: SubprocessProtocol): void {
    this._protocol = protocol;
  }

  toString(): string {
    const info: string[] = [];
    if (this._closed) info.push("closed");
    if (this._pid !== null) info.push(`pid=${this._pid}`);
    if (this._returncode !== null) info.push(`returncode=${this._returncode}`);
    else if (this._pid !== null) info.push("running");
    else info.push("not started");
    for (const fd of [0, 1, 2]) {
      const p = this._pipes.get(fd);
      if (p !== undefined) info.push(`${["stdin", "stdout", "stderr"][fd]}=${p.transport}`);
    }
    return `<SubprocessTransport ${info.join(" ")}>`;
  }
}

function* makeTransport<P extends SubprocessProtocol>(loop: EventLoop, protocol: P, spec: Spec): Coro<SubprocessTransport> {
  const waiter = loop.createFuture<void>();
  const transport = new SubprocessTransport(loop, protocol, spec, waiter);
  try {
    yield* waiter;
  } catch (exc) {
    // cancelled (or the spawn failed): kill the child, once it exists, and wait for it, as
    // asyncio's _make_subprocess_transport does
    transport.close();
    try {
      yield* transport._wait();
    } catch {
      // the original error wins
    }
    throw exc;
  }
  return transport;
}

function checkFactory(factory: unknown, where: string): void {
  if (typeof factory !== "function") throw new TypeError(`${where}: protocolFactory must be a function, got ${describe(factory)}`);
}

function checkSubprocessProtocol(protocol: unknown, where: string): SubprocessProtocol {
  if (protocol === null || (typeof protocol !== "object" && typeof protocol !== "function")) {
    throw new TypeError(`${where}: the protocol factory must return a protocol object, got ${describe(protocol)}`);
  }
  return protocol as SubprocessProtocol;
}

declare module "../loop/event-loop.js" {
  interface EventLoop {
    /**
     * Start `program` with `args` under a protocol (asyncio's `subprocess_exec`): a trailing
     * plain object holds the options; unlike `createSubprocessExec`, the standard streams default
     * to PIPE. Returns `[transport, protocol]` once the child has started.
     *
     * @example
     * const [transport, proto] = yield* loop.subprocessExec(() => new Collect(), "echo", "hi");
     * console.log(transport.getPid());
     */
    subprocessExec<P extends SubprocessProtocol>(protocolFactory: () => P, program: string, ...args: (string | SubprocessOptions)[]): Coro<[SubprocessTransport, P]>;
    /**
     * Run `cmd` in the shell under a protocol (asyncio's `subprocess_shell`); the standard
     * streams default to PIPE.
     *
     * @example
     * const [transport, proto] = yield* loop.subprocessShell(() => new Collect(), "ls | wc -l");
     */
    subprocessShell<P extends SubprocessProtocol>(protocolFactory: () => P, cmd: string, options?: SubprocessOptions): Coro<[SubprocessTransport, P]>;
  }
}

/** @internal `loop.subprocessExec`, put on the prototype by streams/install.ts. */
export function loopSubprocessExec<P extends SubprocessProtocol>(
  this: EventLoop,
  protocolFactory: () => P,
  program: string,
  ...rest: (string | SubprocessOptions)[]
): Coro<[SubprocessTransport, P]> {
  const where = "subprocessExec(protocolFactory, program, ...args)";
  checkFactory(protocolFactory, where);
  const spec = execSpec(where, program, rest as unknown[], "pipe");
  checkSubprocesses(this, "subprocessExec()");
  return trackCoroutine(startWithProtocol(this, protocolFactory, spec, where), "subprocessExec");
}

/** @internal `loop.subprocessShell`, put on the prototype by streams/install.ts. */
export function loopSubprocessShell<P extends SubprocessProtocol>(
  this: EventLoop,
  protocolFactory: () => P,
  cmd: string,
  options?: SubprocessOptions,
): Coro<[SubprocessTransport, P]> {
  const where = "subprocessShell(protocolFactory, cmd)";
  checkFactory(protocolFactory, where);
  const spec = shellSpec(where, cmd, options, "pipe");
  checkSubprocesses(this, "subprocessShell()");
  return trackCoroutine(startWithProtocol(this, protocolFactory, spec, where), "subprocessShell");
}

function* startWithProtocol<P extends SubprocessProtocol>(loop: EventLoop, factory: () => P, spec: Spec, where: string): Coro<[SubprocessTransport, P]> {
  if (loop.isClosed()) throw new RuntimeError("Event loop is closed");
  const protocol = checkSubprocessProtocol(factory(), where) as P;
  const transport = yield* makeTransport(loop, protocol, spec);
  return [transport, protocol];
}

// ---- the streams level (asyncio.subprocess) -----------------------------------------------------

/** The protocol that gives a Process its streams (asyncio's `SubprocessStreamProtocol`). */
class SubprocessStreamProtocol implements SubprocessProtocol {
  stdin: StreamWriter | null = null;
  stdout: StreamReader | null = null;
  stderr: StreamReader | null = null;
  private _transport: SubprocessTransport | null = null;
  private _processExited = false;
  private readonly _pipeFds: number[] = [];
  /** stdin's flow control and close waiter (what FlowControlMixin gives asyncio's protocol). */
  private _stdinFlow: StreamReaderProtocol | null = null;

  constructor(
    private readonly _limit: number,
    private readonly _loop: EventLoop,
  ) {}

  connectionMade(transport: SubprocessTransport): void {
    this._transport = transport;
    const out = transport.getPipeTransport(1);
    if (out !== null) {
      this.stdout = new StreamReader({ limit: this._limit, loop: this._loop });
      this.stdout.setTransport(out);
      this._pipeFds.push(1);
    }
    const err = transport.getPipeTransport(2);
    if (err !== null) {
      this.stderr = new StreamReader({ limit: this._limit, loop: this._loop });
      this.stderr.setTransport(err);
      this._pipeFds.push(2);
    }
    const input = transport.getPipeTransport(0);
    if (input !== null) {
      this._stdinFlow = new StreamReaderProtocol(null, null, { loop: this._loop });
      this._stdinFlow.connectionMade(input);
      this.stdin = new StreamWriter(input, this._stdinFlow, null, this._loop);
    }
  }

  pipeDataReceived(fd: number, data: Uint8Array): void {
    const reader = fd === 1 ? this.stdout : fd === 2 ? this.stderr : null;
    reader?.feedData(data);
  }

  pipeConnectionLost(fd: number, exc: Error | null): void {
    if (fd === 0) {
      this.stdin?.close();
      this._stdinFlow?.connectionLost(exc);
      return;
    }
    const reader = fd === 1 ? this.stdout : fd === 2 ? this.stderr : null;
    if (reader !== null) {
      if (exc === null) reader.feedEof();
      else reader.setException(exc);
    }
    const at = this._pipeFds.indexOf(fd);
    if (at >= 0) this._pipeFds.splice(at, 1);
    this._maybeCloseTransport();
  }

  processExited(): void {
    this._processExited = true;
    this._maybeCloseTransport();
  }

  pauseWriting(): void {
    this._stdinFlow?.pauseWriting();
  }

  resumeWriting(): void {
    this._stdinFlow?.resumeWriting();
  }

  private _maybeCloseTransport(): void {
    if (this._pipeFds.length === 0 && this._processExited && this._transport !== null) {
      this._transport.close();
      this._transport = null;
    }
  }
}

const IGNORED_ON_STDIN = (exc: unknown): boolean => exc instanceof BrokenPipeError || exc instanceof ConnectionResetError;

/**
 * A child process (asyncio's `asyncio.subprocess.Process`), from `createSubprocessExec` or
 * `createSubprocessShell`.
 *
 * @example
 * const proc = yield* createSubprocessExec("ls", "-l", { stdout: PIPE });
 * const [out] = yield* proc.communicate();
 * console.log(proc.returncode, new TextDecoder().decode(out!));
 */
export class Process {
  /** The child's stdin, if it is a PIPE. */
  readonly stdin: StreamWriter | null;
  /** The child's stdout, if it is a PIPE. */
  readonly stdout: StreamReader | null;
  /** The child's stderr, if it is a PIPE. */
  readonly stderr: StreamReader | null;
  /** The child's process id. */
  readonly pid: number;
  private readonly _transport: SubprocessTransport;

  /** @internal */
  constructor(transport: SubprocessTransport, protocol: SubprocessStreamProtocol) {
    this._transport = transport;
    this.stdin = protocol.stdin;
    this.stdout = protocol.stdout;
    this.stderr = protocol.stderr;
    this.pid = transport.getPid()!;
  }

  /** The exit code; minus the signal number if a signal ended it; `null` while it runs. */
  get returncode(): number | null {
    return this._transport.getReturncode();
  }

  /**
   * Wait for the child to exit (and its pipes to close); returns the returncode. With
   * stdout=PIPE, read the output (or use `communicate()`): a child blocked on a full pipe never
   * exits.
   *
   * @example
   * const code = yield* proc.wait();
   */
  wait(): Coro<number> {
    return trackCoroutine(this._transport._wait(), "Process.wait");
  }

  /** Send a signal by name (`'SIGHUP'`) or number; after the exit, ProcessLookupError. */
  sendSignal(sig: string | number): void {
    this._transport.sendSignal(sig);
  }

  /** Send SIGTERM. */
  terminate(): void {
    this._transport.terminate();
  }

  /** Send SIGKILL. */
  kill(): void {
    this._transport.kill();
  }

  /**
   * Send `input` to stdin (then close it), read stdout and stderr to the end, and wait for the
   * exit; returns `[stdout, stderr]` (`null` for a stream that is not a PIPE). The three run
   * together, so a child that writes much before reading cannot deadlock it.
   *
   * @example
   * const [out, err] = yield* proc.communicate(new TextEncoder().encode("input"));
   */
  communicate(input?: Uint8Array | null): Coro<[Uint8Array | null, Uint8Array | null]> {
    if (input !== undefined && input !== null && !(input instanceof Uint8Array)) {
      const hint = typeof input === "string" ? " (encode text first: new TextEncoder().encode(s))" : "";
      throw new TypeError(`communicate(input): input must be bytes (a Uint8Array) or null, got ${typeof input === "string" ? "a string" : describe(input)}${hint}`);
    }
    if (input != null && input.length > 0 && this.stdin === null) {
      throw new ValueError("communicate(input): input was given, but the process's stdin is not PIPE");
    }
    return trackCoroutine(this._communicate(input ?? null), "Process.communicate");
  }

  private *_communicate(input: Uint8Array | null): Coro<[Uint8Array | null, Uint8Array | null]> {
    const [, out, err] = yield* gather(
      this.stdin !== null ? this._feedStdin(input) : noop(),
      this.stdout !== null ? this._readStream(1) : noop(),
      this.stderr !== null ? this._readStream(2) : noop(),
    );
    yield* this._transport._wait();
    return [out, err];
  }

  private *_feedStdin(input: Uint8Array | null): Coro<null> {
    const stdin = this.stdin!;
    try {
      if (input !== null && input.length > 0) stdin.write(input);
      yield* stdin.drain();
    } catch (exc) {
      // communicate() ignores a child that stopped reading: BrokenPipeError, ConnectionResetError
      if (!IGNORED_ON_STDIN(exc)) throw exc;
    }
    stdin.close();
    return null;
  }

  private *_readStream(fd: 1 | 2): Coro<Uint8Array> {
    const stream = fd === 1 ? this.stdout! : this.stderr!;
    const output = yield* stream.read();
    this._transport.getPipeTransport(fd)?.close();
    return output;
  }

  toString(): string {
    return `<Process ${this.pid}>`;
  }
}

function* noop(): Coro<null> {
  return null;
}

function* startProcess(loop: EventLoop | null, spec: Spec): Coro<Process> {
  const running = loop ?? getRunningLoop();
  const protocol = new SubprocessStreamProtocol(spec.limit, running);
  const transport = yield* makeTransport(running, protocol, spec);
  return new Process(transport, protocol);
}

function currentLoopFor(where: string): EventLoop | null {
  try {
    const loop = getRunningLoop();
    checkSubprocesses(loop, where);
    return loop;
  } catch (exc) {
    if (exc instanceof NotImplementedError) throw exc;
    return null; // no running loop yet: checked when the coroutine runs
  }
}

/**
 * Start `program` with `args` (asyncio's `create_subprocess_exec`). A trailing plain object
 * holds the options: `{ stdin, stdout, stderr }` (`PIPE`, `DEVNULL`, `STDOUT` for stderr, or
 * absent to inherit), `env`, `cwd`, `limit`. A program that does not exist raises
 * FileNotFoundError.
 *
 * @example
 * const proc = yield* createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
 * const [out] = yield* proc.communicate(new TextEncoder().encode("hello"));
 */
export function createSubprocessExec(program: string | URL, ...args: (string | URL | SubprocessOptions)[]): Coro<Process> {
  const where = "createSubprocessExec(program, ...args)";
  const spec = execSpec(where, program, args as unknown[], "inherit");
  const loop = currentLoopFor("createSubprocessExec()");
  return trackCoroutine(startChecked(loop, spec, "createSubprocessExec()"), "createSubprocessExec");
}

/**
 * Run `cmd` in the shell (asyncio's `create_subprocess_shell`), with the same options as
 * `createSubprocessExec`. Quote what you put in `cmd` yourself.
 *
 * @example
 * const proc = yield* createSubprocessShell("exit 7");
 * yield* proc.wait(); // 7
 */
export function createSubprocessShell(cmd: string, options?: SubprocessOptions): Coro<Process> {
  const where = "createSubprocessShell(cmd)";
  const spec = shellSpec(where, cmd, options, "inherit");
  const loop = currentLoopFor("createSubprocessShell()");
  return trackCoroutine(startChecked(loop, spec, "createSubprocessShell()"), "createSubprocessShell");
}

function* startChecked(loop: EventLoop | null, spec: Spec, where: string): Coro<Process> {
  const running = loop ?? getRunningLoop();
  checkSubprocesses(running, where);
  return yield* startProcess(running, spec);
}
