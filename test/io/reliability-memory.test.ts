// A fast writer against a slow reader keeps the process's memory bounded: drain() holds the
// writer at the transport's high-water mark, and the reader's transport pauses past 2 x limit,
// so 1 GB offered moves through a few buffers. RSS is measured while it runs; this test has a
// file (so a process) of its own, so the heap other tests leave behind cannot hide its growth.

import { expect, it } from "vitest";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { getRunningLoop, openConnection, sleep, startServer } from "../../src/index.ts";
import { portOf, runIo } from "./stream-helpers.ts";

it("a fast writer against a slow reader keeps memory bounded: 1 GB offered, RSS grows by less than 64 MB", async () => {
  // Every chunk that crosses a socket is a new host buffer (Node allocates each read), and V8
  // frees those only at a GC, which it starts once about 64 MB of them are garbage: left to
  // itself, RSS would swing by nearly the bound whatever the library does. So the test
  // collects garbage every 4 MB offered; what RSS still gains is what the stream retains.
  // A writer not held by drain() would retain the whole gigabyte.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const OFFERED = 1024 * 1024 * 1024;
  const CHUNK = 1024 * 1024;
  const BOUND = 64 * 1024 * 1024;
  let peak = 0;
  let baseline = 0;
  let peakInfo = "";
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > peak) {
      peak = m.rss;
      peakInfo = `V8 heap ${(m.heapUsed / 2 ** 20).toFixed(1)} MB used, array buffers ${(m.arrayBuffers / 2 ** 20).toFixed(1)} MB`;
    }
  };
  const { value } = await runIo(function* () {
    const loop = getRunningLoop();
    let received = 0;
    const done = loop.createFuture<void>();
    const server = yield* startServer(function* (reader, writer) {
      // slow: a read, and now and then a pause
      let n = 0;
      for (;;) {
        const data = yield* reader.read(256 * 1024);
        if (data.length === 0) break;
        received += data.length;
        if (++n % 16 === 0) yield* sleep(0.001);
      }
      writer.close();
      done.setResult(undefined);
    }, "127.0.0.1", 0);
    const [, writer] = yield* openConnection("127.0.0.1", portOf(server));
    gc();
    baseline = process.memoryUsage().rss;
    peak = baseline;
    const timer = setInterval(sample, 10);
    let maxBuffered = 0;
    try {
      const chunk = new Uint8Array(CHUNK).fill(0x61);
      for (let sent = 0; sent < OFFERED; sent += CHUNK) {
        writer.write(chunk); // the transport copies it, so one chunk can be written again
        maxBuffered = Math.max(maxBuffered, writer.transport.getWriteBufferSize());
        yield* writer.drain();
        sample();
        if (sent % (4 * CHUNK) === 0) gc();
      }
      writer.writeEof();
      yield* done;
    } finally {
      clearInterval(timer);
    }
    writer.close();
    yield* writer.waitClosed();
    server.close();
    yield* server.waitClosed();
    return { received, maxBuffered };
  });
  expect(value.received).toBe(OFFERED);
  // drain() let at most one chunk past the high-water mark into the transport's buffer
  expect(value.maxBuffered).toBeLessThanOrEqual(64 * 1024 + CHUNK);
  const growth = `RSS grew by ${((peak - baseline) / 2 ** 20).toFixed(1)} MB over ${(baseline / 2 ** 20).toFixed(1)} MB (at the peak: ${peakInfo})`;
  expect(peak - baseline, growth).toBeLessThan(BOUND);
}, 120_000);
