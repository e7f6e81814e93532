// `wasyncio/manual` for browsers (package.json's "browser" condition, dist/manual.browser.mjs):
// the manual entry (no inlined bytes: strict CSP pages) with the browser driver only.

import { _registerDrivers } from "./io/choose.js";
import { installBrowserLoopIo } from "./streams/install.js";
import { browserHostDriver } from "./io/choose-browser.js";

_registerDrivers(browserHostDriver);
installBrowserLoopIo(); // the loop's I/O methods (streams/install.ts)

export * from "./api.js";
export { initCore } from "./core/wasm.js";
