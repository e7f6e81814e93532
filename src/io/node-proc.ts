// Node processes for the driver: subprocesses (node:child_process), signals (process.on),
// worker executors (node:worker_threads).
// Host callbacks become events through `host.emit`; nothing here calls into the loop.

import { NotImplementedError } from "../errors.js";
import type { Command, Feature } from "./driver.js";
import type { NodeHost } from "./node.js";

const OPS = new Set<Command["op"]>([
  "spawn", "kill", "addSignal", "removeSignal", "createExecutor", "call", "shutdownExecutor",
]);

export class NodeProc {
  constructor(private readonly host: NodeHost) {}

  handles(command: Command): boolean {
    return OPS.has(command.op);
  }

  send(command: Command): void {
    throw new NotImplementedError(`'${command.op}' is not available on ${this.host.host} yet`);
  }

  supports(_feature: Feature): boolean {
    return false;
  }

  hostObject(_id: number): unknown {
    return null;
  }

  /** The loop closed: destroy what is still open. */
  detach(): void {}
}
