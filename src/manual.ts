// `wasyncio/manual`: the same API without inlined bytes, for hosts that refuse to compile Wasm
// from bytes (workerd, strict CSP). Call `initCore(module)` once before the first loop.

export * from "./api.js";
export { initCore } from "./core/wasm.js";
