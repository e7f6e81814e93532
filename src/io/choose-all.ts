// Every host's driver, in the order io/choose.ts tries them: what the entry points that serve
// every host register (src/index.ts, entry-cjs.ts, manual.ts).

import type { HostDriverFactory } from "./choose.js";
import { nodeHostDriver } from "./choose-node.js";
import { browserHostDriver } from "./choose-browser.js";
import { denoHostDriver } from "./choose-deno.js";
import { workerdHostDriver } from "./choose-workerd.js";

export const everyHostDriver: readonly HostDriverFactory[] = [nodeHostDriver, browserHostDriver, denoHostDriver, workerdHostDriver];
