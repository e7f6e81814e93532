// W6 on wasyncio: bulk transfer over one TCP connection on 127.0.0.1 through streams — the same
// program as bench/asyncio_w6.py: the client writes MIB MiB in 64 KiB chunks (drain() after
// each) while another task reads the echo; the server echoes with read(64 KiB) / write / drain().
// RSS is sampled every 4 MiB sent (see RssFlatness in common.mjs).
//   node bench/w6.mjs wasm|js MIB
import { wasyncioEntry, startMeasure, argInt, skip, RssFlatness } from './common.mjs';

const core = process.argv[2];
const MIB = argInt(process.argv[3], 'MIB');
const CHUNK = 64 * 1024;
const total = MIB * 2 ** 20;
const mod = await import(wasyncioEntry());
if (typeof mod.openConnection !== 'function' || typeof mod.startServer !== 'function') {
  skip(`streams not available in this build (${process.env.WASYNCIO_ENTRY ?? 'dist/index.mjs'} exports no openConnection/startServer)`);
}
const { run, gather, openConnection, startServer } = mod;

function* echo(reader, writer) {
  for (;;) {
    const data = yield* reader.read(CHUNK);
    if (data.length === 0) break;
    writer.write(data);
    yield* writer.drain();
  }
  writer.close();
}

const flat = new RssFlatness(total);

function* send(writer) {
  const chunk = new Uint8Array(CHUNK).fill(0xab);
  let sent = 0;
  while (sent < total) {
    const n = Math.min(CHUNK, total - sent);
    writer.write(n === CHUNK ? chunk : chunk.subarray(0, n));
    yield* writer.drain();
    sent += n;
    flat.sample(sent);
  }
  writer.writeEof();
}

function* receive(reader) {
  let got = 0;
  for (;;) {
    const data = yield* reader.read(CHUNK);
    if (data.length === 0) return got;
    got += data.length;
  }
}

let m;
let got = 0;
await run(function* () {
  const server = yield* startServer(echo, '127.0.0.1', 0);
  const port = server.sockets[0].getsockname()[1];
  m = startMeasure();
  const [reader, writer] = yield* openConnection('127.0.0.1', port);
  [, got] = yield* gather(send(writer), receive(reader));
  m.mark();
  writer.close();
  yield* writer.waitClosed();
  server.close();
  yield* server.waitClosed();
}, { core });
if (got !== total) { process.stderr.write(`received ${got} bytes, expected ${total}\n`); process.exit(1); }
m.report({ count: got / 2 ** 20, ...flat.result() });
