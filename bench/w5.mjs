// W5 on wasyncio: TCP echo on 127.0.0.1 through streams (startServer / openConnection), C
// clients × M request/response messages of S bytes, server and clients on one loop — the same
// program as bench/asyncio_w5.py.
//   node bench/w5.mjs wasm|js C M S
import { wasyncioEntry, startMeasure, argInt, skip } from './common.mjs';

const core = process.argv[2];
const C = argInt(process.argv[3], 'C');
const M = argInt(process.argv[4], 'M');
const S = argInt(process.argv[5], 'S');
const mod = await import(wasyncioEntry());
if (typeof mod.openConnection !== 'function' || typeof mod.startServer !== 'function') {
  skip(`streams not available in this build (${process.env.WASYNCIO_ENTRY ?? 'dist/index.mjs'} exports no openConnection/startServer)`);
}
const { run, gather, openConnection, startServer, IncompleteReadError } = mod;

function* handle(reader, writer) {
  try {
    for (;;) {
      const data = yield* reader.readexactly(S);
      writer.write(data);
      yield* writer.drain();
    }
  } catch (e) {
    if (!(e instanceof IncompleteReadError) || e.partial.length !== 0) throw e;
  }
  writer.close();
}

function* client(port, tag) {
  const payload = new Uint8Array(S).fill(tag);
  const [reader, writer] = yield* openConnection('127.0.0.1', port);
  let ok = 0;
  for (let i = 0; i < M; i++) {
    writer.write(payload);
    yield* writer.drain();
    const data = yield* reader.readexactly(S);
    if (data[0] === tag && data[S - 1] === tag) ok++;
  }
  writer.close();
  yield* writer.waitClosed();
  return ok;
}

let m;
let count = 0;
await run(function* () {
  const server = yield* startServer(handle, '127.0.0.1', 0);
  const port = server.sockets[0].getsockname()[1];
  m = startMeasure();
  const oks = yield* gather(...Array.from({ length: C }, (_, i) => client(port, i % 251)));
  m.mark();
  count = oks.reduce((a, b) => a + b, 0);
  server.close();
  yield* server.waitClosed();
}, { core });
m.report({ count });
