// Node and Bun (io/choose.ts): the Node driver — sockets, processes, signals, worker threads —
// wherever process.getBuiltinModule reaches Node's modules.

import type { HostDriverFactory } from "./choose.js";
import { NodeDriver, builtinLoader } from "./node.js";

export const nodeHostDriver: HostDriverFactory = (host) =>
  (host === "node" || host === "bun") && builtinLoader() !== null ? new NodeDriver(host) : null;
