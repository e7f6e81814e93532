// Deno processes for the driver: subprocesses (Deno.Command, whose pipes are stream resources
// with their own ids), signals (Deno.addSignalListener) and worker executors (Web Workers).
// The events are the Node driver's (io/node-proc.ts) in the same situations: `spawned` or one
// `error`, then `exit` with Node's code/signal; a pipe's `data`/`eof`/`flushed`/`error`/`closed`;
// `signal` with the handler's id; a call's `result`.

import { WorkerPools, type CallAnswer, type Pool, type PoolCall, type PoolWorker } from "./worker-pools.js";
import { workerSource } from "./worker-source.js";
import { NotImplementedError } from "../errors.js";
import type { Command, Feature, HostEvent, StdioMode, WireError } from "./driver.js";
import { denoWire } from "./deno-host.js";
import type { DenoChild, DenoHost } from "./deno-host.js";
import { DenoStream, MergedIO, ReadableIO, WritableIO } from "./deno-stream.js";
import type { ByteIO, StreamOwner } from "./deno-stream.js";

const OPS = new Set<Command["op"]>([
  "spawn", "kill", "addSignal", "removeSignal", "createExecutor", "call", "shutdownExecutor",
]);

/** Linux signal numbers, for `kill` with a number (Deno takes names). */
const SIGNAL_NAMES: Record<number, string> = {
  1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
  9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
  17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG",
  24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
};

// ---- the worker's code ----------------------------------------------------------------------------
//
// io/worker-source.ts, as a module worker made from a Blob URL. A refused permission (importing
// a file without --allow-read) gets the code EACCES, so the caller sees a PermissionError naming
// the flag. A Web Worker has no exit event: a worker that ends itself (Deno.exit, self.close)
// says so first.
const WORKER_SOURCE = workerSource("web", {
  prologue: `
const realExit = Deno.exit;
try {
  Object.defineProperty(Deno, "exit", {
    value: (code) => { self.postMessage({ exit: code ?? 0 }); realExit(code); },
    configurable: true,
    writable: true,
  });
} catch {}
const realClose = self.close.bind(self);
self.close = () => { self.postMessage({ exit: 0 }); realClose(); };`,
  wireExtra: `
    if (name === "NotCapable" || /run again with the --allow-[a-z-]+ flag/.test(w.message)) w.code = "EACCES";`,
});

interface DenoPoolWorker extends PoolWorker {
  worker: Worker;
}

/** A child process, by id. */
interface Child {
  id: number;
  child: DenoChild;
  exited: boolean;
  /** stderr=STDOUT with stdout inherited: stderr is copied to our stdout (fd 1, as Node does). */
  copying: ReadableStreamDefaultReader<Uint8Array> | null;
}

function stdioFor(mode: StdioMode): "piped" | "null" | "inherit" {
  return mode === "pipe" ? "piped" : mode === "devnull" ? "null" : "inherit";
}

/** An absolute path as a file: URL (posix `/x`, Windows `C:\x`, UNC `\\host\x`). */
function fileUrl(path: string): string {
  let p = path.replace(/\\/g, "/");
  if (/^[A-Za-z]:\//.test(p)) p = "/" + p;
  return new URL("file://" + p.split("/").map((part) => encodeURIComponent(part).replace(/%3A/g, ":")).join("/")).href;
}

export class DenoProc implements StreamOwner {
  private readonly signals = new Map<number, { name: string; listener: () => void }>();
  private readonly workers: DenoWorkers;
  private readonly children = new Map<number, Child>();
  constructor(private readonly host: DenoHost) {
    this.workers = new DenoWorkers(host);
  }

  emit(event: HostEvent): void {
    this.host.emit(event);
  }

  emitLater(event: HostEvent): void {
    this.host.emitLater(event);
  }

  forget(stream: DenoStream): void {
    if (this.host.streams.get(stream.id) === stream) this.host.streams.delete(stream.id);
  }

  handles(command: Command): boolean {
    return OPS.has(command.op) || this.workers.handlesCall(command);
  }

  send(command: Command): void {
    switch (command.op) {
      case "addSignal":
        return this.addSignal(command.id, command.name);
      case "removeSignal":
        return this.removeSignal(command.id);
      case "createExecutor":
      case "call":
      case "shutdownExecutor":
      case "abort":
        return this.workers.sendCall(command);
      case "spawn":
        return this.spawn(command);
      case "kill":
        return this.kill(command.id, command.signal);
      default:
        throw new NotImplementedError(`'${command.op}' is not a process operation`);
    }
  }

  supports(feature: Feature): boolean {
    if (feature === "workers") return typeof Worker === "function" && typeof Blob === "function" && typeof URL.createObjectURL === "function";
    return feature === "signals" || feature === "subprocess";
  }

  hostObject(id: number): unknown {
    return this.children.get(id)?.child ?? null;
  }

  /** The loop closed: remove our signal listeners, kill the children, stop the workers. */
  detach(): void {
    for (const { name, listener } of this.signals.values()) {
      try {
        this.host.deno.removeSignalListener(name, listener);
      } catch {
        // gone already
      }
    }
    this.signals.clear();
    this.workers.stopAll();
    for (const c of this.children.values()) {
      c.copying?.cancel().catch(() => undefined);
      if (!c.exited) {
        try {
          c.child.kill("SIGKILL");
        } catch {
          // exited meanwhile
        }
      }
    }
    this.children.clear();
  }

  // ---- signals ------------------------------------------------------------------------------

  private addSignal(id: number, name: string): void {
    // `ifUnhandled` (run()'s SIGINT): Deno cannot tell whether the program listens itself, so
    // the handler is always installed (both run, where Node would leave the program's alone).
    const listener = () => this.host.emit({ kind: "signal", id, name });
    this.host.deno.addSignalListener(name, listener); // throws for a signal Deno cannot catch
    this.signals.set(id, { name, listener });
  }

  private removeSignal(id: number): void {
    const entry = this.signals.get(id);
    if (entry === undefined) return;
    this.signals.delete(id);
    this.host.deno.removeSignalListener(entry.name, entry.listener);
  }

  // ---- subprocesses -------------------------------------------------------------------------

  private spawn(command: Extract<Command, { op: "spawn" }>): void {
    const deno = this.host.deno;
    const { id, pipes } = command;
    // stderr=STDOUT: merged into the stdout pipe here, or copied to our stdout when inherited
    let stderr: "piped" | "null" | "inherit";
    const mergeStderr = command.stderr === "stdout";
    if (mergeStderr) stderr = command.stdout === "devnull" ? "null" : "piped";
    else stderr = stdioFor(command.stderr);
    let file = command.file;
    let args = command.args;
    if (command.shell) {
      const line = [command.file, ...command.args].join(" ");
      if (deno.build.os === "windows") {
        file = "cmd.exe";
        args = ["/d", "/s", "/c", line];
      } else {
        file = "/bin/sh";
        args = ["-c", line];
      }
    }
    const options: Record<string, unknown> = {
      args,
      stdin: stdioFor(command.stdin),
      stdout: stdioFor(command.stdout),
      stderr,
    };
    if (command.cwd != null) options.cwd = command.cwd;
    // asyncio's env replaces the environment; Deno's adds to it unless clearEnv
    if (command.env != null) {
      options.env = command.env;
      options.clearEnv = true;
    }
    let child: DenoChild;
    try {
      child = new deno.Command(file, options).spawn();
    } catch (err) {
      // the program does not exist (ENOENT), --allow-run is missing (EACCES), a bad cwd…
      this.host.emitLater({ kind: "error", id, error: denoWire(err, "run") });
      return;
    }
    const entry: Child = { id, child, exited: false, copying: null };
    this.children.set(id, entry);
    // The pipes read from now on, in the same host turn as the spawn: nothing a quick child
    // writes is lost (the data waits as events until the loop polls).
    if (pipes.stdin !== null && command.stdin === "pipe") this.openPipe(pipes.stdin, "writePipe", new WritableIO(child.stdin), child.stdin);
    if (pipes.stdout !== null && command.stdout === "pipe") {
      const io: ByteIO = mergeStderr ? new MergedIO([child.stdout, child.stderr]) : new ReadableIO(child.stdout);
      this.openPipe(pipes.stdout, "readPipe", io, child.stdout);
    }
    if (pipes.stderr !== null && command.stderr === "pipe") this.openPipe(pipes.stderr, "readPipe", new ReadableIO(child.stderr), child.stderr);
    if (mergeStderr && command.stdout === "inherit") void this.copyToStdout(entry, child.stderr);
    this.host.emitLater({ kind: "spawned", id, pid: child.pid });
    child.status.then(
      ({ code, signal }) => {
        entry.exited = true;
        if (this.children.get(id) !== entry) return; // the loop closed
        this.children.delete(id);
        // Node's convention: killed by a signal is code null plus the signal's name
        this.host.emit({ kind: "exit", id, code: signal !== null ? null : code, signal });
      },
      () => {
        entry.exited = true;
      },
    );
  }

  private openPipe(id: number, kind: "readPipe" | "writePipe", io: ByteIO, hostObject: unknown): void {
    const stream = new DenoStream(this, id, kind, io);
    stream.hostObject = hostObject;
    stream.flag = "run";
    this.host.streams.set(id, stream);
    stream.start();
  }

  private async copyToStdout(entry: Child, stream: ReadableStream<Uint8Array>): Promise<void> {
    const reader = stream.getReader();
    entry.copying = reader;
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) return;
        let at = 0;
        while (at < r.value.length) at += await this.host.deno.stdout.write(r.value.subarray(at));
      }
    } catch {
      // our stdout is closed, or the loop closed: the child's output goes nowhere
    }
  }

  private kill(id: number, signal: string | number): void {
    const entry = this.children.get(id);
    if (entry === undefined || entry.exited) return; // exited: the loop raises ProcessLookupError when it knows
    const name = typeof signal === "number" ? SIGNAL_NAMES[signal] : signal;
    if (name === undefined) throw new NotImplementedError(`signal number ${String(signal)} has no name on deno: pass its name ("SIGTERM")`);
    try {
      entry.child.kill(name);
    } catch (err) {
      // the process is gone already: as asyncio's send_signal, ignore it; a bad name is the caller's
      if (err instanceof Error && /already terminated|ESRCH|No such process/i.test(err.message)) return;
      throw err;
    }
  }
}

/** An executor's worker pool over Deno's module Web Workers (io/worker-pools.ts). */
class DenoWorkers extends WorkerPools<DenoPoolWorker> {
  private workerUrl: string | null = null;

  constructor(private readonly host: DenoHost) {
    super();
  }

  protected emit(event: HostEvent): void {
    this.host.emit(event);
  }

  protected emitLater(event: HostEvent): void {
    this.host.emitLater(event);
  }

  protected defaultMax(): number {
    const cpus = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
    return Math.min(32, cpus + 4); // asyncio's ThreadPoolExecutor default
  }

  protected moduleUrl(module: string): string {
    return module.startsWith("/") || /^[A-Za-z]:[\\/]/.test(module) || module.startsWith("\\\\") ? fileUrl(module) : module;
  }

  protected wire(err: unknown): WireError {
    return denoWire(err);
  }

  protected post(entry: DenoPoolWorker, call: PoolCall): void {
    entry.worker.postMessage({ id: call.id, module: call.module, name: call.name, args: call.args });
  }

  protected stopWorker(pool: Pool<DenoPoolWorker>, entry: DenoPoolWorker): void {
    pool.workers.delete(entry);
    entry.worker.terminate();
  }

  protected startWorker(pool: Pool<DenoPoolWorker>): DenoPoolWorker {
    this.workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    const worker = new Worker(this.workerUrl, { type: "module" });
    const entry: DenoPoolWorker = { worker, current: null };
    worker.onmessage = (event: MessageEvent<CallAnswer & { exit?: number }>) => {
      const msg = event.data;
      if (msg.exit !== undefined) return this.crashed(pool, entry, null, msg.exit);
      this.answered(pool, entry, msg);
    };
    // An error thrown outside a call (a stray timer's callback) ends the worker: its call fails.
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      // the error itself stays in the worker's isolate: its message is "Uncaught Error: …"
      this.crashed(pool, entry, event.error ?? new Error(event.message.replace(/^Uncaught (\w*Error: )?/, "")));
    };
    worker.onmessageerror = () => {
      this.crashed(pool, entry, new Error("a result that could not be received (deserialization failed)"));
    };
    pool.workers.add(entry);
    return entry;
  }

  override stopAll(): void {
    super.stopAll();
    if (this.workerUrl !== null) {
      URL.revokeObjectURL(this.workerUrl);
      this.workerUrl = null;
    }
  }

  /** A worker died (an error outside a call, or it exited): its call fails, the pool goes on. */
  private crashed(pool: Pool<DenoPoolWorker>, entry: DenoPoolWorker, why: unknown, exitCode: number | null = null): void {
    if (!pool.workers.has(entry)) return;
    entry.worker.terminate();
    this.lost(pool, entry, (call) => {
      if (exitCode !== null) return { name: "Error", message: `the worker running ${call.name}() exited unexpectedly (exit code ${exitCode})` };
      const error = denoWire(why);
      error.message = `the worker running ${call.name}() failed outside the call: ${error.message}`;
      return error;
    });
  }
}
