// Browsers, pages and Web Workers (io/choose.ts): WebSockets and module workers, no sockets.

import type { HostDriverFactory } from "./choose.js";
import { BrowserDriver } from "./browser.js";

export const browserHostDriver: HostDriverFactory = (host) => (host === "browser" ? new BrowserDriver() : null);
