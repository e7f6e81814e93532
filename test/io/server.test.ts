// Servers, ported from CPython 3.13's test_asyncio/test_server.py (each test named after the
// case it mirrors), plus the Server API around them: sockets, serveForever, startServing,
// closeClients/abortClients, waitClosed's 3.12.1 rule, Unix socket files, bind errors, and
// protocol factories that fail. Real sockets on 127.0.0.1, port 0; nothing left open.

import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CancelledError,
  OSError,
  RuntimeError,
  Server,
  createTask,
  getRunningLoop,
  openConnection,
  openUnixConnection,
  sleep,
  startServer,
  startUnixServer,
  waitFor,
  type Protocol,
  type StreamReader,
  type StreamWriter,
  type Task,
  type Transport,
} from "../../src/index.ts";
import { CORES } from "../helpers.ts";
import { b, openIo, portOf, runIo, t } from "./stream-helpers.ts";

const HELLO_MSG = b("1".repeat(1024 * 5) + "\n");

function tempDir(): { path: (name: string) => string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "wasyncio-srv-"));
  return { path: (name) => join(dir, name), done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A handler that reads to EOF, then closes (test_server.py's `serve`). */
function* serveUntilEof(rd: StreamReader, wr: StreamWriter) {
  try {
    yield* rd.read();
  } finally {
    wr.close();
    yield* wr.waitClosed();
  }
}

describe.each(CORES)("Server (%s core)", (core) => {
  it("test_start_server_1", async () => {
    const { messages } = await runIo(function* () {
      let mainTask: Task<unknown> | null = null;
      function* serve(reader: StreamReader, writer: StreamWriter) {
        yield* reader.readline();
        mainTask!.cancel();
        writer.write(b("1"));
        writer.close();
        yield* writer.waitClosed();
      }
      const srv = yield* startServer(serve, "127.0.0.1", 0, { startServing: false });
      expect(srv.isServing()).toBe(false);
      mainTask = createTask(srv.serveForever());
      const addr = srv.sockets[0].getsockname() as [string, number];
      const client = createTask(
        (function* () {
          const [reader, writer] = yield* openConnection(addr[0], addr[1]);
          writer.write(HELLO_MSG);
          const got = yield* reader.readexactly(1);
          writer.close();
          yield* writer.waitClosed();
          return t(got);
        })(),
      );
      let cancelled = false;
      try {
        yield* mainTask;
      } catch (e) {
        cancelled = e instanceof CancelledError;
      }
      expect(cancelled).toBe(true);
      expect(yield* client).toBe("1");
      expect(srv.sockets).toEqual([]);
      expect(srv.isServing()).toBe(false);
      expect(() => srv.serveForever().next()).toThrow(/is closed/);
    }, { core });
    expect(messages).toEqual([]);
  });

  it("test_start_unix_server_1", async () => {
    const tmp = tempDir();
    try {
      const addr = tmp.path("srv.sock");
      await runIo(function* () {
        let mainTask: Task<unknown> | null = null;
        const srv = yield* startUnixServer(function* (reader, writer) {
          yield* reader.readline();
          mainTask!.cancel();
          writer.write(b("1"));
          writer.close();
          yield* writer.waitClosed();
        }, addr, { startServing: false });
        const started = getRunningLoop().createFuture<void>();
        mainTask = createTask(
          (function* () {
            expect(srv.isServing()).toBe(false);
            yield* srv.startServing();
            expect(srv.isServing()).toBe(true);
            started.setResult(undefined);
            yield* srv.serveForever();
          })(),
        );
        yield* started;
        const [reader, writer] = yield* openUnixConnection(addr);
        writer.write(HELLO_MSG);
        expect(t(yield* reader.readexactly(1))).toBe("1");
        writer.close();
        yield* writer.waitClosed();
        let cancelled = false;
        try {
          yield* mainTask;
        } catch (e) {
          cancelled = e instanceof CancelledError;
        }
        expect(cancelled).toBe(true);
        expect(srv.sockets).toEqual([]);
        expect(srv.isServing()).toBe(false);
        expect(() => srv.serveForever().next()).toThrow(/is closed/);
      }, { core });
    } finally {
      tmp.done();
    }
  });
});

describe("Server", () => {
  it("test_wait_closed_basic", async () => {
    await runIo(function* () {
      const srv = yield* startServer(serveUntilEof, "127.0.0.1", 0);
      // no connection, not closed: blocks
      const task1 = createTask(srv.waitClosed());
      yield* sleep(0);
      expect(task1.done()).toBe(false);
      // a connection, not closed: blocks
      const [, wr] = yield* openConnection("127.0.0.1", portOf(srv));
      const task2 = createTask(srv.waitClosed());
      yield* sleep(0);
      expect(task1.done()).toBe(false);
      expect(task2.done()).toBe(false);
      srv.close();
      yield* sleep(0);
      // a connection, closed: blocks
      const task3 = createTask(srv.waitClosed());
      yield* sleep(0.05);
      expect(task1.done() || task2.done() || task3.done()).toBe(false);
      wr.close();
      yield* wr.waitClosed();
      // no connection, closed: unblocks
      yield* task1;
      yield* task2;
      yield* task3;
      yield* srv.waitClosed(); // returns at once
    });
  });

  it("test_wait_closed_race", async () => {
    await runIo(function* () {
      const srv = yield* startServer(serveUntilEof, "127.0.0.1", 0);
      const task = createTask(srv.waitClosed());
      yield* sleep(0);
      expect(task.done()).toBe(false);
      const [, wr] = yield* openConnection("127.0.0.1", portOf(srv));
      const loop = getRunningLoop();
      loop.callSoon(() => srv.close());
      loop.callSoon(() => wr.close());
      yield* srv.waitClosed();
      yield* task;
      yield* wr.waitClosed();
    });
  });

  it("test_close_clients", async () => {
    await runIo(function* () {
      const srv = yield* startServer(serveUntilEof, "127.0.0.1", 0);
      const [rd, wr] = yield* openConnection("127.0.0.1", portOf(srv));
      const task = createTask(srv.waitClosed());
      yield* sleep(0);
      expect(task.done()).toBe(false);
      srv.close();
      srv.closeClients();
      // asyncio needs two iterations; here the host reports the closes, so wait for them
      yield* waitFor(task, 5);
      expect((yield* rd.read()).length).toBe(0);
      wr.close();
      yield* wr.waitClosed();
    });
  });

  it("test_abort_clients", async () => {
    await runIo(function* () {
      const loop = getRunningLoop();
      const fut = loop.createFuture<[StreamReader, StreamWriter]>();
      const srv = yield* startServer(function* (rd, wr) {
        fut.setResult([rd, wr]);
        try {
          yield* wr.waitClosed();
        } catch {
          // aborted: that is the point
        }
      }, "127.0.0.1", 0);
      const [, cWr] = yield* openConnection("127.0.0.1", portOf(srv), { limit: 4096 });
      const [, sWr] = yield* fut;
      // fill the client's socket and the server's kernel buffer until the server buffers
      const chunk = new Uint8Array(256 * 1024);
      for (let i = 0; i < 200 && sWr.transport.getWriteBufferSize() <= 64 * 1024; i++) {
        sWr.write(chunk);
        yield* sleep(0.002);
      }
      expect(sWr.transport.getWriteBufferSize()).toBeGreaterThan(0);
      const task = createTask(srv.waitClosed());
      yield* sleep(0);
      expect(task.done()).toBe(false);
      srv.close();
      srv.abortClients();
      yield* waitFor(task, 5);
      cWr.close();
      try {
        yield* cWr.waitClosed();
      } catch {
        // the abort may reach the client as a reset
      }
    });
  });

  it("test_unix_server_addr_cleanup: close() removes the socket file", async () => {
    const tmp = tempDir();
    try {
      const addr = tmp.path("a.sock");
      await runIo(function* () {
        const srv = yield* startUnixServer(() => undefined, addr);
        expect(existsSync(addr)).toBe(true);
        srv.close();
        expect(existsSync(addr)).toBe(false);
        yield* srv.waitClosed();
      });
    } finally {
      tmp.done();
    }
  });

  it("test_unix_server_cleanup_gone: someone else removed the file first", async () => {
    const tmp = tempDir();
    try {
      const addr = tmp.path("gone.sock");
      await runIo(function* () {
        const srv = yield* startUnixServer(() => undefined, addr);
        rmSync(addr);
        srv.close();
        yield* srv.waitClosed();
      });
    } finally {
      tmp.done();
    }
  });

  it("a stale socket file at the path is replaced (asyncio's create_unix_server); another file is not", async () => {
    const tmp = tempDir();
    try {
      const stale = tmp.path("stale.sock");
      // a process that binds the path and dies leaves its socket file behind
      execFileSync(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(stale)}, () => process.exit(0))`]);
      expect(existsSync(stale)).toBe(true);
      const plain = tmp.path("plain-file");
      writeFileSync(plain, "not a socket");
      await runIo(function* () {
        const srv = yield* startUnixServer(function* (_r, w) {
          w.write(b("fresh"));
          w.close();
        }, stale);
        const [rd, wr] = yield* openUnixConnection(stale);
        expect(t(yield* rd.read())).toBe("fresh");
        wr.close();
        yield* wr.waitClosed();
        srv.close();
        yield* srv.waitClosed();
        let err: unknown = null;
        try {
          yield* startUnixServer(() => undefined, plain);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(OSError);
        expect((err as OSError).code).toBe("EADDRINUSE");
      });
      expect(existsSync(plain)).toBe(true);
    } finally {
      tmp.done();
    }
  });

  it("a port in use: OSError EADDRINUSE naming the address", async () => {
    await runIo(function* () {
      const first = yield* startServer(() => undefined, "127.0.0.1", 0);
      const port = portOf(first);
      let err: unknown = null;
      try {
        yield* startServer(() => undefined, "127.0.0.1", port);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OSError);
      expect((err as OSError).code).toBe("EADDRINUSE");
      expect((err as Error).message).toContain(`error while attempting to bind on address ('127.0.0.1', ${port})`);
      first.close();
      yield* first.waitClosed();
    });
  });

  it("sockets: getsockname, family; empty once closed; toString names them", async () => {
    await runIo(function* () {
      const srv = yield* startServer(() => undefined, "127.0.0.1", 0);
      expect(srv).toBeInstanceOf(Server);
      expect(srv.getLoop()).toBe(getRunningLoop());
      const [host, port] = srv.sockets[0].getsockname() as [string, number];
      expect(host).toBe("127.0.0.1");
      expect(port).toBeGreaterThan(0);
      expect(srv.sockets[0].family).toBe("AF_INET");
      expect(String(srv)).toBe(`<Server sockets=[<socket 127.0.0.1:${port}>]>`);
      expect(srv.isServing()).toBe(true);
      srv.close();
      expect(srv.sockets).toEqual([]);
      expect(srv.isServing()).toBe(false);
      srv.close(); // harmless twice
      yield* srv.waitClosed();
    });
  });

  it("serveForever: cancelling it closes the server; a second call raises RuntimeError", async () => {
    await runIo(function* () {
      const srv = yield* startServer(() => undefined, "127.0.0.1", 0);
      const serving = createTask(srv.serveForever());
      yield* sleep(0);
      let err: unknown = null;
      try {
        yield* srv.serveForever();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RuntimeError);
      expect((err as Error).message).toMatch(/already being awaited on serveForever/);
      serving.cancel();
      try {
        yield* serving;
      } catch (e) {
        expect(e).toBeInstanceOf(CancelledError);
      }
      expect(srv.sockets).toEqual([]);
      yield* srv.waitClosed();
    });
  });

  it("startServing: false holds connections unread until startServing(); close() drops them", async () => {
    await runIo(function* () {
      let made = 0;
      const srv = yield* startServer(function* (reader, writer) {
        made++;
        writer.write(yield* reader.readline());
        writer.close();
      }, "127.0.0.1", 0, { startServing: false });
      const [rd, wr] = yield* openConnection("127.0.0.1", portOf(srv));
      wr.write(b("early\n"));
      yield* sleep(0.05);
      expect(made).toBe(0);
      yield* srv.startServing();
      expect(t(yield* rd.readline())).toBe("early\n");
      expect(made).toBe(1);
      wr.close();
      yield* wr.waitClosed();
      srv.close();
      yield* srv.waitClosed();

      // never served: the held connection is aborted by close()
      const idle = yield* startServer(() => undefined, "127.0.0.1", 0, { startServing: false });
      const [rd2, wr2] = yield* openConnection("127.0.0.1", portOf(idle));
      yield* sleep(0.02);
      idle.close();
      yield* waitFor(idle.waitClosed(), 5);
      try {
        expect((yield* rd2.read()).length).toBe(0);
      } catch {
        // a reset is as good as an EOF here
      }
      wr2.close();
      try {
        yield* wr2.waitClosed();
      } catch {
        // reset
      }
    });
  });

  it("a protocol factory that raises, or returns a non-protocol: the exception handler hears it and that connection is dropped", async () => {
    const { messages } = await runIo(function* () {
      const loop = getRunningLoop();
      let n = 0;
      const srv = yield* loop.createServer(() => {
        n++;
        if (n === 1) throw new Error("factory failed");
        if (n === 2) return 42 as unknown as Protocol;
        return { connectionMade: (tr: Transport) => { tr.write(b("fine")); tr.close(); } };
      }, "127.0.0.1", 0);
      for (const expected of ["", "", "fine"]) {
        const [rd, wr] = yield* openConnection("127.0.0.1", portOf(srv));
        let got = "";
        try {
          got = t(yield* rd.read());
        } catch {
          // an aborted connection may arrive as a reset
        }
        expect(got).toBe(expected);
        wr.close();
        try {
          yield* wr.waitClosed();
        } catch {
          // reset
        }
      }
      srv.close();
      yield* srv.waitClosed();
    });
    expect(messages.map((m) => m.message)).toEqual([
      "Error on transport creation for incoming connection",
      "Error on transport creation for incoming connection",
    ]);
    expect((messages[0].exception as Error).message).toBe("factory failed");
    expect(messages[1].exception).toBeInstanceOf(TypeError);
    expect((messages[1].exception as Error).message).toMatch(/must return a protocol object, got 42/);
  });

  it("bad arguments raise at the call", async () => {
    await runIo(function* () {
      const loop = getRunningLoop();
      expect(() => loop.createServer("factory" as never, "127.0.0.1", 0)).toThrow(/protocolFactory must be a function/);
      expect(() => loop.createServer(() => ({}), "127.0.0.1", 65536)).toThrow(/port must be an integer 0-65535, got 65536/);
      expect(() => loop.createServer(() => ({}), "127.0.0.1", 0, { startServing: "yes" } as never)).toThrow(TypeError);
      expect(() => loop.createServer(() => ({}), "127.0.0.1", 0, { backlog: 1.5 })).toThrow(TypeError);
      expect(() => loop.createUnixServer(() => ({}), 7 as never)).toThrow(/path must be a string/);
      expect(openIo()).toEqual([]);
    });
  });
});
