// The loop's I/O methods (asyncio's loop.create_connection, create_server, …) are put on
// EventLoop.prototype here, by the entries, instead of by the modules that implement them: a
// module that assigns to a prototype at its top level cannot be dropped by a bundler, so every
// browser bundle carried the TCP, server, UDP, subprocess and signal code. Now a browser entry
// installs only what a browser has (executors) plus stubs that raise NotImplementedError at the
// call, and bundlers drop the rest unless the program uses it; the full entries install it all.
// A replay installs it all too (a trace recorded on Node replays its TCP calls in a browser).

import { NotImplementedError } from "../errors.js";
import { EventLoop } from "../loop/event-loop.js";
import { loopCreateDatagramEndpoint } from "./datagrams.js";
import { loopRunInExecutor, loopShutdownDefaultExecutor } from "./executor.js";
import { loopCreateServer, loopCreateUnixServer } from "./server.js";
import { loopAddSignalHandler, loopRemoveSignalHandler } from "./signals.js";
import { loopCreateConnection, loopCreateUnixConnection, loopStartTls } from "./sockets.js";
import { loopSubprocessExec, loopSubprocessShell } from "./subprocess.js";

let installedAll = false;

/** Every I/O method of the loop (the Node, Deno, workerd and default entries; replays). */
export function installLoopIo(): void {
  if (installedAll) return;
  installedAll = true;
  const loop = EventLoop.prototype;
  loop.createConnection = loopCreateConnection;
  loop.createUnixConnection = loopCreateUnixConnection;
  loop.startTls = loopStartTls;
  loop.createServer = loopCreateServer;
  loop.createUnixServer = loopCreateUnixServer;
  loop.createDatagramEndpoint = loopCreateDatagramEndpoint;
  loop.subprocessExec = loopSubprocessExec;
  loop.subprocessShell = loopSubprocessShell;
  loop.addSignalHandler = loopAddSignalHandler;
  loop.removeSignalHandler = loopRemoveSignalHandler;
  loop.runInExecutor = loopRunInExecutor;
  loop.shutdownDefaultExecutor = loopShutdownDefaultExecutor;
}

/** A method for a feature this build's host has not: raises at the call, naming the host. */
function unavailable(feature: string) {
  return function (this: EventLoop): never {
    throw new NotImplementedError(`${feature} is not available on ${this._host.host}`);
  };
}

/** What a browser build needs: executors (Web Workers); the rest raise NotImplementedError. */
export function installBrowserLoopIo(): void {
  const loop = EventLoop.prototype;
  loop.runInExecutor = loopRunInExecutor;
  loop.shutdownDefaultExecutor = loopShutdownDefaultExecutor;
  if (installedAll) return; // a replay already put the real ones in place
  loop.createConnection = unavailable("TCP connections");
  loop.createUnixConnection = unavailable("Unix sockets");
  loop.startTls = unavailable("TLS upgrades (startTls)");
  loop.createServer = unavailable("TCP servers");
  loop.createUnixServer = unavailable("Unix sockets");
  loop.createDatagramEndpoint = unavailable("UDP datagrams");
  loop.subprocessExec = unavailable("subprocesses");
  loop.subprocessShell = unavailable("subprocesses");
  loop.addSignalHandler = unavailable("signal handlers");
  loop.removeSignalHandler = unavailable("signal handlers");
}
