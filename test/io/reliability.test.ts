// Reliability under load, on real sockets on 127.0.0.1:
// - 500 concurrent connections move 100 MB in total through an echo server; every byte comes
//   back, in order (an order-sensitive checksum per connection, and the length);
// (the fast writer against a slow reader is in reliability-memory.test.ts, alone in its
// process, so what other tests leave in the heap does not hide what it measures);
// - a peer that resets one connection mid-write: that connection's writer gets
//   ConnectionResetError, the other connection finishes intact;
// - a server closed while clients are connecting: every client ends (connected and served,
//   refused, or reset), waitClosed() returns, nothing is left open.
// No assertion is about speed.

import { describe, expect, it } from "vitest";
import {
  BrokenPipeError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  IncompleteReadError,
  createTask,
  gather,
  getRunningLoop,
  openConnection,
  sleep,
  startServer,
  waitFor,
  type StreamReader,
  type StreamWriter,
} from "../../src/index.ts";
import { portOf, runIo } from "./stream-helpers.ts";

/** xorshift32: a deterministic byte stream per connection. */
function fill(buf: Uint8Array, state: { s: number }): void {
  let s = state.s;
  for (let i = 0; i < buf.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    buf[i] = s & 0xff;
  }
  state.s = s;
}

/** FNV-1a, 32 bits: order-sensitive, so a reordered or lost chunk changes it. */
function fnv(hash: number, data: Uint8Array): number {
  let h = hash;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i];
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
const FNV_START = 2166136261;

function* echo(reader: StreamReader, writer: StreamWriter) {
  for (;;) {
    const data = yield* reader.read(65536);
    if (data.length === 0) break;
    writer.write(data);
    yield* writer.drain();
  }
  writer.close();
  yield* writer.waitClosed();
}

describe("reliability", () => {
  it("500 concurrent connections move 100 MB through an echo server: nothing lost, nothing reordered", async () => {
    const CONNECTIONS = 500;
    const TOTAL = 100 * 1024 * 1024;
    const PER = Math.floor(TOTAL / CONNECTIONS);
    const { value, messages } = await runIo(function* () {
      const server = yield* startServer(echo, "127.0.0.1", 0, { backlog: 1024 });
      const port = portOf(server);
      function* client(i: number) {
        const [reader, writer] = yield* openConnection("127.0.0.1", port);
        const state = { s: (i + 1) * 2654435761 >>> 0 || 1 };
        let sentHash = FNV_START;
        const send = createTask(
          (function* () {
            let left = PER;
            let size = 1 + (i * 7919) % 65536; // chunk sizes vary per connection and per write
            while (left > 0) {
              const chunk = new Uint8Array(Math.min(size, left));
              fill(chunk, state);
              sentHash = fnv(sentHash, chunk);
              writer.write(chunk);
              yield* writer.drain();
              left -= chunk.length;
              size = 1 + ((size * 48271) % 65536);
            }
            writer.writeEof();
          })(),
        );
        let got = 0;
        let gotHash = FNV_START;
        for (;;) {
          const data = yield* reader.read(65536);
          if (data.length === 0) break;
          got += data.length;
          gotHash = fnv(gotHash, data);
        }
        yield* send;
        writer.close();
        yield* writer.waitClosed();
        return { got, same: got === PER && gotHash === sentHash };
      }
      const results = yield* gather(...Array.from({ length: CONNECTIONS }, (_, i) => client(i)));
      server.close();
      yield* server.waitClosed();
      return results;
    });
    expect(messages).toEqual([]);
    expect(value.length).toBe(CONNECTIONS);
    expect(value.reduce((n, r) => n + r.got, 0)).toBe(PER * CONNECTIONS);
    expect(value.filter((r) => !r.same)).toEqual([]);
  }, 120_000);

  it("a peer reset mid-write gives ConnectionResetError to that connection only", async () => {
    const { value, messages } = await runIo(function* () {
      const loop = getRunningLoop();
      const serverWriters: StreamWriter[] = [];
      const twoConnected = loop.createFuture<void>();
      const server = yield* startServer(function* (reader, writer) {
        serverWriters.push(writer);
        if (serverWriters.length === 2) twoConnected.setResult(undefined);
        if (serverWriters.length === 1) {
          // connection A: stop reading, then reset it with its data unread
          writer.transport.pauseReading();
          return;
        }
        yield* echo(reader, writer); // connection B: a normal echo
      }, "127.0.0.1", 0);
      const port = portOf(server);
      const [, aWriter] = yield* openConnection("127.0.0.1", port);
      yield* sleep(0.01);
      const [bReader, bWriter] = yield* openConnection("127.0.0.1", port);
      yield* twoConnected;

      const aTask = createTask(
        (function* () {
          const chunk = new Uint8Array(64 * 1024);
          for (;;) {
            aWriter.write(chunk);
            yield* aWriter.drain();
          }
        })(),
      );
      const B_TOTAL = 8 * 1024 * 1024;
      const bTask = createTask(
        (function* () {
          const state = { s: 12345 };
          let sentHash = FNV_START;
          const sender = createTask(
            (function* () {
              for (let left = B_TOTAL; left > 0; left -= 32768) {
                const chunk = new Uint8Array(32768);
                fill(chunk, state);
                sentHash = fnv(sentHash, chunk);
                bWriter.write(chunk);
                yield* bWriter.drain();
              }
              bWriter.writeEof();
            })(),
          );
          let got = 0;
          let gotHash = FNV_START;
          for (;;) {
            const data = yield* bReader.read(65536);
            if (data.length === 0) break;
            got += data.length;
            gotHash = fnv(gotHash, data);
          }
          yield* sender;
          return got === B_TOTAL && gotHash === sentHash;
        })(),
      );
      // let A fill the server's kernel buffer, then reset it mid-write
      while (aWriter.transport.getWriteBufferSize() === 0) yield* sleep(0.005);
      serverWriters[0].transport.abort();
      let aError: unknown = null;
      try {
        yield* waitFor(aTask, 10);
      } catch (e) {
        aError = e;
      }
      const bIntact = yield* waitFor(bTask, 30);
      aWriter.close();
      try {
        yield* aWriter.waitClosed();
      } catch (e) {
        expect(e).toBe(aError); // waitClosed raises the error that ended the connection
      }
      bWriter.close();
      yield* bWriter.waitClosed();
      server.close();
      yield* server.waitClosed();
      return { aError, bIntact };
    });
    expect(value.aError).toBeInstanceOf(ConnectionResetError);
    expect((value.aError as ConnectionResetError).code).toBe("ECONNRESET");
    expect(value.bIntact).toBe(true);
    expect(messages).toEqual([]);
  }, 60_000);

  it("a server closed while clients connect: every client ends, waitClosed returns, nothing is left open", async () => {
    const CLIENTS = 300;
    const LATE = 10;
    const { value, messages } = await runIo(function* () {
      const loop = getRunningLoop();
      let served = 0;
      const halfway = loop.createFuture<void>();
      const server = yield* startServer(function* (reader, writer) {
        served++;
        if (served === 20 && !halfway.done()) halfway.setResult(undefined);
        try {
          const line = yield* reader.readline();
          writer.write(line);
          yield* writer.drain();
        } catch {
          // reset by the close below
        }
        writer.close();
      }, "127.0.0.1", 0, { backlog: 1024 });
      const port = portOf(server);
      const outcomes = { served: 0, eof: 0, refused: 0, reset: 0 };
      function* client() {
        try {
          const [reader, writer] = yield* openConnection("127.0.0.1", port);
          try {
            writer.write(new TextEncoder().encode("hi\n"));
            const line = yield* reader.readline();
            if (line.length === 3) outcomes.served++;
            else outcomes.eof++;
          } catch (e) {
            if (!(e instanceof ConnectionError) && !(e instanceof IncompleteReadError)) throw e;
            outcomes.reset++;
          } finally {
            writer.close();
            try {
              yield* writer.waitClosed();
            } catch (e) {
              if (!(e instanceof ConnectionError)) throw e;
            }
          }
        } catch (e) {
          if (e instanceof ConnectionRefusedError) outcomes.refused++;
          else if (e instanceof ConnectionResetError || e instanceof BrokenPipeError) outcomes.reset++;
          else throw e;
        }
      }
      const clients = Array.from({ length: CLIENTS }, () => createTask(client()));
      yield* halfway;
      server.close();
      server.abortClients();
      // and a few more after the close: nobody listens any more
      for (let i = 0; i < LATE; i++) clients.push(createTask(client()));
      yield* waitFor(server.waitClosed(), 10);
      yield* waitFor(gather(...clients), 30);
      return outcomes;
    });
    expect(messages).toEqual([]);
    expect(value.served + value.eof + value.refused + value.reset).toBe(CLIENTS + LATE);
    expect(value.served).toBeGreaterThanOrEqual(1);
    // those still in the listen backlog or being served at the close are reset (or see EOF)
    expect(value.reset + value.eof).toBeGreaterThan(0);
    // those that came after it are refused
    expect(value.refused).toBeGreaterThanOrEqual(LATE);
  }, 60_000);
});
