// One module chooses the driver for the host this code runs on, among the drivers the entry
// point registered. Each entry registers the hosts it is built for (src/index.ts, entry-cjs.ts
// and manual.ts: every host; index-browser.ts, manual-browser.ts, manual-workerd.ts: one), so a
// bundle made for one host carries that host's driver only: nothing here imports a driver. The
// per-host parts are io/choose-node.ts (Node and Bun), choose-deno.ts, choose-browser.ts and
// choose-workerd.ts. A host no registered driver takes gets the timers-only driver, whose I/O
// calls raise NotImplementedError naming the host.

import type { Driver } from "./driver.js";
import { TimersDriver, hostName } from "./timers.js";

/** Makes a driver for `host` (a `hostName()`), or returns null when it is not that driver's host. */
export type HostDriverFactory = (host: string) => Driver | null;

const factories: HostDriverFactory[] = [];

/** @internal The entry points register the drivers of the hosts they are built for, once, at import. */
export function _registerDrivers(...hostDrivers: HostDriverFactory[]): void {
  for (const make of hostDrivers) if (!factories.includes(make)) factories.push(make);
}

/**
 * A fresh driver for a new loop on this host: the first registered driver that takes it, else
 * the timers-only driver (clock, timers, `wrap`).
 *
 * @example
 * const loop = newEventLoop({ driver: defaultDriver() }); // what newEventLoop() does by itself
 */
export function defaultDriver(): Driver {
  const host = hostName();
  for (const make of factories) {
    const driver = make(host);
    if (driver !== null) return driver;
  }
  return new TimersDriver(host);
}
