// The ESM entry for browsers (package.json's "browser" condition, dist/index.browser.mjs): the
// default entry's API and inlined core, with the browser driver only — a browser bundle carries
// no Node, Deno or workerd driver. Elsewhere, a loop from this build has the timers-only driver.

import { CORE_WASM_BASE64 } from "./core/wasm-bytes.generated.js";
import { decodeBase64, initCore } from "./core/wasm.js";
import { _registerDrivers } from "./io/choose.js";
import { installBrowserLoopIo } from "./streams/install.js";
import { browserHostDriver } from "./io/choose-browser.js";

_registerDrivers(browserHostDriver);
installBrowserLoopIo(); // the loop's I/O methods (streams/install.ts)
await initCore(decodeBase64(CORE_WASM_BASE64));

export * from "./api.js";
