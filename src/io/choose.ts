// One module chooses the driver for the host this code runs on: Node and Bun get the Node
// driver (sockets, processes, signals, workers); every other host the timers-only driver
// until its own driver lands.

import type { Driver } from "./driver.js";
import { TimersDriver, hostName } from "./timers.js";
import { NodeDriver, builtinLoader } from "./node.js";
import { BrowserDriver } from "./browser.js";
import { DenoDriver, denoNamespace } from "./deno.js";
import { WorkerdDriver } from "./workerd.js";

/** A fresh driver for a new loop on this host. */
export function defaultDriver(): Driver {
  const host = hostName();
  if ((host === "node" || host === "bun") && builtinLoader() !== null) return new NodeDriver(host);
  if (host === "browser") return new BrowserDriver();
  if (host === "deno" && denoNamespace() !== null) return new DenoDriver();
  if (host === "workerd") return new WorkerdDriver();
  return new TimersDriver(host);
}
