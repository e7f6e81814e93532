// Node processes for the driver: signals (process.on), worker executors (node:worker_threads)
// and subprocesses (node:child_process, whose pipes are stream resources with their own ids).
// Host callbacks become events through `host.emit`; nothing here calls into the loop, and
// nothing emits from inside `send` (an outcome known at once is emitted from a microtask).

import { WorkerPools, type CallAnswer, type Pool, type PoolCall, type PoolWorker } from "./worker-pools.js";
import { workerSource } from "./worker-source.js";
import type { ChildProcess, StdioOptions } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import type { Worker } from "node:worker_threads";
import { NotImplementedError } from "../errors.js";
import type { Command, Feature, HostEvent, StdioMode, WireError } from "./driver.js";
import type { NodeHost } from "./node.js";

const OPS = new Set<Command["op"]>([
  "spawn", "kill", "addSignal", "removeSignal", "createExecutor", "call", "shutdownExecutor",
]);

/** Stream commands: NodeProc takes them for the ids it owns (pipes, queued calls). */
const STREAM_OPS = new Set<Command["op"]>(["write", "writeEof", "pauseReading", "resumeReading", "close", "abort"]);

/** An error as data; a worker's error keeps its class name (`e.name`, else its constructor's). */
export function toWire(err: unknown): WireError {
  if (err !== null && typeof err === "object") {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown; constructor?: { name?: unknown } };
    let name = typeof e.name === "string" ? e.name : "Error";
    const ctor = typeof e.constructor?.name === "string" ? e.constructor.name : "";
    if (name === "Error" && ctor !== "" && ctor !== "Object") name = ctor;
    const wire: WireError = { name, message: typeof e.message === "string" ? e.message : String(err) };
    if (typeof e.code === "string") wire.code = e.code;
    if (typeof e.stack === "string") wire.stack = e.stack;
    return wire;
  }
  return { name: "Error", message: `non-error thrown: ${String(err)}` };
}

// ---- the worker's code --------------------------------------------------------------------------
//
// io/worker-source.ts, started with `new Worker(WORKER_SOURCE, { eval: true })`: it runs the same
// from dist/ and from an installed tarball.
const WORKER_SOURCE = workerSource("node");

interface NodePoolWorker extends PoolWorker {
  worker: Worker;
  /** We asked it to stop: its exit is not a crash. */
  stopping: boolean;
}

// ---- subprocesses -------------------------------------------------------------------------------

/** One pipe of a child process, as a stream resource. */
interface Pipe {
  id: number;
  proc: number;
  readable: Readable | null;
  writable: Writable | null;
  /** Sizes of the writes not yet flushed, in order (one shared callback pops them). */
  sizes: number[];
  onWritten: (err?: Error | null) => void;
  /** stderr merged into this stdout pipe (STDOUT): eof waits for both streams. */
  merged: number;
  ended: number;
  closedCount: number;
  closed: boolean;
}

function stdioFor(mode: StdioMode): "pipe" | "ignore" | "inherit" {
  return mode === "pipe" ? "pipe" : mode === "devnull" ? "ignore" : "inherit";
}

function bytesOf(chunk: Uint8Array | string): Uint8Array {
  if (typeof chunk === "string") return new TextEncoder().encode(chunk);
  return chunk;
}

export class NodeProc {
  private readonly signals = new Map<number, { name: string; listener: () => void }>();
  private readonly workers: NodeWorkers;
  private readonly children = new Map<number, ChildProcess>();
  private readonly pipes = new Map<number, Pipe>();
  /**
   * Pipe and call ids that are gone, kept for a while: a command that raced the `closed` or
   * `result` event (a close after the host closed the pipe) is ignored, never an error.
   */
  private readonly tombstones = new Set<number>();
  private readonly later: HostEvent[] = [];
  private laterQueued = false;

  constructor(private readonly host: NodeHost) {
    this.workers = new NodeWorkers(host, (event) => this.emitLater(event), (id) => this.retire(id));
  }

  handles(command: Command): boolean {
    if (OPS.has(command.op) || this.workers.handlesCall(command)) return true;
    if (!STREAM_OPS.has(command.op)) return false;
    const id = (command as { id: number }).id;
    return this.pipes.has(id) || this.tombstones.has(id);
  }

  /** Forget `id`, but keep claiming its commands for a while (the last 4096 ids). */
  private retire(id: number): void {
    this.tombstones.add(id);
    if (this.tombstones.size > 4096) this.tombstones.delete(this.tombstones.values().next().value as number);
  }

  send(command: Command): void {
    switch (command.op) {
      case "addSignal":
        return this.addSignal(command.id, command.name, command.ifUnhandled === true);
      case "removeSignal":
        return this.removeSignal(command.id);
      case "createExecutor":
      case "call":
      case "shutdownExecutor":
        return this.workers.sendCall(command);
      case "spawn":
        return this.spawn(command);
      case "kill":
        return this.kill(command.id, command.signal);
      case "abort":
        if (this.workers.handlesCall(command)) return this.workers.sendCall(command);
        return this.pipeCommand(command);
      case "write":
      case "writeEof":
      case "pauseReading":
      case "resumeReading":
      case "close":
        return this.pipeCommand(command);
      default:
        throw new NotImplementedError(`'${command.op}' is not a process operation`);
    }
  }

  supports(feature: Feature): boolean {
    return feature === "signals" || feature === "workers" || feature === "subprocess";
  }

  hostObject(id: number): unknown {
    const pipe = this.pipes.get(id);
    if (pipe !== undefined) return pipe.readable ?? pipe.writable;
    return this.children.get(id) ?? null;
  }

  /** The loop closed: remove our signal listeners, kill the children, stop the workers. */
  detach(): void {
    const proc = this.process();
    for (const { name, listener } of this.signals.values()) proc.removeListener(name, listener);
    this.signals.clear();
    this.workers.stopAll();
    for (const pipe of this.pipes.values()) {
      pipe.readable?.destroy();
      pipe.writable?.destroy();
    }
    this.pipes.clear();
    this.tombstones.clear();
    for (const child of this.children.values()) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    this.children.clear();
  }

  // ---- plumbing -----------------------------------------------------------------------------

  private process(): NodeJS.Process {
    return this.host.load<NodeJS.Process>("node:process");
  }

  /** An outcome known during `send`: emitted from a microtask, since `send` must not wake the loop. */
  private emitLater(event: HostEvent): void {
    this.later.push(event);
    if (this.laterQueued) return;
    this.laterQueued = true;
    queueMicrotask(() => {
      this.laterQueued = false;
      const events = this.later.splice(0);
      for (const e of events) this.host.emit(e);
    });
  }

  // ---- signals ------------------------------------------------------------------------------

  private addSignal(id: number, name: string, ifUnhandled: boolean): void {
    const proc = this.process();
    if (ifUnhandled && proc.listenerCount(name) > 0) return; // the program handles it itself
    const listener = () => this.host.emit({ kind: "signal", id, name });
    proc.on(name as NodeJS.Signals, listener); // throws for a signal the host cannot catch
    this.signals.set(id, { name, listener });
  }

  private removeSignal(id: number): void {
    const entry = this.signals.get(id);
    if (entry === undefined) return;
    this.signals.delete(id);
    this.process().removeListener(entry.name, entry.listener);
  }

  // ---- subprocesses -------------------------------------------------------------------------

  private spawn(command: Extract<Command, { op: "spawn" }>): void {
    const cp = this.host.load<typeof import("node:child_process")>("node:child_process");
    const { id, pipes } = command;
    // stderr=STDOUT: into the stdout pipe (merged here, as one stream), or the same parent fd
    let stderr: "pipe" | "ignore" | "inherit" | number;
    if (command.stderr === "stdout") {
      stderr = command.stdout === "pipe" ? "pipe" : command.stdout === "devnull" ? "ignore" : 1;
    } else {
      stderr = stdioFor(command.stderr);
    }
    const stdio: StdioOptions = [stdioFor(command.stdin), stdioFor(command.stdout), stderr];
    const options: import("node:child_process").SpawnOptions = { stdio, shell: command.shell, windowsHide: true };
    if (command.cwd != null) options.cwd = command.cwd;
    if (command.env != null) options.env = command.env;
    let child: ChildProcess;
    try {
      child = cp.spawn(command.file, command.args, options);
    } catch (err) {
      // a synchronous refusal (a bad cwd type, a NUL byte in an argument): fail the spawn
      this.emitLater({ kind: "error", id, error: toWire(err) });
      return;
    }
    this.children.set(id, child);
    // Listeners are attached now, in the same host turn as spawn(): a child that writes and
    // exits at once loses nothing (the data waits as events until the loop polls).
    if (pipes.stdin !== null && child.stdin !== null) this.openPipe(pipes.stdin, id, null, child.stdin);
    if (pipes.stdout !== null && child.stdout !== null) {
      const pipe = this.openPipe(pipes.stdout, id, child.stdout, null);
      if (command.stderr === "stdout" && child.stderr !== null) this.mergeInto(pipe, child.stderr);
    }
    if (pipes.stderr !== null && child.stderr !== null) this.openPipe(pipes.stderr, id, child.stderr, null);
    let spawned = false;
    child.on("spawn", () => {
      spawned = true;
      this.host.emit({ kind: "spawned", id, pid: child.pid! });
    });
    child.on("error", (err) => {
      if (spawned) return; // a failed kill() after exit; the loop checks that itself
      this.children.delete(id);
      for (const pipeId of [pipes.stdin, pipes.stdout, pipes.stderr]) {
        if (pipeId === null) continue;
        this.pipes.delete(pipeId);
        this.retire(pipeId);
      }
      this.host.emit({ kind: "error", id, error: toWire(err) });
    });
    child.on("exit", (code, signal) => {
      this.children.delete(id);
      this.host.emit({ kind: "exit", id, code, signal });
    });
  }

  private kill(id: number, signal: string | number): void {
    const child = this.children.get(id);
    if (child === undefined) return; // exited: the loop raises ProcessLookupError when it knows
    try {
      child.kill(signal as NodeJS.Signals);
    } catch {
      // the process is gone already (ESRCH): as asyncio's send_signal, ignore it
    }
  }

  private openPipe(id: number, proc: number, readable: Readable | null, writable: Writable | null): Pipe {
    const pipe: Pipe = {
      id, proc, readable, writable, sizes: [], merged: 0, ended: 0, closedCount: 0, closed: false,
      onWritten: (err) => {
        const n = pipe.sizes.shift() ?? 0;
        if (!err) this.host.emit({ kind: "flushed", id, n });
      },
    };
    this.pipes.set(id, pipe);
    if (readable !== null) this.listenReadable(pipe, readable);
    if (writable !== null) {
      writable.on("error", (err) => this.pipeError(pipe, err));
      writable.on("close", () => this.pipeClosed(pipe));
    }
    return pipe;
  }

  private mergeInto(pipe: Pipe, stream: Readable): void {
    pipe.merged++;
    this.listenReadable(pipe, stream);
  }

  private listenReadable(pipe: Pipe, stream: Readable): void {
    const id = pipe.id;
    stream.on("data", (chunk: Uint8Array | string) => this.host.emit({ kind: "data", id, bytes: bytesOf(chunk) }));
    stream.on("end", () => {
      if (++pipe.ended > pipe.merged) this.host.emit({ kind: "eof", id });
    });
    stream.on("error", (err) => this.pipeError(pipe, err));
    stream.on("close", () => {
      if (++pipe.closedCount > pipe.merged) this.pipeClosed(pipe);
    });
  }

  private pipeError(pipe: Pipe, err: Error): void {
    if (pipe.closed) return;
    this.host.emit({ kind: "error", id: pipe.id, error: toWire(err) });
  }

  private pipeClosed(pipe: Pipe): void {
    if (pipe.closed) return;
    pipe.closed = true;
    this.pipes.delete(pipe.id);
    this.retire(pipe.id);
    this.host.emit({ kind: "closed", id: pipe.id, error: null });
  }

  private pipeCommand(command: Command): void {
    const pipe = this.pipes.get((command as { id: number }).id);
    if (pipe === undefined) return;
    switch (command.op) {
      case "write": {
        const w = pipe.writable;
        if (w === null || w.destroyed || w.writableEnded) {
          this.emitLater({ kind: "error", id: pipe.id, error: { name: "BrokenPipeError", code: "EPIPE", message: "write to a closed pipe" } });
          return;
        }
        pipe.sizes.push(command.bytes.length);
        w.write(command.bytes, pipe.onWritten);
        return;
      }
      case "writeEof":
        pipe.writable?.end();
        return;
      case "pauseReading":
        pipe.readable?.pause();
        return;
      case "resumeReading":
        pipe.readable?.resume();
        return;
      case "close":
        if (pipe.writable !== null) pipe.writable.end();
        else this.destroyReadable(pipe);
        return;
      case "abort":
        pipe.writable?.destroy();
        this.destroyReadable(pipe);
        return;
    }
  }

  /** Closing a read pipe: stop reading and let it go (the child gets SIGPIPE if it writes more). */
  private destroyReadable(pipe: Pipe): void {
    if (pipe.readable === null) return;
    const child = this.children.get(pipe.proc);
    pipe.readable.destroy();
    if (pipe.merged > 0) child?.stderr?.destroy();
  }
}

/** An executor's worker pool over worker_threads (io/worker-pools.ts). */
class NodeWorkers extends WorkerPools<NodePoolWorker> {
  constructor(
    private readonly host: NodeHost,
    private readonly later: (event: HostEvent) => void,
    private readonly retire: (id: number) => void,
  ) {
    super();
  }

  protected emit(event: HostEvent): void {
    this.host.emit(event);
  }

  protected emitLater(event: HostEvent): void {
    this.later(event);
  }

  /** An answered call's id stays claimed for a while (an `abort` racing its result is ignored). */
  protected override forgetCall(id: number): void {
    super.forgetCall(id);
    this.retire(id);
  }

  protected defaultMax(): number {
    const os = this.host.load<typeof import("node:os")>("node:os");
    const cpus = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
    return Math.min(32, cpus + 4); // asyncio's ThreadPoolExecutor default
  }

  /** An absolute path becomes a file: URL; URLs and package names are imported as they are. */
  protected moduleUrl(module: string): string {
    if (module.startsWith("/") || /^[A-Za-z]:[\\/]/.test(module) || module.startsWith("\\\\")) {
      return this.host.load<typeof import("node:url")>("node:url").pathToFileURL(module).href;
    }
    return module;
  }

  protected wire(err: unknown): WireError {
    return toWire(err);
  }

  protected post(entry: NodePoolWorker, call: PoolCall): void {
    entry.worker.postMessage({ id: call.id, module: call.module, name: call.name, args: call.args });
  }

  /** A call in progress keeps the host alive; an idle worker does not. */
  protected override busy(entry: NodePoolWorker): void {
    entry.worker.ref();
  }

  protected override parked(entry: NodePoolWorker): void {
    entry.worker.unref();
  }

  protected stopWorker(pool: Pool<NodePoolWorker>, entry: NodePoolWorker): void {
    entry.stopping = true;
    pool.workers.delete(entry);
    entry.worker.unref();
    void entry.worker.terminate();
  }

  protected startWorker(pool: Pool<NodePoolWorker>): NodePoolWorker {
    const { Worker } = this.host.load<typeof import("node:worker_threads")>("node:worker_threads");
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const entry: NodePoolWorker = { worker, current: null, stopping: false };
    let crash: unknown = null;
    worker.on("message", (msg: CallAnswer) => this.answered(pool, entry, msg));
    worker.on("error", (err) => {
      crash = err; // an error thrown outside a call (a stray timer's callback): the worker exits
    });
    worker.on("exit", (code) => {
      if (entry.stopping) return;
      const why = crash !== null ? toWire(crash) : null;
      this.lost(pool, entry, (call) => ({
        name: why?.name ?? "Error",
        message: `the worker running ${call.name}() exited unexpectedly (exit code ${code})${why !== null ? ": " + why.message : ""}`,
        stack: why?.stack,
      }));
    });
    pool.workers.add(entry);
    return entry;
  }
}
