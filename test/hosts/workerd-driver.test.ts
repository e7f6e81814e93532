// The workerd driver (src/io/workerd.ts) on Node, without workerd: given a `connect` that has
// the shape of cloudflare:sockets' (a Node socket behind web streams), the streams API runs
// through it unchanged; without one, the driver's import of cloudflare:sockets fails with a
// message that says so; what workerd lacks is refused at the call. The real thing is
// test/hosts/workerd-streams.test.ts.

import { createServer, connect as netConnect, type Server, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConnectionRefusedError,
  NotImplementedError,
  WorkerdDriver,
  getRunningLoop,
  openConnection,
  run,
  startServer,
  type WorkerdConnect,
  type WorkerdSocket,
} from "../../src/index.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** cloudflare:sockets' connect(), played by node:net: what the driver sees of a socket. */
const nodeConnect: WorkerdConnect = (address, options) => {
  if (typeof address === "string") throw new TypeError("this fake takes { hostname, port }");
  const sock = netConnect({ host: address.hostname, port: address.port, allowHalfOpen: options?.allowHalfOpen ?? false });
  const { readable, writable } = Duplex.toWeb(sock) as unknown as { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
  const opened = new Promise<{ remoteAddress: string }>((resolve, reject) => {
    sock.once("connect", () => resolve({ remoteAddress: `${sock.remoteAddress}:${sock.remotePort}` }));
    sock.once("error", reject);
  });
  const closed = new Promise<void>((resolve) => sock.once("close", () => resolve()));
  const socket: WorkerdSocket = {
    readable,
    writable,
    opened,
    closed,
    close: async () => {
      sock.destroy();
    },
    startTls: () => {
      throw new Error("no TLS in this fake");
    },
  };
  return socket;
};

let server: Server;
let port: number;
const peers = new Set<Socket>();

beforeAll(async () => {
  server = createServer({ allowHalfOpen: true }, (c) => {
    peers.add(c);
    c.on("close", () => peers.delete(c));
    c.on("data", (d) => c.write(d));
    c.on("end", () => c.end("bye"));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const p of peers) p.destroy();
  await new Promise((ok) => server.close(ok));
});

describe("WorkerdDriver on Node, with connect() passed in", () => {
  it("carries openConnection: echo, half-close, the peer's EOF, close; nothing left open", async () => {
    const out = await run(function* () {
      const [reader, writer] = yield* openConnection("127.0.0.1", port);
      writer.write(enc.encode("hello\n"));
      const line = dec.decode(yield* reader.readline());
      writer.writeEof();
      const rest = dec.decode(yield* reader.read());
      writer.close();
      yield* writer.waitClosed();
      return { line, rest, eof: reader.atEof(), peer: writer.getExtraInfo("peername"), open: getRunningLoop()._openResources().length };
    }, { driver: new WorkerdDriver({ connect: nodeConnect }) });
    expect(out).toEqual({ line: "hello\n", rest: "bye", eof: true, peer: ["127.0.0.1", port], open: 0 });
  });

  it("moves 256 KiB each way with drain() (flushed events account for every write)", async () => {
    const size = 256 * 1024;
    const same = await run(function* () {
      const [reader, writer] = yield* openConnection("127.0.0.1", port);
      const data = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
      for (let at = 0; at < size; at += 8192) {
        writer.write(data.subarray(at, at + 8192));
        yield* writer.drain();
      }
      const back = yield* reader.readexactly(size);
      writer.close();
      yield* writer.waitClosed();
      return back.every((b, i) => b === data[i]) && (writer.transport as { getWriteBufferSize(): number }).getWriteBufferSize() === 0;
    }, { driver: new WorkerdDriver({ connect: nodeConnect }) });
    expect(same).toBe(true);
  });

  it("reports a failed connect as ConnectionRefusedError saying workerd does not tell why", async () => {
    const probe = createServer();
    await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", () => ok()));
    const closed = (probe.address() as { port: number }).port;
    await new Promise((ok) => probe.close(ok));
    const err = await run(function* () {
      try {
        yield* openConnection("127.0.0.1", closed);
        return null;
      } catch (e) {
        return e;
      }
    }, { driver: new WorkerdDriver({ connect: nodeConnect }) });
    expect(err).toBeInstanceOf(ConnectionRefusedError);
    expect((err as Error).message).toContain(`workerd could not connect to 127.0.0.1:${closed}`);
  });
});

describe("WorkerdDriver on Node, without connect()", () => {
  it("fails a connection clearly: cloudflare:sockets exists only in workerd", async () => {
    const err = await run(function* () {
      try {
        yield* openConnection("127.0.0.1", port);
        return null;
      } catch (e) {
        return e;
      }
    }, { driver: new WorkerdDriver() });
    expect((err as Error).name).toBe("NotImplementedError");
    expect((err as Error).message).toMatch(/^TCP connections need cloudflare:sockets \(workerd\): importing it failed: /);
  });

  it("supports TCP and TLS clients only, and refuses the rest at the call, naming workerd", async () => {
    const driver = new WorkerdDriver();
    expect(["tcp", "tls", "tcpServer", "unix", "udp", "subprocess", "signals", "workers"].filter((f) => driver.supports(f as never))).toEqual(["tcp", "tls"]);
    expect(driver.host).toBe("workerd");
    expect(() => driver.send({ op: "listen", id: 1, host: "127.0.0.1", port: 0, backlog: 100 })).toThrow(NotImplementedError);
    expect(() => driver.send({ op: "spawn", id: 1, file: "ls", args: [], shell: false, stdin: "pipe", stdout: "pipe", stderr: "pipe", pipes: { stdin: null, stdout: null, stderr: null } })).toThrow(
      "subprocesses is not available on workerd",
    );
    const err = await run(function* () {
      try {
        startServer(() => {}, "127.0.0.1", 0);
        return null;
      } catch (e) {
        return e;
      }
    }, { driver });
    expect(err).toBeInstanceOf(NotImplementedError);
    expect((err as Error).message).toBe("TCP servers are not available on workerd");
  });

  it("checks its options", () => {
    expect(() => new WorkerdDriver({ connect: 5 as never })).toThrow("new WorkerdDriver(options): connect must be the connect function of cloudflare:sockets, got number");
    expect(() => new WorkerdDriver(null as never)).toThrow(TypeError);
  });
});
