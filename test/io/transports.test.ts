// Transports and protocols (asyncio's low level): loop.createConnection / createServer with
// protocol objects, the write-buffer marks and pauseWriting/resumeWriting, reading paused and
// resumed, half-close through eofReceived, abort, writes after close (dropped, warned from the
// fifth as asyncio does), protocol callbacks that raise, and bad input at the call. Cases are
// adapted from CPython's test_selector_events.py (SelectorSocketTransportTests) and
// test_events.py (create_connection / create_server) where they apply.

import { afterEach, describe, expect, it, vi } from "vitest";
import {
  NotImplementedError,
  OSError,
  RuntimeError,
  StreamTransport,
  TimersDriver,
  openConnection,
  run,
  runSync,
  startServer,
  ValueError,
  createTask,
  getRunningLoop,
  sleep,
  waitFor,
  type Protocol,
  type Server,
  type Transport,
} from "../../src/index.ts";
import { b, concat, openIo, portOf, runIo, t } from "./stream-helpers.ts";

/** A protocol that records every callback (test_events.py's MyProto, as a record list). */
class Recorder implements Protocol {
  transport: Transport | null = null;
  record: string[] = [];
  data: Uint8Array[] = [];
  lost = getRunningLoop().createFuture<Error | null>();
  keepOpenOnEof = false;
  connectionMade(transport: Transport) {
    this.transport = transport;
    this.record.push("made");
  }
  dataReceived(data: Uint8Array) {
    this.data.push(data);
    if (this.record[this.record.length - 1] !== "data") this.record.push("data");
  }
  eofReceived() {
    this.record.push("eof");
    return this.keepOpenOnEof;
  }
  pauseWriting() {
    this.record.push("pause");
  }
  resumeWriting() {
    this.record.push("resume");
  }
  connectionLost(exc: Error | null) {
    this.record.push(exc === null ? "lost" : `lost ${exc.name}`);
    this.lost.setResult(exc);
  }
  received(): Uint8Array {
    return concat(this.data);
  }
}

/** A server whose connections are Recorders; `accepted` gets each one. */
function* recordingServer(): Generator<unknown, { server: Server; accepted: Recorder[]; next: () => Generator<unknown, Recorder, unknown> }, unknown> {
  const loop = getRunningLoop();
  const accepted: Recorder[] = [];
  let waiter = loop.createFuture<void>();
  const server = yield* loop.createServer(() => {
    const r = new Recorder();
    accepted.push(r);
    if (!waiter.done()) waiter.setResult(undefined);
    return r;
  }, "127.0.0.1", 0);
  let taken = 0;
  function* next() {
    while (accepted.length <= taken) {
      yield* waiter;
      waiter = loop.createFuture<void>();
    }
    return accepted[taken++];
  }
  return { server, accepted, next };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("transports and protocols", () => {
  it("createConnection: connectionMade runs before it returns; extra info; lost exactly once", async () => {
    const { messages } = await runIo(function* () {
      const loop = getRunningLoop();
      const { server, next } = yield* recordingServer();
      const client = new Recorder();
      const [transport, protocol] = yield* loop.createConnection(() => client, "127.0.0.1", portOf(server));
      expect(protocol).toBe(client);
      expect(transport).toBeInstanceOf(StreamTransport);
      expect(client.record).toEqual(["made"]);
      expect(client.transport).toBe(transport);
      expect(transport.getExtraInfo("peername")).toEqual(["127.0.0.1", portOf(server)]);
      expect((transport.getExtraInfo("sockname") as [string, number])[0]).toBe("127.0.0.1");
      expect(transport.getExtraInfo("sslcontext")).toBeNull();
      expect(transport.getProtocol()).toBe(client);
      const peer = yield* next();
      transport.write(b("ping"));
      while (peer.received().length < 4) yield* sleep(0.001);
      expect(t(peer.received())).toBe("ping");
      transport.close();
      expect(transport.isClosing()).toBe(true);
      transport.close(); // harmless twice
      expect(yield* client.lost).toBeNull();
      expect(yield* peer.lost).toBeNull();
      expect(client.record).toEqual(["made", "lost"]);
      expect(peer.record).toEqual(["made", "data", "eof", "lost"]);
      server.close();
      yield* server.waitClosed();
    });
    expect(messages).toEqual([]);
  });

  it("write buffer limits: asyncio's defaults, validation, and getWriteBufferLimits as [low, high]", async () => {
    await runIo(function* () {
      const loop = getRunningLoop();
      const { server } = yield* recordingServer();
      const [tr] = yield* loop.createConnection(() => new Recorder(), "127.0.0.1", portOf(server));
      expect(tr.getWriteBufferLimits()).toEqual([16384, 65536]);
      tr.setWriteBufferLimits(1000);
      expect(tr.getWriteBufferLimits()).toEqual([250, 1000]);
      tr.setWriteBufferLimits(null, 100);
      expect(tr.getWriteBufferLimits()).toEqual([100, 400]);
      tr.setWriteBufferLimits(200, 100);
      expect(tr.getWriteBufferLimits()).toEqual([100, 200]);
      expect(() => tr.setWriteBufferLimits(100, 200)).toThrow(ValueError);
      expect(() => tr.setWriteBufferLimits(-1, -4)).toThrow(/must be >= 0/);
      expect(() => tr.setWriteBufferLimits("1" as never)).toThrow(TypeError);
      expect(tr.getWriteBufferLimits()).toEqual([100, 200]);
      tr.setWriteBufferLimits();
      expect(tr.getWriteBufferLimits()).toEqual([16384, 65536]);
      tr.close();
      server.close();
      server.closeClients();
      yield* server.waitClosed();
      while (openIo().length > 0) yield* sleep(0.001);
    });
  });

  it("pauseWriting past the high-water mark while the peer does not read; resumeWriting once it drains; bytes in order", async () => {
    const { messages } = await runIo(function* () {
      const loop = getRunningLoop();
      const { server, next } = yield* recordingServer();
      const client = new Recorder();
      const [tr] = yield* loop.createConnection(() => client, "127.0.0.1", portOf(server));
      const peer = yield* next();
      peer.transport!.pauseReading();
      expect(peer.transport!.isReading()).toBe(false);
      // write until the host's and the kernel's buffers are full and ours passes 64 KiB
      const sent: Uint8Array[] = [];
      let i = 0;
      while (!client.record.includes("pause")) {
        const chunk = new Uint8Array(64 * 1024).fill(i++ & 0xff);
        sent.push(chunk);
        tr.write(chunk);
        yield* sleep(0);
        if (i > 2000) throw new Error("pauseWriting never came");
      }
      expect(tr.getWriteBufferSize()).toBeGreaterThan(65536);
      const received = peer.received().length;
      yield* sleep(0.05);
      expect(peer.received().length).toBe(received); // paused: nothing more arrives
      peer.transport!.resumeReading();
      const total = sent.reduce((n, c) => n + c.length, 0);
      while (peer.received().length < total) yield* sleep(0.001);
      expect(client.record).toEqual(["made", "pause", "resume"]);
      expect(tr.getWriteBufferSize()).toBe(0);
      expect(peer.received()).toEqual(concat(sent));
      tr.close();
      yield* client.lost;
      server.close();
      yield* server.waitClosed();
    });
    expect(messages).toEqual([]);
  });

  it("eofReceived returning true keeps the connection half-open for writing; falsy closes it", async () => {
    await runIo(function* () {
      const loop = getRunningLoop();
      const { server, next } = yield* recordingServer();
      const client = new Recorder();
      const [tr] = yield* loop.createConnection(() => client, "127.0.0.1", portOf(server));
      const peer = yield* next();
      peer.keepOpenOnEof = true;
      tr.write(b("question"));
      expect(tr.canWriteEof()).toBe(true);
      tr.writeEof();
      tr.writeEof(); // harmless twice
      expect(() => tr.write(b("more"))).toThrow(RuntimeError);
      expect(() => tr.writelines([b("more")])).toThrow(/after writeEof/);
      while (!peer.record.includes("eof")) yield* sleep(0.001);
      expect(t(peer.received())).toBe("question");
      expect(peer.transport!.isClosing()).toBe(false);
      peer.transport!.write(b("answer after your EOF"));
      peer.transport!.close();
      // the client did not keep its end open: its eofReceived returned false, so it closes
      expect(yield* client.lost).toBeNull();
      expect(t(client.received())).toBe("answer after your EOF");
      expect(client.record).toEqual(["made", "data", "eof", "lost"]);
      yield* peer.lost;
      server.close();
      yield* server.waitClosed();
    });
  });

  it("abort drops what is buffered and ends with connectionLost(null)", async () => {
    await runIo(function* () {
      const loop = getRunningLoop();
      const { server, next } = yield* recordingServer();
      const client = new Recorder();
      const [tr] = yield* loop.createConnection(() => client, "127.0.0.1", portOf(server));
      const peer = yield* next();
      peer.transport!.pauseReading();
      for (let i = 0; i < 64; i++) tr.write(new Uint8Array(64 * 1024));
      expect(tr.getWriteBufferSize()).toBeGreaterThan(0);
      tr.abort();
      expect(tr.getWriteBufferSize()).toBe(0);
      expect(tr.isClosing()).toBe(true);
      tr.abort(); // harmless twice
      expect(yield* client.lost).toBeNull();
      peer.transport!.resumeReading();
      yield* peer.lost;
      expect(peer.received().length).toBeLessThan(64 * 64 * 1024);
      server.close();
      yield* server.waitClosed();
    });
  });

  it("writes after close are dropped; from the fifth on each is warned about, as asyncio logs", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await runIo(function* () {
      const loop = getRunningLoop();
      const { server, next } = yield* recordingServer();
      const client = new Recorder();
      const [tr] = yield* loop.createConnection(() => client, "127.0.0.1", portOf(server));
      const peer = yield* next();
      tr.write(b("before"));
      tr.close();
      for (let i = 0; i < 4; i++) tr.write(b("after"));
      expect(warn).not.toHaveBeenCalled();
      tr.write(b("after"));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/socket\.send\(\) raised exception/);
      expect(() => tr.write("text" as never)).toThrow(TypeError); // still a TypeError
      yield* client.lost;
      yield* peer.lost;
      expect(t(peer.received())).toBe("before");
      server.close();
      yield* server.waitClosed();
    });
  });

  it("write and writelines: bytes only (a string is a TypeError), empty writes are nothing, the caller's buffer may be reused", async () => {
    await runIo(function* () {
      const loop = getRunningLoop();
      const { server, next } = yield* recordingServer();
      const [tr] = yield* loop.createConnection(() => new Recorder(), "127.0.0.1", portOf(server));
      const peer = yield* next();
      expect(() => tr.write("hello" as never)).toThrow(/data must be bytes \(a Uint8Array\), got a string/);
      expect(() => tr.write(new ArrayBuffer(4) as never)).toThrow(TypeError);
      expect(() => tr.write(null as never)).toThrow(TypeError);
      expect(() => tr.writelines([b("ok"), "no" as never])).toThrow(/item 1/);
      expect(() => tr.writelines("abc" as never)).toThrow(TypeError);
      tr.write(new Uint8Array(0));
      tr.writelines([]);
      expect(tr.getWriteBufferSize()).toBe(0);
      const reused = b("AAAA");
      tr.write(reused);
      reused.fill(0x42); // "BBBB": must not change what was written
      tr.writelines([b("C"), Buffer.from("D")]);
      tr.close();
      yield* peer.lost;
      expect(t(peer.received())).toBe("AAAACD");
      server.close();
      yield* server.waitClosed();
    });
  });

  it("a protocol callback that raises: the exception handler hears it and the connection ends with that error", async () => {
    const { messages } = await runIo(function* () {
      const loop = getRunningLoop();
      const { server, next } = yield* recordingServer();
      class Boom extends Recorder {
        override dataReceived(): void {
          throw new Error("boom in dataReceived");
        }
      }
      const client = new Boom();
      const [tr] = yield* loop.createConnection(() => client, "127.0.0.1", portOf(server));
      const peer = yield* next();
      peer.transport!.write(b("x"));
      const exc = yield* client.lost;
      expect(exc?.message).toBe("boom in dataReceived");
      expect(tr.isClosing()).toBe(true);
      yield* peer.lost;
      server.close();
      yield* server.waitClosed();
    });
    expect(messages.map((m) => m.message)).toEqual(["Fatal error: protocol.dataReceived() call failed."]);
  });

  it("a factory that returns a non-protocol: TypeError at the yield*, nothing left open", async () => {
    await runIo(function* () {
      const loop = getRunningLoop();
      const { server } = yield* recordingServer();
      for (const bad of [null, 42, { dataReceived: "not a function" }]) {
        let err: unknown = null;
        try {
          yield* loop.createConnection(() => bad as never, "127.0.0.1", portOf(server));
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(TypeError);
      }
      server.close();
      server.abortClients();
      yield* server.waitClosed();
    });
  });

  it("bad arguments raise at the call, before anything is sent", async () => {
    await runIo(function* () {
      const loop = getRunningLoop();
      const make = () => ({});
      expect(() => loop.createConnection(null as never, "127.0.0.1", 80)).toThrow(/protocolFactory must be a function/);
      expect(() => loop.createConnection(make, "127.0.0.1", 70000)).toThrow("createConnection(protocolFactory, host, port): port must be an integer 0-65535, got 70000");
      expect(() => loop.createConnection(make, "127.0.0.1", 1.5)).toThrow(ValueError);
      expect(() => loop.createConnection(make, "127.0.0.1", NaN)).toThrow(ValueError);
      expect(() => loop.createConnection(make, null as never, 80)).toThrow(/host must be a string/);
      expect(() => loop.createConnection(make, "", 80)).toThrow(ValueError);
      expect(() => loop.createConnection(make, "127.0.0.1", 80, "opts" as never)).toThrow(TypeError);
      expect(() => loop.createUnixConnection(make, 3 as never)).toThrow(/path must be a string/);
      expect(() => loop.startTls({} as never, {}, true)).toThrow(/not supported by startTls/);
      expect(openIo()).toEqual([]);
    });
  });

  it("cancelling a connect in progress (a TLS handshake nobody answers) leaves nothing open", async () => {
    await runIo(function* () {
      const loop = getRunningLoop();
      const { server } = yield* recordingServer();
      const connecting = createTask(loop.createConnection(() => new Recorder(), "127.0.0.1", portOf(server), { ssl: { rejectUnauthorized: false } }));
      yield* sleep(0.05);
      expect(openIo().some((s) => s.startsWith("<connecting"))).toBe(true);
      connecting.cancel();
      try {
        yield* connecting;
      } catch {
        // cancelled
      }
      expect(openIo().filter((s) => s.startsWith("<connecting"))).toEqual([]);
      server.close();
      server.abortClients();
      yield* waitFor(server.waitClosed(), 5);
    });
  });

  it("closeForShutdown (what run() calls for what is still open): aborts and tells the protocol once", async () => {
    await runIo(function* () {
      const loop = getRunningLoop();
      const { server, next } = yield* recordingServer();
      const client = new Recorder();
      const [tr] = yield* loop.createConnection(() => client, "127.0.0.1", portOf(server));
      const peer = yield* next();
      (tr as StreamTransport).closeForShutdown();
      expect(client.record).toEqual(["made", "lost"]);
      expect(openIo()).not.toContain(String(tr));
      (tr as StreamTransport).closeForShutdown();
      expect(client.record).toEqual(["made", "lost"]);
      yield* peer.lost;
      (server as unknown as { closeForShutdown(): void }).closeForShutdown();
      expect(server.sockets).toEqual([]);
      yield* server.waitClosed();
    });
  });

  it("an OSError that ends a transport is not sent to the exception handler", async () => {
    const { messages } = await runIo(function* () {
      const loop = getRunningLoop();
      const { server, next } = yield* recordingServer();
      const client = new Recorder();
      const [tr] = yield* loop.createConnection(() => client, "127.0.0.1", portOf(server));
      const peer = yield* next();
      // the peer goes away with our data unread: its kernel resets the connection
      tr.write(new Uint8Array(1024));
      while (peer.received().length < 1024) yield* sleep(0.001);
      peer.transport!.pauseReading();
      // more than the host reads ahead while paused: unread bytes stay in the peer's kernel
      tr.write(new Uint8Array(1024 * 1024));
      yield* sleep(0.05);
      peer.transport!.abort();
      yield* peer.lost;
      for (let i = 0; i < 100 && !client.lost.done(); i++) {
        tr.write(new Uint8Array(1024));
        yield* sleep(0.005);
      }
      const exc = yield* client.lost;
      expect(exc).toBeInstanceOf(OSError);
      expect((exc as OSError).code).toMatch(/^(ECONNRESET|EPIPE)$/);
      server.close();
      yield* server.waitClosed();
    });
    expect(messages).toEqual([]);
  });

  it("a host without sockets: NotImplementedError at the call, naming the host and the feature", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      expect(() => loop.createConnection(() => ({}), "127.0.0.1", 80)).toThrow(NotImplementedError);
      expect(() => openConnection("127.0.0.1", 80)).toThrow(/TCP connections are not available on node/);
      expect(() => startServer(() => undefined, "127.0.0.1", 0)).toThrow(/TCP servers are not available/);
      expect(() => loop.createUnixServer(() => ({}), "/tmp/x.sock")).toThrow(/Unix sockets are not available/);
    }, { driver: new TimersDriver("node") });
  });

  it("runSync refuses to wait for a connection, and closing the loop drops the socket", () => {
    expect(() =>
      runSync(function* () {
        yield* openConnection("127.0.0.1", 1);
      }),
    ).toThrow(/runSync cannot wait for the host/);
  });

  it("a server on every interface (host null) is reached on 127.0.0.1", async () => {
    await runIo(function* () {
      const server = yield* startServer(function* (_r, w) {
        w.write(b("any"));
        w.close();
      }, null, 0);
      const [rd, wr] = yield* openConnection("127.0.0.1", portOf(server));
      expect(t(yield* rd.read())).toBe("any");
      wr.close();
      yield* wr.waitClosed();
      server.close();
      yield* server.waitClosed();
    });
  });
});
