// Node sockets for the driver: TCP and TLS (node:net, node:tls), Unix sockets, UDP (node:dgram).
// Host callbacks become events through `host.emit`; nothing here calls into the loop.

import { NotImplementedError } from "../errors.js";
import type { Command, Feature } from "./driver.js";
import type { NodeHost } from "./node.js";

const OPS = new Set<Command["op"]>([
  "connect", "connectUnix", "listen", "listenUnix", "write", "writeEof", "pauseReading", "resumeReading",
  "startTls", "stopListening", "close", "abort", "bindDatagram", "sendto",
]);

export class NodeNet {
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
