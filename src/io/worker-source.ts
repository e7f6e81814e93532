// The code an executor worker runs, shared by every host's pool (node-proc.ts: worker_threads;
// web.ts: browser Web Workers; deno-proc.ts: Deno's Web Workers). It is a string, started as an
// eval'd or Blob-URL worker, so the bundle needs no file of its own.
//
// One call at a time: the pool posts the next only after the result came back. The module is
// imported by the worker (cached after the first call); the export is called with the
// structured-cloned arguments, awaited if it returns a promise, and the result is posted back
// as `{ id, ok: true, value }`. An error is posted as data, `{ id, ok: false, error }`, with its
// class name, message, stack and code (a WireError), so it crosses as the same class.

/** Turn a thrown value into a WireError (runs in the worker). `extra` may adjust `w` for `e`. */
const wireSource = (extra: string) => `
function wire(e) {
  if (e !== null && typeof e === "object") {
    let name = typeof e.name === "string" ? e.name : "Error";
    const ctor = e.constructor && typeof e.constructor.name === "string" ? e.constructor.name : "";
    if (name === "Error" && ctor !== "" && ctor !== "Object") name = ctor;
    const w = { name, message: typeof e.message === "string" ? e.message : String(e) };
    if (typeof e.code === "string") w.code = e.code;
    if (typeof e.stack === "string") w.stack = e.stack;${extra}
    return w;
  }
  return { name: "Error", message: "non-error thrown: " + String(e) };
}`;

/** Run one call message `m` and `post` its outcome (runs in the worker). */
const HANDLE_SOURCE = `
async function handle(m, post) {
  let value;
  try {
    const mod = await import(m.module);
    const fn = mod[m.name];
    if (typeof fn !== "function") {
      throw new TypeError(m.name in mod
        ? "export '" + m.name + "' of " + m.module + " is not a function (it is " + typeof fn + ")"
        : "module " + m.module + " has no export named '" + m.name + "'");
    }
    value = await fn(...m.args);
  } catch (e) {
    post({ id: m.id, ok: false, error: wire(e) });
    return;
  }
  try {
    post({ id: m.id, ok: true, value });
  } catch (e) {
    const w = wire(e);
    w.message = "the result of " + m.name + "() could not be sent back: " + w.message;
    post({ id: m.id, ok: false, error: w });
  }
}`;

/** How a worker hears its calls: worker_threads' parentPort, or a Web Worker's `self`. */
const CHANNELS = {
  // The source must run both as a CommonJS script and as an ES module (an eval'd worker inherits
  // the parent's execArgv, so under `node --input-type=module` it is a module): hence the
  // dynamic import; messages posted meanwhile wait in the port until the listener is attached.
  node: `
import("node:worker_threads").then(({ parentPort }) =>
  parentPort.on("message", (m) => handle(m, (x) => parentPort.postMessage(x))));`,
  web: `
self.onmessage = (event) => handle(event.data, (x) => self.postMessage(x));`,
} as const;

/**
 * An executor worker's source for `channel`. `prologue` runs first (host patches);
 * `wireExtra` is code inside `wire(e)` that may adjust the WireError `w`; `epilogue` runs last.
 */
export function workerSource(
  channel: keyof typeof CHANNELS,
  options: { prologue?: string; wireExtra?: string; epilogue?: string } = {},
): string {
  return `"use strict";${options.prologue ?? ""}${wireSource(options.wireExtra ?? "")}${HANDLE_SOURCE}${CHANNELS[channel]}${options.epilogue ?? ""}\n`;
}
