// The CommonJS entry: CommonJS cannot await, so the core compiles synchronously at require().
// On Node (also Deno and Bun) it is the one instance: `import "wasyncio"` re-exports it
// (dist/index.node.mjs, written by build/node-entry.mjs). Every host's driver.

import { CORE_WASM_BASE64 } from "./core/wasm-bytes.generated.js";
import { decodeBase64, initCoreSync } from "./core/wasm.js";
import { _registerDrivers } from "./io/choose.js";
import { installLoopIo } from "./streams/install.js";
import { everyHostDriver } from "./io/choose-all.js";

_registerDrivers(...everyHostDriver);
installLoopIo(); // the loop's I/O methods (streams/install.ts)
initCoreSync(decodeBase64(CORE_WASM_BASE64));

export * from "./api.js";
