// `wasyncio/manual`: the same API without inlined bytes, for hosts that refuse to compile Wasm
// from bytes (workerd, strict CSP). Call `initCore(module)` once before the first loop; it
// refuses anything that is not wasyncio's core. Always the standalone ESM build, on every host:
// on Node that is a different instance from `import "wasyncio"` (there, the CommonJS one), so a
// program picks one entry. Every host's driver; workerd and browser bundlers get
// manual-workerd.ts / manual-browser.ts (package.json conditions), with their own driver only.

import { _registerDrivers } from "./io/choose.js";
import { installLoopIo } from "./streams/install.js";
import { everyHostDriver } from "./io/choose-all.js";

_registerDrivers(...everyHostDriver);
installLoopIo(); // the loop's I/O methods (streams/install.ts)

export * from "./api.js";
export { initCore } from "./core/wasm.js";
