// StreamReader, StreamWriter and the stream functions, ported from CPython 3.13's
// test_asyncio/test_streams.py: each test is named after the case it mirrors. The reader's
// own cases run under runSync (no host I/O, the virtual clock); the socket cases run on real
// sockets on 127.0.0.1 (port 0) and end with nothing left open.

import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConnectionRefusedError,
  ConnectionResetError,
  BrokenPipeError,
  ConnectionAbortedError,
  IncompleteReadError,
  LimitOverrunError,
  RuntimeError,
  StreamReader,
  StreamReaderProtocol,
  ValueError,
  createTask,
  gather,
  getRunningLoop,
  newEventLoop,
  openConnection,
  openUnixConnection,
  runSync,
  setEventLoop,
  sleep,
  startServer,
  startUnixServer,
  wait,
  type Server,
  type StreamWriter,
} from "../../src/index.ts";
import { CORES } from "../helpers.ts";
import { b, concat, expectNothingOpen, openIo, portOf, runIo, t } from "./stream-helpers.ts";

const DATA = b("line1\nline2\nline3\n");

/** asyncio's test HTTP server, reduced: answers any request line with a fixed response. */
function* httpServer(): Generator<unknown, Server, unknown> {
  return yield* startServer(function* (reader, writer) {
    try {
      yield* reader.readuntil(b("\r\n\r\n"));
    } catch (e) {
      if (!(e instanceof IncompleteReadError)) throw e;
      writer.close(); // the client left without a request
      return;
    }
    writer.write(b("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nTest message"));
    yield* writer.drain();
    writer.close();
    yield* writer.waitClosed();
  }, "127.0.0.1", 0);
}

describe.each(CORES)("StreamReader (%s core)", (core) => {
  const sync = <T>(main: () => Generator<unknown, T, unknown>) => runSync(main, { core });

  it("test_feed_empty_data", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b(""));
      expect(stream._buffered).toEqual(b(""));
    });
  });

  it("test_feed_nonempty_data", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(DATA);
      expect(stream._buffered).toEqual(DATA);
    });
  });

  it("test_read_zero", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(DATA);
      expect(yield* stream.read(0)).toEqual(b(""));
      expect(stream._buffered).toEqual(DATA);
    });
  });

  it("test_read", () => {
    sync(function* () {
      const stream = new StreamReader();
      const readTask = createTask(stream.read(30));
      getRunningLoop().callSoon(() => stream.feedData(DATA));
      expect(yield* readTask).toEqual(DATA);
      expect(stream._buffered).toEqual(b(""));
    });
  });

  it("test_read_line_breaks", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b("line1"));
      stream.feedData(b("line2"));
      expect(t(yield* stream.read(5))).toBe("line1");
      expect(t(stream._buffered)).toBe("line2");
    });
  });

  it("test_read_eof", () => {
    sync(function* () {
      const stream = new StreamReader();
      const readTask = createTask(stream.read(1024));
      getRunningLoop().callSoon(() => stream.feedEof());
      const data = yield* readTask;
      expect(data).toBeInstanceOf(Uint8Array);
      expect(data.length).toBe(0);
    });
  });

  it("test_read_until_eof", () => {
    sync(function* () {
      const stream = new StreamReader();
      const readTask = createTask(stream.read(-1));
      getRunningLoop().callSoon(() => {
        stream.feedData(b("chunk1\n"));
        stream.feedData(b("chunk2"));
        stream.feedEof();
      });
      expect(t(yield* readTask)).toBe("chunk1\nchunk2");
      expect(stream._buffered.length).toBe(0);
    });
  });

  it("test_read_exception", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b("line\n"));
      expect(t(yield* stream.read(2))).toBe("li");
      stream.setException(new ValueError());
      yield* expectRaises(stream.read(2), ValueError);
    });
  });

  it("test_invalid_limit", () => {
    sync(function* () {
      expect(() => new StreamReader({ limit: 0 })).toThrow(ValueError);
      expect(() => new StreamReader({ limit: -1 })).toThrow(/imit/);
      expect(() => new StreamReader({ limit: "3" as never })).toThrow(TypeError);
    });
  });

  it("test_read_limit", () => {
    sync(function* () {
      const stream = new StreamReader({ limit: 3 });
      stream.feedData(b("chunk"));
      expect(t(yield* stream.read(5))).toBe("chunk");
      expect(stream._buffered.length).toBe(0);
    });
  });

  it("test_readline", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b("chunk1 "));
      const readTask = createTask(stream.readline());
      getRunningLoop().callSoon(() => {
        stream.feedData(b("chunk2 "));
        stream.feedData(b("chunk3 "));
        stream.feedData(b("\n chunk4"));
      });
      expect(t(yield* readTask)).toBe("chunk1 chunk2 chunk3 \n");
      expect(t(stream._buffered)).toBe(" chunk4");
    });
  });

  it("test_readline_limit_with_existing_data", () => {
    sync(function* () {
      let stream = new StreamReader({ limit: 3 });
      stream.feedData(b("li"));
      stream.feedData(b("ne1\nline2\n"));
      yield* expectRaises(stream.readline(), ValueError);
      // the line over the limit is dropped, the rest stays
      expect(t(stream._buffered)).toBe("line2\n");

      stream = new StreamReader({ limit: 3 });
      stream.feedData(b("li"));
      stream.feedData(b("ne1"));
      stream.feedData(b("li"));
      yield* expectRaises(stream.readline(), ValueError);
      // no newline: the whole buffer, over the limit, is dropped
      expect(stream._buffered.length).toBe(0);
    });
  });

  it("test_at_eof", () => {
    sync(function* () {
      const stream = new StreamReader();
      expect(stream.atEof()).toBe(false);
      stream.feedData(b("some data\n"));
      expect(stream.atEof()).toBe(false);
      yield* stream.readline();
      expect(stream.atEof()).toBe(false);
      stream.feedData(b("some data\n"));
      stream.feedEof();
      yield* stream.readline();
      expect(stream.atEof()).toBe(true);
    });
  });

  it("test_readline_limit", () => {
    sync(function* () {
      const loop = getRunningLoop();
      let stream = new StreamReader({ limit: 7 });
      let s = stream;
      loop.callSoon(() => {
        s.feedData(b("chunk1"));
        s.feedData(b("chunk2"));
        s.feedData(b("chunk3\n"));
        s.feedEof();
      });
      yield* expectRaises(stream.readline(), ValueError);
      expect(stream._buffered.length).toBe(0);

      stream = s = new StreamReader({ limit: 7 });
      loop.callSoon(() => {
        s.feedData(b("chunk1"));
        s.feedData(b("chunk2\n"));
        s.feedData(b("chunk3\n"));
        s.feedEof();
      });
      yield* expectRaises(stream.readline(), ValueError);
      expect(t(stream._buffered)).toBe("chunk3\n");

      // the limit is strict
      stream = new StreamReader({ limit: 7 });
      stream.feedData(b("1234567\n"));
      expect(t(yield* stream.readline())).toBe("1234567\n");
      expect(stream._buffered.length).toBe(0);

      stream.feedData(b("12345678\n"));
      yield* expectRaises(stream.readline(), ValueError);
      expect(stream._buffered.length).toBe(0);

      stream.feedData(b("12345678"));
      yield* expectRaises(stream.readline(), ValueError);
      expect(stream._buffered.length).toBe(0);
    });
  });

  it("test_readline_nolimit_nowait", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(DATA.subarray(0, 6));
      stream.feedData(DATA.subarray(6));
      expect(t(yield* stream.readline())).toBe("line1\n");
      expect(t(stream._buffered)).toBe("line2\nline3\n");
    });
  });

  it("test_readline_eof", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b("some data"));
      stream.feedEof();
      expect(t(yield* stream.readline())).toBe("some data");
    });
  });

  it("test_readline_empty_eof", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedEof();
      const line = yield* stream.readline();
      expect(line).toBeInstanceOf(Uint8Array);
      expect(line.length).toBe(0);
    });
  });

  it("test_readline_read_byte_count", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(DATA);
      yield* stream.readline();
      expect(t(yield* stream.read(7))).toBe("line2\nl");
      expect(t(stream._buffered)).toBe("ine3\n");
    });
  });

  it("test_readline_exception", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b("line\n"));
      expect(t(yield* stream.readline())).toBe("line\n");
      stream.setException(new ValueError());
      yield* expectRaises(stream.readline(), ValueError);
      expect(stream._buffered.length).toBe(0);
    });
  });

  it("test_readuntil_separator (at the call)", () => {
    sync(function* () {
      const stream = new StreamReader();
      expect(() => stream.readuntil(b(""))).toThrow(/Separator should be at least one-byte string/);
      expect(() => stream.readuntil([b("")])).toThrow(/Separator should be at least one-byte string/);
      expect(() => stream.readuntil([])).toThrow(/Separator should contain at least one element/);
      expect(() => stream.readuntil("\n" as never)).toThrow(TypeError);
      expect(() => stream.readuntil([b("a"), "b" as never])).toThrow(TypeError);
    });
  });

  it("test_readuntil_multi_chunks", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b("lineAAA"));
      expect(t(yield* stream.readuntil(b("AAA")))).toBe("lineAAA");
      expect(stream._buffered.length).toBe(0);

      stream.feedData(b("lineAAA"));
      expect(t(yield* stream.readuntil(b("AAA")))).toBe("lineAAA");
      expect(stream._buffered.length).toBe(0);

      stream.feedData(b("lineAAAxxx"));
      expect(t(yield* stream.readuntil(b("AAA")))).toBe("lineAAA");
      expect(t(stream._buffered)).toBe("xxx");
    });
  });

  it("test_readuntil_multi_chunks_1", () => {
    sync(function* () {
      const stream = new StreamReader();
      const cases: [string[], string][] = [
        [["QWEaa", "XYaa", "a"], "QWEaaXYaaa"],
        [["QWEaa", "XYa", "aa"], "QWEaaXYaaa"],
        [["aaa"], "aaa"],
        [["Xaaa"], "Xaaa"],
        [["XXX", "a", "a", "a"], "XXXaaa"],
      ];
      for (const [chunks, expected] of cases) {
        for (const c of chunks) stream.feedData(b(c));
        expect(t(yield* stream.readuntil(b("aaa")))).toBe(expected);
        expect(stream._buffered.length).toBe(0);
      }
    });
  });

  it("test_readuntil_eof", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b("some dataAA"));
      stream.feedEof();
      const err = yield* expectRaises(stream.readuntil(b("AAA")), IncompleteReadError, /undefined expected bytes/);
      expect(t(err.partial)).toBe("some dataAA");
      expect(err.expected).toBeNull();
      expect(stream._buffered.length).toBe(0);
    });
  });

  it("test_readuntil_limit_found_sep", () => {
    sync(function* () {
      const stream = new StreamReader({ limit: 3 });
      stream.feedData(b("some dataAA"));
      yield* expectRaises(stream.readuntil(b("AAA")), LimitOverrunError, /not found/);
      expect(t(stream._buffered)).toBe("some dataAA");
      stream.feedData(b("A"));
      yield* expectRaises(stream.readuntil(b("AAA")), LimitOverrunError, /is found/);
      expect(t(stream._buffered)).toBe("some dataAAA");
    });
  });

  it("test_readuntil_multi_separator", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b("line 1\nline 2\r"));
      expect(t(yield* stream.readuntil([b("\r"), b("\n")]))).toBe("line 1\n");
      expect(t(yield* stream.readuntil([b("\r"), b("\n")]))).toBe("line 2\r");
      expect(stream._buffered.length).toBe(0);
      // the first end position wins, even for the longer separator
      stream.feedData(b("ABCDEFG"));
      expect(t(yield* stream.readuntil([b("DEF"), b("BCDE")]))).toBe("ABCDE");
      expect(t(stream._buffered)).toBe("FG");
    });
  });

  it("test_readuntil_multi_separator_limit", () => {
    sync(function* () {
      const stream = new StreamReader({ limit: 3 });
      stream.feedData(b("some dataA"));
      yield* expectRaises(stream.readuntil([b("A"), b("ome dataA")]), LimitOverrunError, /is found/);
      expect(t(stream._buffered)).toBe("some dataA");
    });
  });

  it("test_readuntil_multi_separator_negative_offset", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b("data"));
      const task = createTask(stream.readuntil([b("A"), b("long sep")]));
      const loop = getRunningLoop();
      loop.callSoon(() => stream.feedData(b("Z")));
      loop.callSoon(() => stream.feedData(b("Aaaa")));
      expect(t(yield* task)).toBe("dataZA");
      expect(t(stream._buffered)).toBe("aaa");
    });
  });

  it("test_readuntil_bytearray (a Buffer separator)", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b("some data\r\n"));
      expect(t(yield* stream.readuntil(Buffer.from("\r\n")))).toBe("some data\r\n");
      expect(stream._buffered.length).toBe(0);
    });
  });

  it("test_readexactly_zero_or_less", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(DATA);
      expect((yield* stream.readexactly(0)).length).toBe(0);
      expect(stream._buffered).toEqual(DATA);
      expect(() => stream.readexactly(-1)).toThrow(/less than zero/);
      expect(() => stream.readexactly(1.5)).toThrow(TypeError);
      expect(stream._buffered).toEqual(DATA);
    });
  });

  it("test_readexactly", () => {
    sync(function* () {
      const stream = new StreamReader();
      const n = 2 * DATA.length;
      const task = createTask(stream.readexactly(n));
      getRunningLoop().callSoon(() => {
        stream.feedData(DATA);
        stream.feedData(DATA);
        stream.feedData(DATA);
      });
      expect(yield* task).toEqual(concat([DATA, DATA]));
      expect(stream._buffered).toEqual(DATA);
    });
  });

  it("test_readexactly_limit", () => {
    sync(function* () {
      const stream = new StreamReader({ limit: 3 });
      stream.feedData(b("chunk"));
      expect(t(yield* stream.readexactly(5))).toBe("chunk");
      expect(stream._buffered.length).toBe(0);
    });
  });

  it("test_readexactly_eof", () => {
    sync(function* () {
      const stream = new StreamReader();
      const n = 2 * DATA.length;
      const task = createTask(stream.readexactly(n));
      getRunningLoop().callSoon(() => {
        stream.feedData(DATA);
        stream.feedEof();
      });
      const err = yield* expectRaises(task, IncompleteReadError);
      expect(err.partial).toEqual(DATA);
      expect(err.expected).toBe(n);
      expect(err.message).toBe("18 bytes read on a total of 36 expected bytes");
      expect(stream._buffered.length).toBe(0);
    });
  });

  it("test_readexactly_exception", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(b("line\n"));
      expect(t(yield* stream.readexactly(2))).toBe("li");
      stream.setException(new ValueError());
      yield* expectRaises(stream.readexactly(2), ValueError);
    });
  });

  it("test_exception", () => {
    sync(function* () {
      const stream = new StreamReader();
      expect(stream.exception()).toBeNull();
      const exc = new ValueError();
      stream.setException(exc);
      expect(stream.exception()).toBe(exc);
    });
  });

  it("test_exception_waiter", () => {
    sync(function* () {
      const stream = new StreamReader();
      const t1 = createTask(stream.readline());
      const t2 = createTask((function* () {
        stream.setException(new ValueError());
      })());
      yield* wait([t1, t2]);
      expect(() => t1.result()).toThrow(ValueError);
    });
  });

  it("test_exception_cancel", () => {
    sync(function* () {
      const stream = new StreamReader();
      const task = createTask(stream.readline());
      yield* sleep(0);
      task.cancel();
      yield* sleep(0);
      // fails if setException is not careful with a cancelled waiter
      stream.setException(new RuntimeError("message"));
      yield* sleep(0);
      expect(String(stream)).not.toContain("waiter");
    });
  });

  it("two readers at once: the second raises RuntimeError", () => {
    sync(function* () {
      const stream = new StreamReader();
      const first = createTask(stream.read(1));
      yield* sleep(0);
      yield* expectRaises(stream.readline(), RuntimeError, /already waiting for incoming data/);
      stream.feedData(b("x"));
      expect(t(yield* first)).toBe("x");
    });
  });

  it("bad arguments raise at the call and leave the buffer alone", () => {
    sync(function* () {
      const stream = new StreamReader();
      stream.feedData(DATA);
      expect(() => stream.read("1" as never)).toThrow(TypeError);
      expect(() => stream.feedData("text" as never)).toThrow(TypeError);
      expect(stream._buffered).toEqual(DATA);
      stream.feedEof();
      expect(() => stream.feedData(b("x"))).toThrow(RuntimeError);
    });
  });

  it("test_streamreader_constructor_use_running_loop", () => {
    sync(function* () {
      const reader = new StreamReader();
      expect(reader._loop).toBe(getRunningLoop());
    });
  });

  it("test_streamreader_constructor_use_global_loop and test_streamreaderprotocol_constructor_use_global_loop", () => {
    const loop = newEventLoop({ core, clock: "virtual" });
    setEventLoop(loop);
    try {
      expect(new StreamReader()._loop).toBe(loop);
      expect(new StreamReaderProtocol(new StreamReader())._loop).toBe(loop);
    } finally {
      setEventLoop(null);
      loop.close();
    }
  });

  it("test_streamreaderprotocol_constructor_use_running_loop", () => {
    sync(function* () {
      const protocol = new StreamReaderProtocol(new StreamReader());
      expect(protocol._loop).toBe(getRunningLoop());
    });
  });

  it("test_multiple_drain", () => {
    sync(function* () {
      const protocol = new StreamReaderProtocol(null);
      let drained = 0;
      function* drainer() {
        yield* protocol._drainHelper();
        drained++;
      }
      protocol.pauseWriting();
      getRunningLoop().callLater(0.1, () => protocol.resumeWriting());
      yield* gather(...Array.from({ length: 10 }, () => drainer()));
      expect(drained).toBe(10);
    });
  });

  it("test___repr__ (toString)", () => {
    sync(function* () {
      expect(String(new StreamReader())).toBe("<StreamReader>");
      expect(String(new StreamReader({ limit: 123 }))).toBe("<StreamReader limit=123>");
      const eof = new StreamReader();
      eof.feedEof();
      expect(String(eof)).toBe("<StreamReader eof>");
      const data = new StreamReader();
      data.feedData(b("data"));
      expect(String(data)).toBe("<StreamReader 4 bytes>");
      const exc = new StreamReader();
      exc.setException(new RuntimeError());
      expect(String(exc)).toBe("<StreamReader exception=RuntimeError>");
    });
  });

  it("test_IncompleteReadError and test_LimitOverrunError fields", () => {
    const e = new IncompleteReadError(b("abc"), 10);
    expect(t(e.partial)).toBe("abc");
    expect(e.expected).toBe(10);
    const l = new LimitOverrunError("message", 10);
    expect(l.consumed).toBe(10);
  });
});

/** Drive `aw` and return the error it raised, checking its class (and message). */
function* expectRaises<E>(aw: Iterable<unknown> & object, cls: abstract new (...args: never[]) => E, message?: RegExp): Generator<unknown, E, unknown> {
  try {
    yield* aw as Generator<unknown, unknown, unknown>;
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    if (message !== undefined) expect((e as Error).message).toMatch(message);
    return e as E;
  }
  throw new Error(`expected ${cls.name}, nothing was raised`);
}

describe("streams over sockets", () => {
  function* basetestOpenConnection(reader: StreamReader, writer: StreamWriter) {
    writer.write(b("GET / HTTP/1.0\r\n\r\n"));
    expect(t(yield* reader.readline())).toBe("HTTP/1.0 200 OK\r\n");
    const data = yield* reader.read();
    expect(t(data).endsWith("\r\n\r\nTest message")).toBe(true);
    writer.close();
    yield* writer.waitClosed();
  }

  it("test_open_connection", async () => {
    const { messages } = await runIo(function* () {
      const httpd = yield* httpServer();
      const [reader, writer] = yield* openConnection("127.0.0.1", portOf(httpd));
      yield* basetestOpenConnection(reader, writer);
      httpd.close();
      yield* httpd.waitClosed();
    });
    expect(messages).toEqual([]);
  });

  it("test_open_unix_connection", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasyncio-"));
    try {
      const path = join(dir, "sock");
      const { messages } = await runIo(function* () {
        const httpd = yield* startUnixServer(function* (reader, writer) {
          yield* reader.readuntil(b("\r\n\r\n"));
          writer.write(b("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nTest message"));
          writer.close();
        }, path);
        expect(httpd.sockets[0].getsockname()).toBe(path);
        const [reader, writer] = yield* openUnixConnection(path);
        expect(writer.getExtraInfo("peername")).toBe(path);
        yield* basetestOpenConnection(reader, writer);
        httpd.close();
        yield* httpd.waitClosed();
      });
      expect(messages).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("test_open_connection_error", async () => {
    const { messages } = await runIo(function* () {
      const httpd = yield* httpServer();
      const [reader, writer] = yield* openConnection("127.0.0.1", portOf(httpd));
      class ZeroDivisionError extends Error {}
      (writer.transport.getProtocol() as StreamReaderProtocol).connectionLost(new ZeroDivisionError());
      yield* expectRaises(reader.read(), ZeroDivisionError);
      writer.close();
      yield* sleep(0.05);
      httpd.close();
      httpd.abortClients();
      yield* httpd.waitClosed();
      // the transport ends when the host says so; the protocol was told already
      while (openIo().length > 0) yield* sleep(0.01);
    });
    expect(messages).toEqual([]);
  });

  it("ConnectionRefusedError at the yield*, with nothing left open", async () => {
    await runIo(function* () {
      // a port that was just free: bind, note it, close
      const probe = yield* startServer(() => undefined, "127.0.0.1", 0);
      const port = portOf(probe);
      probe.close();
      yield* probe.waitClosed();
      const err = yield* expectRaises(openConnection("127.0.0.1", port), ConnectionRefusedError);
      expect(err.code).toBe("ECONNREFUSED");
      expect(err.message).toContain(`127.0.0.1:${port}`);
    });
  });

  it("test_start_server (a function* handler and a plain callback)", async () => {
    const { messages } = await runIo(function* () {
      function* handleClient(reader: StreamReader, writer: StreamWriter) {
        const data = yield* reader.readline();
        writer.write(data);
        yield* writer.drain();
        writer.close();
        yield* writer.waitClosed();
      }
      function* client(port: number) {
        const [reader, writer] = yield* openConnection("127.0.0.1", port);
        writer.write(b("hello world!\n"));
        const msgback = yield* reader.readline();
        writer.close();
        yield* writer.waitClosed();
        return t(msgback);
      }
      for (const handler of [
        handleClient,
        (reader: StreamReader, writer: StreamWriter) => void createTask(handleClient(reader, writer)),
      ]) {
        const server = yield* startServer(handler, "127.0.0.1", 0);
        expect(yield* client(portOf(server))).toBe("hello world!\n");
        server.close();
        yield* server.waitClosed();
      }
    });
    expect(messages).toEqual([]);
  });

  it("test_start_unix_server", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasyncio-"));
    try {
      const path = join(dir, "sock");
      const { messages } = await runIo(function* () {
        const server = yield* startUnixServer(function* (reader, writer) {
          writer.write(yield* reader.readline());
          yield* writer.drain();
          writer.close();
          yield* writer.waitClosed();
        }, path);
        const [reader, writer] = yield* openUnixConnection(path);
        writer.write(b("hello world!\n"));
        expect(t(yield* reader.readline())).toBe("hello world!\n");
        writer.close();
        yield* writer.waitClosed();
        server.close();
        yield* server.waitClosed();
      });
      expect(messages).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("test_drain_raises: a peer that closes makes drain() raise, never spin", async () => {
    const { messages } = await runIo(function* () {
      // the server accepts and closes at once
      const server = yield* getRunningLoop().createServer(() => ({ connectionMade: (tr) => tr.close() }), "127.0.0.1", 0);
      const [, writer] = yield* openConnection("127.0.0.1", portOf(server));
      let writes = 0;
      const err = yield* expectRaises(
        (function* () {
          for (;;) {
            writer.write(b("foo\n"));
            writes++;
            yield* writer.drain();
          }
        })(),
        Error,
      );
      expect([ConnectionResetError, ConnectionAbortedError, BrokenPipeError].some((c) => err instanceof c)).toBe(true);
      expect(writes).toBeGreaterThan(0);
      server.close();
      yield* server.waitClosed();
    });
    expect(messages).toEqual([]);
  });

  it("test_wait_closed_on_close", async () => {
    await runIo(function* () {
      const httpd = yield* httpServer();
      const [rd, wr] = yield* openConnection("127.0.0.1", portOf(httpd));
      wr.write(b("GET / HTTP/1.0\r\n\r\n"));
      expect(t(yield* rd.readline())).toBe("HTTP/1.0 200 OK\r\n");
      expect(t(yield* rd.read()).endsWith("\r\n\r\nTest message")).toBe(true);
      expect(wr.isClosing()).toBe(false);
      wr.close();
      expect(wr.isClosing()).toBe(true);
      yield* wr.waitClosed();
      httpd.close();
      yield* httpd.waitClosed();
    });
  });

  it("test_wait_closed_on_close_with_unread_data", async () => {
    await runIo(function* () {
      const httpd = yield* httpServer();
      const [rd, wr] = yield* openConnection("127.0.0.1", portOf(httpd));
      wr.write(b("GET / HTTP/1.0\r\n\r\n"));
      expect(t(yield* rd.readline())).toBe("HTTP/1.0 200 OK\r\n");
      wr.close();
      yield* wr.waitClosed();
      httpd.close();
      yield* httpd.waitClosed();
    });
  });

  it("test_async_writer_api_exception_after_close", async () => {
    const { messages } = await runIo(function* () {
      const httpd = yield* httpServer();
      const [rd, wr] = yield* openConnection("127.0.0.1", portOf(httpd));
      wr.write(b("GET / HTTP/1.0\r\n\r\n"));
      expect(t(yield* rd.readline())).toBe("HTTP/1.0 200 OK\r\n");
      expect(t(yield* rd.read()).endsWith("\r\n\r\nTest message")).toBe(true);
      wr.close();
      wr.write(b("data")); // dropped: the transport is closing
      yield* expectRaises(wr.drain(), ConnectionResetError);
      httpd.close();
      yield* httpd.waitClosed();
    });
    expect(messages).toEqual([]);
  });

  it("test_eof_feed_when_closing_writer", async () => {
    const { messages } = await runIo(function* () {
      const httpd = yield* httpServer();
      const [rd, wr] = yield* openConnection("127.0.0.1", portOf(httpd));
      wr.close();
      yield* wr.waitClosed();
      expect(rd.atEof()).toBe(true);
      expect((yield* rd.read()).length).toBe(0);
      httpd.close();
      yield* httpd.waitClosed();
    });
    expect(messages).toEqual([]);
  });

  function* basetestUnhandledExceptions(handleEcho: (r: StreamReader, w: StreamWriter) => Generator<unknown, void, unknown>) {
    const server = yield* startServer(handleEcho, "127.0.0.1", 0);
    yield* server.startServing();
    const [, wr] = yield* openConnection("127.0.0.1", portOf(server));
    wr.write(b("test msg"));
    yield* wr.drain();
    wr.close();
    yield* wr.waitClosed();
    server.close();
    yield* server.waitClosed();
  }

  it("test_unhandled_exception", async () => {
    const { messages } = await runIo(function* () {
      yield* basetestUnhandledExceptions(function* () {
        throw new Error("test");
      });
    });
    expect(messages[0].message).toBe("Unhandled exception in client_connected_cb");
    expect((messages[0].exception as Error).message).toBe("test");
  });

  it("test_unhandled_exception from a plain (not function*) callback: reported, that connection closed", async () => {
    const { messages } = await runIo(function* () {
      const server = yield* startServer(() => {
        throw new Error("plain");
      }, "127.0.0.1", 0);
      const [rd, wr] = yield* openConnection("127.0.0.1", portOf(server));
      expect((yield* rd.read()).length).toBe(0);
      wr.close();
      yield* wr.waitClosed();
      server.close();
      yield* server.waitClosed();
    });
    expect(messages.map((m) => m.message)).toEqual(["Unhandled exception in client_connected_cb"]);
  });

  it("test_unhandled_cancel", async () => {
    const { messages } = await runIo(function* () {
      yield* basetestUnhandledExceptions(function* (_r, writer) {
        writer.close();
        getRunningLoop()._currentTask!.cancel();
        yield* sleep(0);
      });
    });
    expect(messages).toEqual([]);
  });

  it("read() and readline() at EOF return an empty Uint8Array; readexactly raises IncompleteReadError", async () => {
    await runIo(function* () {
      const server = yield* startServer(function* (_r, writer) {
        writer.write(b("partial"));
        writer.close();
      }, "127.0.0.1", 0);
      const [reader, writer] = yield* openConnection("127.0.0.1", portOf(server));
      const err = yield* expectRaises(reader.readexactly(100), IncompleteReadError);
      expect(t(err.partial)).toBe("partial");
      expect(err.expected).toBe(100);
      expect((yield* reader.read()).length).toBe(0);
      expect((yield* reader.readline()).length).toBe(0);
      expect(reader.atEof()).toBe(true);
      writer.close();
      yield* writer.waitClosed();
      server.close();
      yield* server.waitClosed();
    });
  });

  it("writeEof half-closes: the server reads to EOF and still answers", async () => {
    await runIo(function* () {
      const server = yield* startServer(function* (reader, writer) {
        const all = yield* reader.read();
        writer.write(b(`got ${all.length} bytes`));
        yield* writer.drain();
        writer.close();
        yield* writer.waitClosed();
      }, "127.0.0.1", 0);
      const [reader, writer] = yield* openConnection("127.0.0.1", portOf(server));
      expect(writer.canWriteEof()).toBe(true);
      writer.write(new Uint8Array(100_000).fill(7));
      writer.writeEof();
      expect(() => writer.write(b("late"))).toThrow(/after writeEof/);
      expect(t(yield* reader.read())).toBe("got 100000 bytes");
      writer.close();
      yield* writer.waitClosed();
      server.close();
      yield* server.waitClosed();
    });
  });

  it("back-pressure: a reader past 2 × limit pauses its transport, and resumes it once drained", async () => {
    await runIo(function* () {
      const limit = 1024;
      const sent = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
      const server = yield* startServer(function* (_r, writer) {
        writer.write(sent);
        yield* writer.drain();
        writer.close();
      }, "127.0.0.1", 0);
      const [reader, writer] = yield* openConnection("127.0.0.1", portOf(server), { limit });
      while (reader._buffered.length <= 2 * limit) yield* sleep(0.001);
      expect(writer.transport.isReading()).toBe(false);
      const got = [yield* reader.read(limit)];
      // still over the limit: stays paused until the buffer is back to `limit`
      while (reader._buffered.length > limit) got.push(yield* reader.read(limit));
      expect(writer.transport.isReading()).toBe(true);
      got.push(yield* reader.read());
      expect(concat(got)).toEqual(sent);
      writer.close();
      yield* writer.waitClosed();
      server.close();
      yield* server.waitClosed();
    });
  });

  it("bad arguments raise at the call: host, port, limit, options, callback", async () => {
    await runIo(function* () {
      expect(() => openConnection("127.0.0.1", 70000)).toThrow("openConnection(host, port): port must be an integer 0-65535, got 70000");
      expect(() => openConnection("127.0.0.1", 80.5)).toThrow(ValueError);
      expect(() => openConnection("127.0.0.1", "80" as never)).toThrow(TypeError);
      expect(() => openConnection(1234 as never, 80)).toThrow(/host must be a string/);
      expect(() => openConnection("127.0.0.1", 80, { limit: -1 })).toThrow(ValueError);
      expect(() => openConnection("127.0.0.1", 80, { limit: 0 })).toThrow(/Limit cannot be <= 0/);
      expect(() => openConnection("127.0.0.1", 80, { bogus: 1 } as never)).toThrow(/unknown option 'bogus'/);
      expect(() => openConnection("127.0.0.1", 80, { serverHostname: "x" })).toThrow(/only meaningful with ssl/);
      expect(() => openConnection("127.0.0.1", 80, { localAddr: ["127.0.0.1", -1] })).toThrow(/localAddr/);
      expect(() => startServer("nope" as never, "127.0.0.1", 0)).toThrow(/clientConnected must be a function/);
      expect(() => startServer(() => undefined, "127.0.0.1", -5)).toThrow(/port must be an integer/);
      expect(() => startServer(() => undefined, 5 as never, 0)).toThrow(/host must be a string or null/);
      expect(() => startServer(() => undefined, "127.0.0.1", 0, { backlog: -1 })).toThrow(ValueError);
      expect(() => openUnixConnection("")).toThrow(/path must not be empty/);
      expectNothingOpen();
    });
  });

  it("localAddr binds the client's end", async () => {
    await runIo(function* () {
      const server = yield* startServer(function* (_r, writer) {
        writer.write(b(JSON.stringify(writer.getExtraInfo("peername"))));
        writer.close();
      }, "127.0.0.1", 0);
      const [reader, writer] = yield* openConnection("127.0.0.1", portOf(server), { localAddr: ["127.0.0.1", 0] });
      const sockname = writer.getExtraInfo("sockname") as [string, number];
      expect(sockname[0]).toBe("127.0.0.1");
      expect(JSON.parse(t(yield* reader.read()))).toEqual(sockname);
      expect(writer.getExtraInfo("peername")).toEqual(["127.0.0.1", portOf(server)]);
      expect(writer.getExtraInfo("nonexistent", "dflt")).toBe("dflt");
      expect(writer.getExtraInfo("socket")).not.toBeNull();
      writer.close();
      yield* writer.waitClosed();
      server.close();
      yield* server.waitClosed();
    });
  });
});
