// The default ESM entry: instantiates the inlined core at import (top-level await, so browsers
// never compile synchronously on the main thread), then exports the API, with every host's
// driver. Browser bundlers get index-browser.ts instead (package.json's "browser" condition: the
// same API, the browser driver only); Node, Deno and Bun get dist/index.node.mjs, which
// re-exports the CommonJS instance so import and require() share one wasyncio.

import { CORE_WASM_BASE64 } from "./core/wasm-bytes.generated.js";
import { decodeBase64, initCore } from "./core/wasm.js";
import { _registerDrivers } from "./io/choose.js";
import { installLoopIo } from "./streams/install.js";
import { everyHostDriver } from "./io/choose-all.js";

_registerDrivers(...everyHostDriver);
installLoopIo(); // the loop's I/O methods (streams/install.ts)
await initCore(decodeBase64(CORE_WASM_BASE64));

export * from "./api.js";
