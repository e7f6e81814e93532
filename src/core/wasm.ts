// The Wasm core: one compiled module per process, one instance per event loop (each loop owns
// its scheduler state). The host supplies the two WASI imports the core uses itself, so the
// same `.wasm` instantiates on Node, Deno, Bun, browsers and workerd without `node:wasi`.

import { RuntimeError } from "../errors.js";
import type { SchedulerCore } from "./types.js";
import { State } from "./types.js";

interface CoreExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  statePtr(): number;
  soon(): number;
  at(when: number): number;
  cancel(id: number): number;
  isPending(id: number): number;
  tick(now: number): number;
  release(): void;
  seed(lo: number, hi: number): void;
  random(): number;
  nextU32(): number;
  wipe(): void;
  setChecksum(on: number): void;
  reset(): void;
}

let compiled: WebAssembly.Module | null = null;

/**
 * What a module must export to be the core, by kind. Typed against CoreExports, so an export
 * added there without being added here (or the reverse) does not compile.
 */
const REQUIRED_EXPORTS: { readonly [K in keyof CoreExports]-?: "function" | "memory" } = {
  memory: "memory",
  _initialize: "function",
  statePtr: "function",
  soon: "function",
  at: "function",
  cancel: "function",
  isPending: "function",
  tick: "function",
  release: "function",
  seed: "function",
  random: "function",
  nextU32: "function",
  wipe: "function",
  setChecksum: "function",
  reset: "function",
};

/** The imports WasmCore supplies (module -> name -> kind); a core needing anything else cannot instantiate. */
const SUPPLIED_IMPORTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  wasi_snapshot_preview1: { fd_write: "function", proc_exit: "function" },
};

/** A WebAssembly.Module by brand, so a module from another realm (a vm context, an iframe) counts too. */
function isModule(value: unknown): value is WebAssembly.Module {
  if (value instanceof WebAssembly.Module) return true;
  if (value === null || typeof value !== "object") return false;
  try {
    WebAssembly.Module.exports(value as WebAssembly.Module);
    return true;
  } catch {
    return false;
  }
}

function isBytes(value: unknown): value is BufferSource {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function describeSource(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value === "string" ? "a string" : `${typeof value} ${String(value)}`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return typeof name === "string" && name !== "" ? `a ${name}` : "an object";
}

/**
 * Throw a TypeError unless `module` has every export the core needs (with the right kind) and
 * imports nothing but what WasmCore supplies. Called before the module replaces the current core.
 */
function checkCoreModule(module: WebAssembly.Module, fn: string): void {
  const exported = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind] as const));
  const problems: string[] = [];
  const missing: string[] = [];
  for (const [name, kind] of Object.entries(REQUIRED_EXPORTS)) {
    const actual = exported.get(name);
    if (actual === undefined) missing.push(`${name} (${kind})`);
    else if (actual !== kind) problems.push(`export '${name}' is a ${actual}, not a ${kind}`);
  }
  if (missing.length > 0) problems.unshift(`missing exports: ${missing.join(", ")}`);
  const unsupplied = WebAssembly.Module.imports(module)
    .filter((i) => SUPPLIED_IMPORTS[i.module]?.[i.name] !== i.kind)
    .map((i) => `${i.module}.${i.name} (${i.kind})`);
  if (unsupplied.length > 0) problems.push(`imports that wasyncio does not supply: ${unsupplied.join(", ")}`);
  if (problems.length > 0) {
    throw new TypeError(
      `${fn}: this WebAssembly module is not wasyncio's core (${problems.join("; ")}); pass wasyncio/core.wasm. The previous core is kept`,
    );
  }
}

const SOURCE_MESSAGE = "source must be a WebAssembly.Module (wasyncio/core.wasm, compiled), an ArrayBuffer or a typed array of its bytes";

/**
 * Give wasyncio its core. The default entry does this for you at import; `wasyncio/manual`
 * (for workerd and strict-CSP pages that refuse to compile bytes) needs it once, before the
 * first loop. A `WebAssembly.Module` is taken at once; bytes are compiled asynchronously.
 * The module is checked first: anything that is not wasyncio's core (wrong exports or imports,
 * bytes that do not compile) rejects, and the core set before stays in use.
 *
 * @example
 * import coreModule from "./core.wasm"; // workerd: a precompiled module
 * await initCore(coreModule);
 */
export function initCore(source: WebAssembly.Module | BufferSource): Promise<void> {
  if (isModule(source)) {
    try {
      checkCoreModule(source, "initCore(source)");
    } catch (err) {
      return Promise.reject(err);
    }
    compiled = source;
    return Promise.resolve();
  }
  if (!isBytes(source)) {
    return Promise.reject(new TypeError(`initCore(source): ${SOURCE_MESSAGE}, got ${describeSource(source)}`));
  }
  return WebAssembly.compile(source).then((module) => {
    checkCoreModule(module, "initCore(source)");
    compiled = module;
  });
}

/** Compile the core synchronously (the CommonJS entry, which cannot await); same checks as initCore. */
export function initCoreSync(source: WebAssembly.Module | BufferSource): void {
  let module: WebAssembly.Module;
  if (isModule(source)) module = source;
  else if (isBytes(source)) module = new WebAssembly.Module(source);
  else throw new TypeError(`initCoreSync(source): ${SOURCE_MESSAGE}, got ${describeSource(source)}`);
  checkCoreModule(module, "initCoreSync(source)");
  compiled = module;
}

/** Decode base64 without Node's Buffer (every host has atob). */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** Create a fresh Wasm scheduler (one per loop). */
export function createWasmCore(): SchedulerCore {
  if (compiled === null) {
    throw new RuntimeError(
      "wasyncio's Wasm core is not initialised: import from 'wasyncio' (which does it), or call initCore(module) from 'wasyncio/manual' first",
    );
  }
  const pooled = pool.pop();
  if (pooled !== undefined && pooled.module === compiled) return pooled;
  return new WasmCore(compiled);
}

/**
 * Cores of closed loops, reset, for the next loops: an instance costs ~80 µs and 64 KiB to make,
 * which was most of what explore() paid per seed (thousands of short runSync loops).
 */
const pool: WasmCore[] = [];
/** How many idle cores are kept. */
const POOL_SIZE = 8;

class WasmCore implements SchedulerCore {
  readonly kind = "wasm" as const;
  /** @internal The module this instance came from (a pooled core of an older initCore is dropped). */
  readonly module: WebAssembly.Module;
  readonly soon: () => number;
  readonly at: (when: number) => number;
  readonly cancel: (id: number) => number;
  readonly isPending: (id: number) => number;
  readonly tick: (now: number) => number;
  readonly release: () => void;
  readonly seed: (lo: number, hi: number) => void;
  readonly random: () => number;
  readonly nextU32: () => number;
  readonly setChecksum: (on: number) => void;
  readonly reset: () => void;
  private readonly wipe: () => void;

  private readonly memory: WebAssembly.Memory;
  private readonly statePtr: number;
  // Views are made once and re-made only when memory.grow detached them (length becomes 0)
  // or the batch moved: making a view costs ~12 ns, far more than reading one.
  private u32: Uint32Array = new Uint32Array(0);
  private f64: Float64Array = new Float64Array(0);
  private batchView: Uint32Array = new Uint32Array(0);
  private batchPtr = -1;

  constructor(module: WebAssembly.Module) {
    let memory: WebAssembly.Memory | null = null;
    let pendingOutput = "";
    const decoder = new TextDecoder();
    const wasi = {
      fd_write(_fd: number, iovs: number, iovsLen: number, nwritten: number): number {
        const view = new DataView(memory!.buffer);
        let written = 0;
        for (let i = 0; i < iovsLen; i++) {
          const ptr = view.getUint32(iovs + i * 8, true);
          const len = view.getUint32(iovs + i * 8 + 4, true);
          pendingOutput += decoder.decode(new Uint8Array(memory!.buffer, ptr, len));
          written += len;
        }
        view.setUint32(nwritten, written, true);
        return 0;
      },
      proc_exit(code: number): never {
        const message = pendingOutput.trim();
        pendingOutput = "";
        throw new RuntimeError(`wasyncio core aborted (exit ${code})${message ? ": " + message : ""}`);
      },
    };
    const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi });
    const ex = instance.exports as unknown as CoreExports;
    memory = ex.memory;
    ex._initialize();
    this.memory = memory;
    this.statePtr = ex.statePtr();
    this.soon = ex.soon;
    this.at = ex.at;
    this.cancel = ex.cancel;
    this.isPending = ex.isPending;
    this.tick = ex.tick;
    this.release = ex.release;
    this.seed = ex.seed;
    this.random = ex.random;
    const draw = ex.nextU32;
    this.nextU32 = () => draw() >>> 0; // a u32 crosses as a signed i32
    this.setChecksum = ex.setChecksum;
    this.reset = ex.reset;
    this.wipe = ex.wipe;
    this.module = module;
    this.refresh();
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    this.u32 = new Uint32Array(buffer, this.statePtr, 16);
    this.f64 = new Float64Array(buffer, this.statePtr, 8);
    this.batchPtr = this.u32[State.BatchPtr >> 2];
    this.batchView = new Uint32Array(buffer, this.batchPtr);
  }

  private state(): Uint32Array {
    if (this.u32.length === 0) this.refresh();
    return this.u32;
  }

  batch(): Uint32Array {
    if (this.batchView.length === 0 || this.u32.length === 0 || this.u32[State.BatchPtr >> 2] !== this.batchPtr) {
      this.refresh();
    }
    return this.batchView;
  }
  readyLen(): number {
    return this.state()[State.ReadyLen >> 2];
  }
  timerLen(): number {
    return this.state()[State.TimerLen >> 2];
  }
  liveCount(): number {
    return this.state()[State.Live >> 2];
  }
  checksum(): number {
    return this.state()[State.Checksum >> 2];
  }
  nextDeadline(): number {
    if (this.f64.length === 0) this.refresh();
    return this.f64[State.NextDeadline >> 3];
  }

  /** The loop closed: keep this core, wiped back to a new instance's state, for the next loop. */
  dispose(): void {
    if (pool.length >= POOL_SIZE) return;
    this.wipe();
    pool.push(this);
  }
}
