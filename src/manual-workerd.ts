// `wasyncio/manual` for workerd (package.json's "workerd" condition, dist/manual.workerd.mjs):
// the manual entry with the workerd driver only. Hand it the core as a module:
// `import core from "wasyncio/core.wasm"; await initCore(core);`.

import { _registerDrivers } from "./io/choose.js";
import { installLoopIo } from "./streams/install.js";
import { workerdHostDriver } from "./io/choose-workerd.js";

_registerDrivers(workerdHostDriver);
installLoopIo(); // the loop's I/O methods (streams/install.ts)

export * from "./api.js";
export { initCore } from "./core/wasm.js";
