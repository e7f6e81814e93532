// W6 on raw Node `net`: bulk transfer over one TCP connection on 127.0.0.1. The client writes
// MIB MiB in 64 KiB chunks, waiting for 'drain' whenever write() says the buffer is full, and
// counts the echo; the server echoes with sock.pipe(sock) (Node's own back-pressure). RSS is
// sampled every 4 MiB sent (see RssFlatness in common.mjs).
//   node bench/node_w6.mjs MIB
import net from 'node:net';
import { startMeasure, argInt, RssFlatness } from './common.mjs';

const MIB = argInt(process.argv[2], 'MIB');
const CHUNK = 64 * 1024;
const total = MIB * 2 ** 20;

const server = net.createServer({ noDelay: true }, (sock) => sock.pipe(sock));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const m = startMeasure();
  const chunk = Buffer.alloc(CHUNK, 0xab);
  let sent = 0;
  let got = 0;
  const flat = new RssFlatness(total);
  const sock = net.connect({ port, host: '127.0.0.1', noDelay: true });
  const pump = () => {
    while (sent < total) {
      const n = Math.min(CHUNK, total - sent);
      sent += n;
      flat.sample(sent);
      if (!sock.write(n === CHUNK ? chunk : chunk.subarray(0, n))) { sock.once('drain', pump); return; }
    }
    sock.end();
  };
  sock.on('connect', pump);
  sock.on('data', (d) => { got += d.length; });
  sock.on('end', () => {
    m.mark();
    sock.destroy();
    server.close(() => {
      if (got !== total) { process.stderr.write(`received ${got} bytes, expected ${total}\n`); process.exit(1); }
      m.report({ count: got / 2 ** 20, ...flat.result() });
    });
  });
});
